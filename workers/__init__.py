"""Background work: rq jobs that take ids, are idempotent and let failures propagate."""
