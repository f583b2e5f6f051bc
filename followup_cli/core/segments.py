"""Value segments (RFM): pure definitions, no database.

Recency (R, the last purchase day), frequency (F, distinct purchase days) and monetary value
(M, total spend) are each scored 1-5 by quintiles over every customer with imported purchases:
sort the N values, take as cut points the values at positions ceil(k x N / 5) for k = 1..4, and
score a value 1 + the number of cut points strictly below it. A score of 4 or 5 (above the
third cut point) is *high*, 1-3 *low*; the three highs and lows name one of the eight segments
Chinese member systems use (RFM 八类客户).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from followup_cli.i18n import _


@dataclass(frozen=True)
class Segment:
    key: str  # JSON/CSV value and `--segment` argument
    chinese: str  # also accepted by `--segment`
    high: tuple[bool, bool, bool]  # R, F, M high?

    def label(self) -> str:
        return _(_LABELS[self.key])


SEGMENTS: tuple[Segment, ...] = (
    Segment("important-value", "重要价值", (True, True, True)),
    Segment("important-develop", "重要发展", (True, False, True)),
    Segment("important-keep", "重要保持", (False, True, True)),
    Segment("important-win-back", "重要挽留", (False, False, True)),
    Segment("general-value", "一般价值", (True, True, False)),
    Segment("general-develop", "一般发展", (True, False, False)),
    Segment("general-keep", "一般保持", (False, True, False)),
    Segment("general-win-back", "一般挽留", (False, False, False)),
)
_LABELS = {
    "important-value": "important value: recent, frequent, big spender",
    "important-develop": "important to develop: recent big spender, seldom",
    "important-keep": "important to keep: frequent big spender, not lately",
    "important-win-back": "important to win back: big spender, seldom, not lately",
    "general-value": "general value: recent and frequent, small spend",
    "general-develop": "general to develop: recent, seldom, small spend",
    "general-keep": "general to keep: frequent, not lately, small spend",
    "general-win-back": "general to win back: low on all three",
}
BY_FLAGS = {s.high: s for s in SEGMENTS}
HIGH_SCORE = 4


def find_segment(text: str) -> Segment | None:
    """A segment by its key (important-value) or Chinese name (重要价值)."""
    wanted = text.strip().lower().replace("_", "-").replace(" ", "-")
    return next((s for s in SEGMENTS if wanted in (s.key, s.chinese)), None)


def cut_positions(count: int) -> list[int]:
    """0-based positions of the four cut points in N sorted values: ceil(k x N / 5) - 1."""
    return [(k * count + 4) // 5 - 1 for k in range(1, 5)]


def cut_points(values: Sequence[Any]) -> list[Any]:
    ordered = sorted(values)
    return [ordered[i] for i in cut_positions(len(ordered))] if ordered else []


def score(value: Any, cuts: Sequence[Any]) -> int:
    """1-5: one more than the number of cut points strictly below the value."""
    return 1 + sum(1 for cut in cuts if value > cut)


def segment_for(r: int, f: int, m: int) -> Segment:
    return BY_FLAGS[(r >= HIGH_SCORE, f >= HIGH_SCORE, m >= HIGH_SCORE)]
