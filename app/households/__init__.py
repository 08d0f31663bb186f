"""Households (建档立卡户 and candidates): records, import, masking, their verification status
(lifecycle.py) and their poverty status (poverty.py)."""
