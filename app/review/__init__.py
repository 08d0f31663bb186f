"""Review level by level (逐级签字把关): each area's chain, each level's queue and sign-offs, bulk
approval, a visit's history, and the city's re-check draws."""
