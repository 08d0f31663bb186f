"""Resident ID numbers (GB 11643-1999) and the masking rules for personal data."""

from __future__ import annotations

import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$")
PHONE_RE = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def is_valid_id(number: str) -> bool:
    number = (number or "").upper()
    return bool(ID_RE.match(number)) and check_digit(number[:17]) == number[17]


def mask_id(number: str | None) -> str | None:
    """3713**********1234: region prefix and last four kept."""
    if not number:
        return number
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(number: str | None) -> str | None:
    """138****5678."""
    if not number:
        return number
    return number[:3] + "*" * max(len(number) - 7, 0) + number[-4:]
