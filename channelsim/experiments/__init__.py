"""Experiments: running the model over replications and strategies, on any executor.

Executors (serial, processes, Dask), the replication task, the results object, ``compare`` and
the run-size estimate. The package root imports nothing: import the modules themselves (the
public API is re-exported lazily by :mod:`channelsim`).
"""
