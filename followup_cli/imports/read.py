"""Reading a shop's file: its bytes, their encoding, its rows; CSV/TSV text or a workbook.

Everything is read from one open file, however many times the import goes over its rows (the
header search, the row count, the date order, the rows themselves, the read-ahead child): a
file saved over the old one (the usual swap) leaves this import reading the version it
started with, and a file rewritten in place is refused in one line, never read half old and
half new. Rows the reader cannot take (a stray byte, a line of megabytes) are handed on as
`UnreadableRow`s, rejected with their line, and the rest of the file imports.

The pieces the workbook reader and the encoding detector share with this one (the open
file, the table, the header search) sit below them all in opened.py.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

from followup_cli.errors import EXIT_NOTHING_IMPORTED, FollowupError
from followup_cli.i18n import _
from followup_cli.imports import opened
from followup_cli.imports.encodings import detect_encoding
from followup_cli.imports.opened import (
    CHUNK,
    HEADER_SEARCH,
    STRAY,
    WORKBOOK_MAGIC,
    WORKBOOK_SUFFIXES,
    BrokenRow,
    OpenFile,
    Row,
    Table,
    UnreadableRow,
)
from followup_cli.imports.workbook import read_workbook

LINE_LIMIT = 1_000_000  # characters; a longer line is rejected without being held in memory


# --- the table ---------------------------------------------------------------------------


def check_importable(path: Path) -> None:
    """A file that is there and can be read more than once, checked before anything else
    (before a new database is made for an import that cannot start)."""
    if not path.exists():
        raise FollowupError(
            _("file {path} does not exist").format(path=path), EXIT_NOTHING_IMPORTED
        )
    if path.is_dir():
        raise FollowupError(
            _("{path} is a folder, not a file").format(path=path), EXIT_NOTHING_IMPORTED
        )
    if not path.is_file():  # a pipe gives its rows once; an import reads the file more often
        raise FollowupError(
            _(
                "{path} is a pipe or a device, not a file: save what it gives to a file and "
                "import that"
            ).format(path=path),
            EXIT_NOTHING_IMPORTED,
        )


_STDIN_FOLDER = "followup-stdin-"


def shown_path(path: Path) -> str:
    """How a file is named in messages and the import history: `-` for standard input."""
    if path.name == "stdin" and path.parent.name.startswith(_STDIN_FOLDER):
        return "-"
    return str(path)


@contextlib.contextmanager
def standard_input_copy() -> Iterator[Path]:
    """`import customers -`: what a cron pipe hands over, kept in a private file for the
    import's passes (an import reads its file more than once), and removed afterwards."""
    import shutil
    import sys
    import tempfile

    if sys.stdin is None or sys.stdin.isatty():
        raise FollowupError(
            _(
                "'-' reads the file from standard input, and nothing is piped in: "
                "followup import customers - < members.csv"
            ),
            EXIT_NOTHING_IMPORTED,
        )
    folder = Path(tempfile.mkdtemp(prefix=_STDIN_FOLDER))  # 0700: yours only
    copy = folder / "stdin"
    try:
        with copy.open("wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_table(
    path: Path,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    is_header: Callable[[list[str]], bool] | None = None,
) -> Table:
    """Any file a shop hands over: CSV/TSV text in the usual encodings, or a workbook
    (.xlsx, .xls, .ods)."""
    check_importable(path)
    source = OpenFile(path)
    data = source.read_at(0, CHUNK)
    if not data.strip() and not source.read_at(len(data), 1):
        raise FollowupError(_("file {path} is empty").format(path=path), EXIT_NOTHING_IMPORTED)
    suffix = path.suffix.lower()
    if data.startswith(WORKBOOK_MAGIC) or suffix in WORKBOOK_SUFFIXES:
        table = read_workbook(source, sheet, header_row, is_header)
    else:
        if sheet is not None:
            raise FollowupError(_("--sheet is only for Excel workbooks"), EXIT_NOTHING_IMPORTED)
        table = _read_text(source, encoding, delimiter, header_row, is_header)
    table.size = source.size
    return table


def _read_text(
    source: OpenFile,
    encoding: str | None,
    delimiter: str | None,
    header_row: int | None,
    is_header: Callable[[list[str]], bool] | None,
) -> Table:
    used, tolerant = detect_encoding(source, encoding)
    errors = "surrogateescape" if tolerant else "strict"
    with source.text(used, errors) as handle:
        chosen = delimiter or sniff_delimiter(handle.read(64 * 1024))
    return opened.with_header(  # looked up when called: a test steps in after the header
        lambda: _csv_rows(source, used, chosen, tolerant),
        used,
        chosen,
        source.path,
        header_row,
        is_header,
    )


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter that splits the first lines into the most cells (the header may
    come after a title line that has none)."""
    lines = [line for line in text.splitlines() if line.strip()][:HEADER_SEARCH]
    counts = {d: max((line.count(d) for line in lines), default=0) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# --- CSV rows ------------------------------------------------------------------------------


def _lines(handle: io.TextIOWrapper, overlong: list[int]) -> Iterator[str]:
    """The file's lines, none longer than LINE_LIMIT: a longer one is read past in pieces
    (memory stays bounded), noted in `overlong`, and stands as an empty line."""
    number = 0
    while line := handle.readline(LINE_LIMIT):
        number += 1
        if len(line) >= LINE_LIMIT and not line.endswith(("\n", "\r")):
            while (more := handle.readline(LINE_LIMIT)) and not more.endswith(("\n", "\r")):
                pass
            overlong.append(number)
            line = "\n"
        yield line


def _unreadable(line: int, cells: list[str] | None) -> Row:
    """A row that cannot be imported as it stands: a line too long, or a stray byte."""
    if cells is None:
        reason = _(
            "the line is over {most} characters long (a cell this long is a broken export, "
            "not a customer detail)"
        )
        return line, UnreadableRow([], reason.format(most=LINE_LIMIT))
    byte = next(STRAY.finditer("".join(cells))).group()
    reason = _(
        "byte 0x{byte:02x} here is not UTF-8, as the rest of the file is: re-type this row, "
        "or name the file's encoding with --encoding"
    )
    return line, UnreadableRow(cells, reason.format(byte=ord(byte) - 0xDC00))


def _stray(cells: list[str]) -> bool:
    return any(STRAY.search(cell) for cell in cells)


def _csv_rows(source: OpenFile, encoding: str, delimiter: str, tolerant: bool) -> Iterator[Row]:
    """Non-blank rows with the line each starts on, read straight by the csv module while
    every row is one line (nearly every export); from the first row over several lines on,
    the careful reader below takes over (it reads the rows before it again and skips them)."""
    csv.field_size_limit(LINE_LIMIT)
    yielded = 0
    errors = "surrogateescape" if tolerant else "strict"
    overlong: list[int] = []
    with source.text(encoding, errors) as handle:
        reader = csv.reader(_lines(handle, overlong), delimiter=delimiter)
        line = 0
        try:
            for cells in reader:
                line += 1
                if reader.line_num != line:
                    break  # a quoted cell over several lines: maybe a quote never closed
                if overlong:
                    overlong.clear()
                    yielded += 1
                    yield _unreadable(line, None)
                elif tolerant and _stray(cells):
                    yielded += 1
                    yield _unreadable(line, cells)
                elif "".join(cells).strip():
                    yielded += 1
                    yield line, cells
            else:
                return
        except csv.Error as exc:
            raise FollowupError(
                _("line {number}: cannot read CSV ({exc})").format(number=reader.line_num, exc=exc),
                EXIT_NOTHING_IMPORTED,
            ) from None
    careful = _careful_csv_rows(source, encoding, delimiter, tolerant)
    yield from itertools.islice(careful, yielded, None)


def _careful_csv_rows(
    source: OpenFile, encoding: str, delimiter: str, tolerant: bool
) -> Iterator[Row]:
    """Non-blank rows with the line each starts on (a quoted cell may span lines).

    A quote that is never closed would swallow the rest of the file into one cell: when a
    row runs over lines that look like rows themselves (as many delimiters as the first
    row has), it is yielded as a `BrokenRow` of its first line, and reading resumes on the
    next line.
    """
    csv.field_size_limit(LINE_LIMIT)
    errors = "surrogateescape" if tolerant else "strict"
    overlong: list[int] = []
    with source.text(encoding, errors) as handle:
        lines = _Lines(_lines(handle, overlong))
        reader = csv.reader(lines, delimiter=delimiter)
        width = 0
        while True:
            lines.taken.clear()
            start = lines.number + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FollowupError(
                    _("line {number}: cannot read CSV ({exc})").format(
                        number=lines.number, exc=exc
                    ),
                    EXIT_NOTHING_IMPORTED,
                ) from None
            for number in overlong:
                yield _unreadable(number, None)
            overlong.clear()
            taken = list(lines.taken)
            if len(taken) > 1 and width > 2:
                rowlike = sum(1 for line in taken[1:] if line.count(delimiter) >= width - 1)
                if rowlike:
                    first_line = taken[0].rstrip("\r\n")
                    lines.push_back(taken[1:], start)
                    reader = csv.reader(lines, delimiter=delimiter)
                    yield start, BrokenRow(first_line.split(delimiter))
                    continue
            if any(cell.strip() for cell in cells):
                width = max(width, len(cells))
                yield _unreadable(start, cells) if tolerant and _stray(cells) else (start, cells)


class _Lines:
    """The file's lines for csv.reader, counted, with the lines of the last row kept so a
    broken row's lines can be read again."""

    def __init__(self, handle: Iterator[str]) -> None:
        self.handle = handle
        self.number = 0
        self.taken: list[str] = []
        self.pending: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.pending.pop() if self.pending else next(self.handle)
        self.number += 1
        self.taken.append(line)
        return line

    def push_back(self, lines: list[str], first_number: int) -> None:
        self.pending.extend(reversed(lines))
        self.number = first_number
