"""Pieces of cells that several views draw: a rate as a percentage, a bar of block characters,
and a chain's Branch column."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from followup_cli.i18n import N_, _

if TYPE_CHECKING:
    from followup_cli.output.table import Col


def percent(value: float | None) -> str:
    return _("no data") if value is None else f"{100 * value:.1f}%"


def bar(value: float, peak: float, width: int = 20) -> str:
    """A bar drawn with block characters, so a change is seen, not read."""
    if peak <= 0 or value <= 0:
        return ""
    eighths = round(width * 8 * value / peak)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def with_branch(columns: Sequence[Col], after: str, keep: int) -> tuple[Col, ...]:
    """A chain's tables name each customer's branch (a single shop never sees the column)."""
    from followup_cli.output.table import Col

    shown: list[Col] = []
    for column in columns:
        shown.append(column)
        if column.key == after:
            shown.append(Col("branch", N_("Branch"), keep=keep))
    return tuple(shown)
