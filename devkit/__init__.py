"""Generators for tests, demo data and benchmarks: synthetic evidence and the ways cadres fake it."""
