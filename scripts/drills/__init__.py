"""Failure drills: each script starts its own throwaway servers, breaks something on purpose, and ends
with one line `PASS: ...` or `FAIL: ...` (exit code 0 or 1). Run them as `python -m scripts.drills.NAME`."""
