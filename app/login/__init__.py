"""Who is calling: credentials with lock-out, bearer tokens, and the request hook that sets the caller."""
