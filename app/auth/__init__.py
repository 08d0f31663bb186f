"""Authority: the caller as domain code sees it (Principal), the role permission table, signed tokens."""
