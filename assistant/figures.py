"""Numbers in replies: the precision a reader needs, with their units."""

from __future__ import annotations

from datetime import datetime


def num(x: float) -> str:
    """Format a number for a reply: 13,638 · 480 · 12.5 · 3.25 · 0.0012 (never six digits)."""
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}".rstrip("0").rstrip(".")
    if a >= 0.1:
        return f"{x:.2f}".rstrip("0").rstrip(".")
    if a == 0:
        return "0"
    return f"{x:.2g}"


def qty(x: float, unit: str | None) -> str:
    """Format a quantity with its unit ('13,638 h', '4.2 bar', '3 pcs')."""
    return f"{num(x)} {unit}" if unit else num(x)


def day(t: datetime) -> str:
    """Format a date for a reply."""
    return f"{t:%Y-%m-%d}"
