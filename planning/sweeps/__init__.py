"""Scenario sweeps: designs of variants, running them locally or on Dask, a store, a report."""
