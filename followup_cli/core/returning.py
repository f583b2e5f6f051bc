"""Lost customers who come back: a purchase on or after the day they were lost.

Pure: which changes make a lost customer active again, from their status and days. They are
active from that day and planned again; `churned_on` keeps the day they were lost and
`returned_on` the day they came back, so the churn figures count both (metrics.py). Used by
`log ... converted` and by purchase imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any


def came_back(
    status: str | None, churned_on: str | date | None, purchases: Iterable[str | date | None]
) -> dict[str, Any]:
    """The changes that make a lost customer active again, when one of `purchases` (ISO
    strings or dates) is on or after the day they were lost; nothing otherwise."""
    if status != "churned" or not churned_on:
        return {}
    lost = str(churned_on)
    after = sorted(str(day) for day in purchases if day and str(day) >= lost)
    if not after:
        return {}
    return {"status": "active", "returned_on": after[0]}
