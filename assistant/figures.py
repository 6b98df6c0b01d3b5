"""Numbers in replies: the precision a reader needs, with their units."""

from __future__ import annotations

from datetime import datetime

from predictors import number as num

__all__ = ["day", "num", "qty"]


def qty(x: float, unit: str | None) -> str:
    """Format a quantity with its unit ('13,638 h', '4.2 bar', '3 pcs')."""
    return f"{num(x)} {unit}" if unit else num(x)


def day(t: datetime) -> str:
    """Format a date for a reply."""
    return f"{t:%Y-%m-%d}"
