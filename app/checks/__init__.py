"""Automatic checks of a visit's evidence and answers; each result says what failed and why."""
