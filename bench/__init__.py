"""Benchmarks: the data generator (`python -m bench.generate`), fixtures and load runs. Never part of the service."""
