"""`doorstep migrate`: bring existing data up to what the current code writes. Every step is
idempotent (a second run changes nothing) and reports how many documents it changed."""
