"""A stored value as a person reads it: the file keeps tiers, statuses, outcomes, channels,
reasons and durations in English; a table, a people's CSV and a workbook say them in the
reader's language. Scripts (`--format csv|json`) get the stored value itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from followup_cli import wording


def segment_name(key: Any) -> str:
    """A value segment as the reader says it: 重要价值 in Chinese, the key in English."""
    from followup_cli.core.segments import find_segment
    from followup_cli.i18n import language

    found = find_segment(str(key)) if key else None
    return found.chinese if found and language() == "zh_CN" else str(key or "")


# How a stored value reads in a table, by column: the file keeps it in English.
SHOWN_AS: dict[str, Callable[[Any], str]] = {
    "tier": wording.tier,
    "then": wording.tier,
    "status": wording.status,
    "outcome": wording.outcome,
    "last_outcome": wording.outcome,
    "channel": wording.channel,
    "kind": wording.kind,
    "reason": wording.reason,
    "anchor": wording.anchor,
    "interval": wording.duration,
    "grace": wording.duration,
    "every": wording.durations,
    "steps": wording.durations,
    "spend": wording.money,
    "segment": segment_name,
}


def shown(key: str, value: Any) -> Any:
    """A customer's field as a person reads it (see SHOWN_AS)."""
    words = SHOWN_AS.get("reason" if key == "next_reason" else key)
    if isinstance(value, bool):
        return wording.yes_no(value)
    return words(value) if words is not None else value
