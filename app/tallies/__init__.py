"""Per-area counters behind the reports: every household, visit and ledger item adds its tally to each of
its areas, so a report reads one counter per child area however many households there are."""
