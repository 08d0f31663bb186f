"""Benchmarks: each starts its own throwaway servers, prints its figures and writes bench/results/<name>.json.

Run from the repository root, e.g. `.venv/bin/python -m bench.intake`; see docs/PERFORMANCE.md."""
