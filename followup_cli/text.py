"""Text that is safe to store and to show: no terminal control characters.

A name like "Evil\\x1b]0;PWNED\\x07\\x1b[2J" would set a terminal's title and clear its screen
when printed. Control characters (C0 but tab and line breaks, DEL, C1) carry nothing a
shop needs, so they are dropped on the way in and again on the way out.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """`text` without control characters (tab and line breaks kept); fast when there are none."""
    if text.isprintable():
        return text
    return _CONTROL.sub("", text)


def has_controls(cells: list[str]) -> bool:
    """True when any cell holds a character `strip_controls` would drop (one cheap check)."""
    joined = "".join(cells)
    return not joined.isprintable() and _CONTROL.search(joined) is not None
