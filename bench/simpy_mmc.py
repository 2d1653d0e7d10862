"""Reference: a minimal, idiomatic plain-SimPy M/M/c queue (one process per customer).

This is the yardstick of the benchmark: the textbook way to write an M/M/c model in SimPy
(arrival process, ``Resource`` with ``c`` servers, one process per customer that requests a
server, holds it for an exponential service time and releases it), with stdlib random draws.
"""

from __future__ import annotations

import random

import simpy


def run_mmc(n_customers: int, lam: float, mu: float, c: int, seed: int = 1) -> float:
    """Simulate ``n_customers`` arrivals; return the mean wait in queue (days)."""
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    waits = [0.0, 0]

    def customer(service: float):
        arrived = env.now
        with servers.request() as req:
            yield req
            waits[0] += env.now - arrived
            waits[1] += 1
            yield env.timeout(service)

    def source():
        for _ in range(n_customers):
            yield env.timeout(rng.expovariate(lam))
            env.process(customer(rng.expovariate(mu)))

    env.process(source())
    env.run()
    return waits[0] / max(waits[1], 1)
