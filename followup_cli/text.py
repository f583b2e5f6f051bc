"""Text that is safe to store and to show: no terminal control characters; and how many
columns a text takes on a terminal (CJK characters and emoji take two).

A name like "Evil\\x1b]0;PWNED\\x07\\x1b[2J" would set a terminal's title and clear its screen
when printed. Control characters (C0 but tab and line breaks, DEL, C1) carry nothing a
shop needs, so they are dropped on the way in and again on the way out.
"""

from __future__ import annotations

import os
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


# Chinese line-breaking rules (GB/T 15834, JIS X 4051 kinsoku): a line never starts with
# closing punctuation and never ends with opening punctuation.
NO_LINE_START = frozenset("，。？！）」』、：；〉》】〕…,.?!:;)]}%")
NO_LINE_END = frozenset("（「『〈《【〔([{")


def break_before(current: str, char: str) -> int:
    """Where to end a full line `current` so the next starts with `char`: how many of its last
    characters go down to the next line (0 when the break is allowed where it is)."""
    back = 0
    # Pull characters down while the next line would start with closing punctuation or this
    # one ends with an opening one; a line is never emptied (then the rule gives way).
    while back < len(current) - 1:
        follows = current[len(current) - back] if back else char
        if follows in NO_LINE_START or current[len(current) - back - 1] in NO_LINE_END:
            back += 1
            continue
        break
    return back


# Where prose may break: at spaces, around an ASCII word (kept whole), and after any other
# character, an emoji with its joiners, modifiers and variation selectors counting as one.
_TOKENS = re.compile(r"\s+|[!-~]+|.(?:\u200d.|[\u200c\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff])*")


def break_lines(text: str, width: int) -> list[str]:
    """Prose (help, messages) in lines of at most `width` columns: a line may break after any
    Chinese character and at spaces, never inside an ASCII word (an option, a value), and
    never so that a line starts with closing punctuation or ends with an opening one."""
    lines: list[str] = []
    tokens: list[str] = []  # the current line's tokens
    used = 0
    for token in _TOKENS.findall(text):
        if token.isspace():
            if tokens and used < width:
                tokens.append(" ")
                used += 1
            continue
        size = text_width(token)
        if used + size > width and "".join(tokens).strip():
            carried: list[str] = []
            while len(tokens) > 1 and (
                (carried or [token])[0][0] in NO_LINE_START or tokens[-1][-1] in NO_LINE_END
            ):
                carried.insert(0, tokens.pop())
            lines.append("".join(tokens).rstrip())
            tokens = [t for t in carried if not t.isspace()] if carried else []
            used = text_width("".join(tokens))
        tokens.append(token)
        used += size
    if "".join(tokens).strip():
        lines.append("".join(tokens).rstrip())
    return lines or [""]


def for_stream(text: str, stream: object) -> str:
    """A message as it is printed to `stream`: on a terminal, each line wider than the
    terminal broken to its width by the rules above (its indent kept); off a terminal (a
    pipe, a file, cron) as it is, one line, for scripts to grep."""
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()):
        return text
    width = stream_width(stream)
    lines = []
    for line in text.split("\n"):
        if text_width(line) <= width:
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        lines += [indent + part for part in break_lines(line, max(width - len(indent), 4))]
    return "\n".join(lines)


def stream_width(stream: object) -> int:
    """COLUMNS when set, else the width of the terminal `stream` is on, else 80."""
    value = os.environ.get("COLUMNS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        columns = os.get_terminal_size(stream.fileno()).columns  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return 80
    return columns if columns > 0 else 80  # a terminal that does not say its size
