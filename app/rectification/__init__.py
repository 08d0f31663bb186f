"""整改台账 Rectification ledger: problems found by checks, reviews or people, until closed (销号)."""
