"""Request logs: readers, the workload they describe, the Dask engine."""
