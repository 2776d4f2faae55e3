"""Benchmarks: each module has `run(settings, args) -> dict`, prints a table and
writes benchmarks/results/<name>.json. Targets live here, never in timed tests."""
