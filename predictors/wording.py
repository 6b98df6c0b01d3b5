"""Numbers, units and durations in words for crew-facing text."""

from __future__ import annotations

import re

import pandas as pd

_DAYS = re.compile(r"(?<=\d)\s*d(?:ays?)?\b", re.IGNORECASE)


def duration(text: str | pd.Timedelta) -> pd.Timedelta:
    """Parse a duration such as '14d', '24h', '30min' or '2 days' into a Timedelta."""
    if isinstance(text, pd.Timedelta):
        return text
    return pd.Timedelta(_DAYS.sub("D", str(text).strip()))


def number(x: float) -> str:
    """Format a number with the precision a reader needs."""
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


def unit_suffix(unit: str) -> str:
    """Return ' unit', or nothing for a unitless value."""
    return f" {unit}" if unit else ""


def window_text(window: str | None) -> str:
    """Say a window like '24h' or '7d' as '24 h' or '7 days'."""
    if not window:
        return ""
    delta = duration(window)
    days = delta / pd.Timedelta(days=1)
    if days >= 1 and float(days).is_integer():
        return "day" if days == 1 else f"{int(days)} days"
    hours = delta / pd.Timedelta(hours=1)
    if hours >= 1 and float(hours).is_integer():
        return "hour" if hours == 1 else f"{int(hours)} h"
    minutes = delta / pd.Timedelta(minutes=1)
    return f"{number(minutes)} min"


def age_text(days: float) -> str:
    """Say an age in days, months or years."""
    if days >= 730:
        return f"{number(days / 365.25)} years"
    if days >= 60:
        return f"{number(days / 30.44)} months"
    return f"{number(days)} days"
