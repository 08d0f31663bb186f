"""Users (cadres, verifiers, supervisors, admins), their areas and password hashes."""
