"""Benchmarks (``make bench``). Each ``bench_*.py`` module exposes ``run() -> list[Measure]``."""
