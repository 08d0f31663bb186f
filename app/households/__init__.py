"""Registered households (建档立卡户): records, import, masking, and their verification status."""
