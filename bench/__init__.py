"""Benchmarks: `make bench`. Figures to watch, never part of `make test`."""
