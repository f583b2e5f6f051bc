"""Tables laid out for the width there is: an 80-column window or a phone's SSH app.

When a table does not fit, the least important columns go first (or fold under another
column, as the reason goes under the name on the morning list), and free text wraps; a name,
an id, a phone, a date or a status word is never broken. Chinese characters take two columns.

The layout is decided here; Rich draws it (output/drawing.py) for a table of up to
RICH_MOST rows, and `draw` here writes the same lines for a longer one, so the morning list
appears at once however long it is (docs/decisions/rich.md). On a terminal a table stops at a
screenful, with a footer saying how to see the rest. Nothing in a cell is read as markup.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from followup_cli.i18n import N_, _
from followup_cli.output.formats import cell_value
from followup_cli.output.shown import shown
from followup_cli.text import (
    break_before,
    break_lines,  # help and the tests find it here too
    strip_controls,
    text_width,
)

FREE_MIN = 12  # free text is not squeezed narrower than this while other columns can go
DEFAULT_WIDTH = 80  # when not on a terminal and COLUMNS is not set (`today | less`)

# Cells that are one thing, never wrapped; every other word is kept whole too, see `Col`.
WHOLE_KEYS = frozenset({"customer_id", "id", "name", "phone", "email"})
# Free text: wrapped at spaces, and a word too long for the column is cut.
FREE_KEYS = frozenset(
    {
        "reason",
        "note",
        "last_note",
        "notes",
        "message",
        "text",
        "file",
        "describe",
        "names",
        "basis",
    }
)


@dataclass(frozen=True)
class Col:
    """A column and what may happen to it when the table is too wide.

    `keep`: importance; when the table does not fit, the column with the highest number goes
    first; 0 never goes. `fold_into`: instead of going, its text goes under that column's.
    `whole`: never wrapped (with `free`: whole while beside the others, wrapped once folded).
    `free`: free text, long words may be cut. `shorten`: kept to one
    line, cut with … at the end (a long name) or in the middle (a file path, whose end says
    the most). Any other column wraps only at spaces and is never narrower than its longest
    word.
    """

    key: str
    heading: str
    keep: int = 0
    fold_into: str | None = None
    whole: bool = False
    free: bool = False
    shorten: str | None = None  # "end" or "middle": cut to one line with … instead of wrapping


def as_col(column: Col | tuple[str, str], position: int) -> Col:
    """A plain (key, heading) pair: the further right, the sooner it goes; the first stays."""
    if isinstance(column, Col):
        return column
    key, heading = column
    return Col(key, heading, keep=position, whole=key in WHOLE_KEYS, free=key in FREE_KEYS)


Column = tuple[str, str]  # (key in the row dict, heading on a terminal); or a Col


# --- text width ------------------------------------------------------------------------------


def _char_width(char: str) -> int:
    """Columns one character (or one grapheme: an emoji with its joiners) takes."""
    from rich.cells import cell_len

    return cell_len(char)


def _graphemes(text: str) -> list[str]:
    """The text as what a reader sees as single characters (an emoji with joiners is one)."""
    if text.isascii():
        return list(text)
    from rich.cells import split_graphemes

    spans, _total = split_graphemes(text)
    return [text[start:end] for start, end, _width in spans]


# Joiners and variation selectors are part of how an emoji is written: kept, never spaces.
_KEPT_FORMAT = frozenset("\u200c\u200d\ufe0e\ufe0f")


def clean(text: str) -> str:
    """One line of text: tabs, newlines and other control characters become spaces; emoji
    joiners stay, so a family emoji is drawn as written."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in _KEPT_FORMAT else " " for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - text_width(text))


def _cut(word: str, width: int) -> list[str]:
    """A word too long for the column, in pieces that fit, broken where Chinese allows."""
    pieces, current, used = [], "", 0
    for char in _graphemes(word):
        size = _char_width(char)
        if used + size > width and current:
            back = break_before(current, char)
            if back:
                pieces.append(current[:-back])
                current = current[-back:]
            else:
                pieces.append(current)
                current = ""
            used = text_width(current)
        current += char
        used += size
    return [*pieces, current] if current else pieces


def shorten(text: str, width: int, middle: bool = False) -> str:
    """The text cut to `width` columns with … where it was cut: at the end, or in the middle."""
    if text_width(text) <= width:
        return text
    if width < 2:
        return "…"[:width]
    if not middle:
        return _cut(text, width - 1)[0].rstrip() + "…"
    tail_room = (width - 1) // 2
    head = _cut(text, width - 1 - tail_room)[0]
    tail, used = "", 0
    for char in reversed(_graphemes(text)):
        if used + _char_width(char) > width - 1 - text_width(head):
            break
        tail, used = char + tail, used + _char_width(char)
    return f"{head}…{tail}"


def wrap(text: str, width: int, cut_long_words: bool) -> list[str]:
    """Lines of at most `width` columns, broken at spaces only (unless a word must be cut)."""
    if text_width(text) <= width:
        return [text]
    lines: list[str] = []
    current, used = "", 0
    for word in text.split():
        size = text_width(word)
        if size > width and cut_long_words:
            if current:
                lines.append(current)
            *full, current = _cut(word, width)
            lines.extend(full)
            used = text_width(current)
            continue
        if current and used + 1 + size > width:
            lines.append(current)
            current, used = "", 0
        current = f"{current} {word}" if current else word
        used += size + (1 if used else 0)
    if current:
        lines.append(current)
    return lines or [""]


def _longest_word(text: str) -> int:
    if " " not in text:
        return text_width(text)
    if text.isascii():
        return max((len(word) for word in text.split()), default=0)
    return max((text_width(word) for word in text.split()), default=0)


def terminal_width() -> int:
    """COLUMNS when set, else the terminal's width, else 80 for files and pipes (`| less`)."""
    value = os.environ.get("COLUMNS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    if sys.stdout.isatty():
        return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    return DEFAULT_WIDTH


# --- layout ------------------------------------------------------------------------------------


@dataclass
class _Placed:
    col: Col
    cells: list[str]
    sizes: list[int]  # each cell's width
    folded: list[tuple[Col, list[str], list[int]]] = field(default_factory=list)
    natural: int = 0
    least: int = 0
    width: int = 0


def _measure(col: Col, cells: list[str], sizes: list[int], heading: bool = True) -> tuple[int, int]:
    """(natural width, least width) of a column's cells (and heading)."""
    natural = max(sizes, default=0)
    if col.whole:
        least = natural
    elif col.free or col.shorten:
        least = min(natural, FREE_MIN)
    else:
        least = max(map(_longest_word, cells), default=0)
    if heading:
        natural = max(natural, text_width(col.heading))
        least = max(least, _longest_word(col.heading))
    return natural, least


def fit(columns: Sequence[Col], cells: dict[str, list[str]], width: int) -> list[_Placed]:
    """Choose the columns shown and their widths for a table `width` columns wide."""
    placed = []
    for col in columns:
        spot = _Placed(col, cells[col.key], list(map(text_width, cells[col.key])))
        spot.natural, spot.least = _measure(col, spot.cells, spot.sizes)
        placed.append(spot)
    order = {id(p): index for index, p in enumerate(placed)}
    leaving = sorted((p for p in placed if p.col.keep > 0), key=lambda p: -p.col.keep)
    dropped: list[_Placed] = []
    while True:
        room = width - (3 * len(placed) + 1)
        if sum(p.natural for p in placed) <= room:
            for spot in placed:
                spot.width = spot.natural
            return placed
        if sum(p.least for p in placed) <= room or not leaving:
            # A small column that went before a bigger one may fit again beside what is left.
            for spot in sorted(dropped, key=lambda p: p.col.keep):
                if sum(p.least for p in placed) + spot.least + 3 <= room:
                    placed.append(spot)
                    placed.sort(key=lambda p: order[id(p)])
                    room -= 3
            _share(placed, room)
            return placed
        gone = leaving.pop(0)
        placed.remove(gone)
        host = next((p for p in placed if p.col.key == gone.col.fold_into), None)
        if host is None:
            dropped.append(gone)
        else:
            host.folded.append((gone.col, gone.cells, gone.sizes))
            # Under another column, free text wraps (a `whole` one stayed whole beside it).
            folded = replace(gone.col, whole=False) if gone.col.free else gone.col
            natural, least = _measure(folded, gone.cells, gone.sizes, heading=False)
            host.natural = max(host.natural, natural)
            host.least = max(host.least, least)


def _share(placed: list[_Placed], room: int) -> None:
    """Each column its least width, and what is left to those that would like more."""
    for spot in placed:
        spot.width = spot.least
    spare = room - sum(p.width for p in placed)
    if spare < 0:  # even the essentials do not fit: narrow the widest, cutting words
        for spot in sorted(placed, key=lambda p: -p.width):
            take = min(-spare, spot.width - 4)
            if take > 0:
                spot.width -= take
                spare += take
        return
    # Small wants are met in full (a heading kept on one line), big ones share what is left.
    wanting = sorted((p for p in placed if p.natural > p.width), key=lambda p: p.natural - p.width)
    for left, spot in enumerate(wanting):
        extra = min(spot.natural - spot.width, spare // (len(wanting) - left))
        spot.width += extra
        spare -= extra


# --- drawing -------------------------------------------------------------------------------------

_SGR = {"bold": "1", "dim": "2", "italic": "3", "red": "31", "green": "32", "yellow": "33"}


def sgr(style: str | None) -> str:
    codes = [_SGR[word] for word in (style or "").split() if word in _SGR]
    return f"\x1b[{';'.join(codes)}m" if codes else ""


def cell_lines(spot: _Placed, index: int) -> list[str]:
    """A cell as lines padded to the column's width (the folded columns' text under it)."""
    width, squeezed = spot.width, spot.width < spot.least  # squeezed: words must be cut
    size = spot.sizes[index]
    if size <= width:  # the usual case: one line, its width already known
        lines = [spot.cells[index] + " " * (width - size)]
    elif spot.col.shorten:
        lines = [pad(shorten(spot.cells[index], width, spot.col.shorten == "middle"), width)]
    else:
        lines = [
            pad(line, width) for line in wrap(spot.cells[index], width, spot.col.free or squeezed)
        ]
    for col, cells, sizes in spot.folded:
        if cells[index]:
            if sizes[index] <= width:
                lines.append(cells[index] + " " * (width - sizes[index]))
            else:
                lines += [
                    pad(line, width) for line in wrap(cells[index], width, col.free or squeezed)
                ]
    return lines


def heading_lines(placed: list[_Placed]) -> list[list[str]]:
    """Each column's heading as lines padded to its width, every column as many lines."""
    heads = [wrap(p.col.heading, p.width, True) for p in placed]
    height = max(map(len, heads))
    return [
        [pad(h[line] if line < len(h) else "", p.width) for line in range(height)]
        for h, p in zip(heads, placed, strict=True)
    ]


def draw(
    placed: list[_Placed],
    rows: int,
    title: str | None,
    width: int,
    row_style: Callable[[int], str | None] | None = None,
    colour: bool = False,
) -> list[str]:
    """The table as lines of text, with the heavy head and light body of Rich's default box."""
    widths = [p.width for p in placed]
    table_width = sum(widths) + 3 * len(widths) + 1
    out = []
    if title:
        if text_width(title) <= table_width:
            out.append(pad(title, table_width))
        else:
            out += wrap(title, max(width, 1), cut_long_words=False)
        if colour:
            out[-1] = f"{sgr('italic')}{out[-1]}\x1b[0m"
    out.append("┏" + "┳".join("━" * (w + 2) for w in widths) + "┓")
    bold = sgr("bold") if colour else ""
    for texts in zip(*heading_lines(placed), strict=True):
        if bold:
            texts = [f"{bold}{t}\x1b[0m" for t in texts]
        out.append("┃ " + " ┃ ".join(texts) + " ┃")
    out.append("┡" + "╇".join("━" * (w + 2) for w in widths) + "┩")
    blanks = [" " * w for w in widths]
    for index in range(rows):
        cells = [cell_lines(spot, index) for spot in placed]
        start = sgr(row_style(index)) if colour and row_style else ""
        height = max(map(len, cells))
        for line in range(height):
            if height == 1:
                texts = [cell[0] for cell in cells]
            else:
                texts = [
                    cell[line] if line < len(cell) else blank
                    for cell, blank in zip(cells, blanks, strict=True)
                ]
            if start:
                texts = [f"{start}{t}\x1b[0m" for t in texts]
            out.append("│ " + " │ ".join(texts) + " │")
    out.append("└" + "┴".join("─" * (w + 2) for w in widths) + "┘")
    return out


def fits_in_full(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Col | tuple[str, str]],
    text: Callable[[Any], str],
    width: int | None = None,
) -> bool:
    """Whether every column (with anything in it) fits at its natural width: one line a row."""
    width = width or terminal_width()
    cols = [as_col(column, position) for position, column in enumerate(columns)]
    used = 1
    for col in cols:
        widths = [text_width(clean(text(row.get(col.key)))) for row in rows]
        if any(widths):
            used += 3 + max(max(widths), text_width(col.heading))
    return used <= width


def layout(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Col | tuple[str, str]],
    text: Callable[[Any], str],
    width: int,
) -> list[_Placed]:
    """Lay out `rows` (dicts) under `columns`; a column with nothing in it is left out."""
    cols = [as_col(column, position) for position, column in enumerate(columns)]
    cells = {col.key: [clean(text(row.get(col.key))) for row in rows] for col in cols}
    cols = [col for col in cols if any(cells[col.key])]
    return fit(cols, cells, width)


def table_lines(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Col | tuple[str, str]],
    text: Callable[[Any], str],
    title: str | None = None,
    row_style: Callable[[dict[str, Any]], str | None] | None = None,
    colour: bool = False,
    width: int | None = None,
) -> list[str]:
    """Lay out and draw `rows` as lines of text (our own line writer)."""
    width = width or terminal_width()
    style = (lambda index: row_style(rows[index])) if row_style else None
    return draw(layout(rows, columns, text, width), len(rows), title, width, style, colour)


# --- printing ------------------------------------------------------------------------------------

# The footer under a table cut at a screenful, (one row, more rows): its advice must be true
# for the command it is under, so a command whose `--all` shows every row says so.
MORE_WITH_ALL = (
    N_(
        "1 more row is not shown: add --all to see it, or page through the whole list "
        "with '| less'."
    ),
    N_(
        "{count} more rows are not shown: add --all to see them all, or page through the "
        "whole list with '| less'."
    ),
)
MORE_WITH_PAGER = (
    N_("1 more row is not shown: page through the whole list with '| less'."),
    N_("{count} more rows are not shown: page through the whole list with '| less'."),
)
FOOTERS = {"all": MORE_WITH_ALL, "pager": MORE_WITH_PAGER}
RICH_MOST = 100  # rows Rich draws; a longer table (a pipe, --all) is written by `draw`


def more_rows(count: int, more: tuple[str, str]) -> str:
    """The footer's sentence for `count` rows left off."""
    return _(more[0] if count == 1 else more[1]).format(count=count)


def screen_height() -> int | None:
    """The terminal's height in lines (LINES when set), or None when stdout is no terminal."""
    if not sys.stdout.isatty():
        return None
    value = os.environ.get("LINES", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).lines


def _screenful(
    placed: list[_Placed], total: int, title: str | None, width: int, height: int, footer: str
) -> int:
    """How many of the rows laid out fit the screen under the title and headings, with the
    footer (when some are left off) and the shell's prompt below."""
    table_width = sum(p.width for p in placed) + 3 * len(placed) + 1
    fixed = 3 + 1 + len(heading_lines(placed)[0])  # three borders, the prompt, the headings
    if title:
        fixed += 1 if text_width(title) <= table_width else len(wrap(title, width, False))
    laid_out = len(placed[0].cells)
    heights = [max(len(cell_lines(spot, index)) for spot in placed) for index in range(laid_out)]
    if laid_out == total and sum(heights) <= height - fixed:
        return total
    room, shown = height - fixed - len(break_lines(footer, width)), 0
    for size in heights:
        if size > room:
            break
        room -= size
        shown += 1
    return max(shown, 1)


def write_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column | Col],
    title: str | None = None,
    empty: str = N_("nothing to show"),
    row_style: Callable[[dict[str, Any]], str | None] | None = None,
    more: str | None = "pager",
) -> None:
    """A table laid out for the terminal's width; cells are never markup. On a terminal, a
    table longer than the screen is cut at a screenful with `more`'s footer saying how many
    rows are left and how to see them: "all" (the command's --all shows every row) or
    "pager"; `more=None` (--all given) cuts nothing. Off a terminal every row is written."""
    from followup_cli.output.terminal import colour_on, message

    if not rows:
        print(_(empty))
        return
    shown_rows, headings, style = for_reader(rows, columns, row_style)
    title = strip_controls(title) if title else title
    width = terminal_width()
    height = screen_height() if more is not None else None
    laid_out = shown_rows if height is None else shown_rows[:height]
    placed = layout(laid_out, headings, cell_text, width)
    count = len(laid_out)
    footer = FOOTERS[more] if more is not None else MORE_WITH_PAGER
    if height is not None:
        longest = more_rows(len(shown_rows), footer)
        count = _screenful(placed, len(shown_rows), title, width, height, longest)
    by_index = (lambda index: style(shown_rows[index])) if style else None
    if count <= RICH_MOST:
        from followup_cli.output.drawing import rich_table

        widths = [spot.width for spot in placed]
        above: list[str] = []
        if title and text_width(title) > sum(widths) + 3 * len(widths) + 1:
            above, title = wrap(title, max(width, 1), cut_long_words=False), None
        body = ([cell_lines(spot, index) for spot in placed] for index in range(count))
        styles = (by_index(index) for index in range(count)) if by_index else ()
        rich_table(widths, heading_lines(placed), body, title, above, width, styles, colour_on())
    else:
        lines = draw(placed, count, title, width, by_index, colour_on())
        sys.stdout.write("\n".join(lines) + "\n")
    if count < len(shown_rows):
        message(more_rows(len(shown_rows) - count, footer))


def cell_text(value: Any) -> str:
    """A cell's value as the text a table draws."""
    return strip_controls(str(cell_value(value)))


def for_reader(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column | Col],
    row_style: Callable[[dict[str, Any]], str | None] | None,
) -> tuple[list[dict[str, Any]], list[Column | Col], Any]:
    """Rows, headings and row styles as a person reads them: stored English values (tiers,
    statuses, outcomes, reasons) and headings in the chosen language; styles from the
    stored values."""
    from followup_cli.i18n import language

    if language() == "en":
        return list(rows), list(columns), row_style
    headings = [
        replace(c, heading=_(c.heading)) if not isinstance(c, tuple) else (c[0], _(c[1]))
        for c in columns
    ]
    in_words = [{key: shown(key, value) for key, value in row.items()} for row in rows]
    if row_style is None:
        return in_words, headings, None
    stored = {id(s): row for s, row in zip(in_words, rows, strict=True)}
    return in_words, headings, lambda row: row_style(stored[id(row)])
