"""The ACU demand simulator's engine and its contract: scenario -> simulation -> results.

Imports nothing else of ours; every face (CLI, app, planning, calibration,
verification) calls this package and none re-implements it.
"""
