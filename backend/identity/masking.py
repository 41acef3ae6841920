"""Masking (脱敏) of personal data for display: ID numbers, mobile numbers and names."""

from __future__ import annotations

__all__ = ["mask_id_number", "mask_person_name", "mask_phone"]


def _mask(value: str | None, keep_start: int, keep_end: int) -> str:
    """Keep the first and last characters given, star the rest; star everything if too short."""
    if not value:
        return ""
    text = value.strip()
    hidden = len(text) - keep_start - keep_end
    if hidden <= 0:
        return "*" * len(text)
    return text[:keep_start] + "*" * hidden + text[len(text) - keep_end :]


def mask_id_number(value: str | None) -> str:
    """Show the first 6 and last 4 characters of an ID number (371302********1239)."""
    return _mask(value, 6, 4)


def mask_phone(value: str | None) -> str:
    """Show the first 3 and last 4 digits of a mobile number (138****0001)."""
    return _mask(value, 3, 4)


def mask_person_name(value: str | None) -> str:
    """Keep the surname (and the last character of names of 3+ characters): 王*国, 王*, 欧**国."""
    if not value:
        return ""
    name = value.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
