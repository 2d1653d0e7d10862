"""One replication of the M/M/c benchmark scenario, measured in a fresh process.

``python -m bench.one --leads N`` prints JSON: leads, seconds, leads_per_second, peak_rss_mb
(the process's peak resident memory, interpreter and libraries included).
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from bench.scenarios import mmc_scenario


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, required=True)
    args = parser.parse_args()
    from channelsim.model.world import World

    scenario = mmc_scenario(args.leads)
    started = time.perf_counter()
    raw = World(scenario, "direct", 0).run()
    seconds = time.perf_counter() - started
    leads = float(raw.arrays["leads"].sum())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "leads": leads,
                "seconds": seconds,
                "leads_per_second": leads / seconds,
                "peak_rss_mb": peak,
            }
        )
    )


if __name__ == "__main__":
    main()
