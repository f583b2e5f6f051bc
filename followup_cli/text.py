"""Text that is safe to store and to show: no terminal control characters; and how many
columns a text takes on a terminal (CJK characters and emoji take two).

A name like "Evil\\x1b]0;PWNED\\x07\\x1b[2J" would set a terminal's title and clear its screen
when printed. Control characters (C0 but tab and line breaks, DEL, C1) carry nothing a
shop needs, so they are dropped on the way in and again on the way out.
"""

from __future__ import annotations

import re
from functools import lru_cache

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


def text_width(text: str) -> int:
    """Columns the text takes on a terminal, measured by Rich's maintained width tables: CJK
    characters take two, `❤️` two, a joined family emoji two (not one and six)."""
    return len(text) if text.isascii() else _wide_width(text)


@lru_cache(maxsize=65536)
def _wide_width(text: str) -> int:
    # Rich's width tables only (no drawing): the words below the views measure with them too.
    from rich.cells import cell_len  # noqa: TID251

    return cell_len(text)
