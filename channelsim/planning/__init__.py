"""Planning: the planners' tools, built on one point runner and one options object.

Parameters and samplers, the point runner (every strategy and replication at each point, on any
executor), the crash-safe sweep store, ``sweep``, ``breakeven`` and ``sensitivity``; and the
deciding planners: ``optimize`` (objectives, the search, the journal of an adaptive run) and
``voi`` (the value of information). Each takes ``options=RunOptions(...)`` (replications,
seed, where to run, progress). The package root imports nothing: import the modules themselves
(the public API is re-exported lazily by :mod:`channelsim`).
"""
