"""One file as it was opened, and the table of rows read from it.

The text reader (read.py) and the workbook reader (workbook.py) both hand their rows to
`with_header` and read through one `OpenFile`; the encoding detector samples the same
descriptor. They share these pieces from here, below all three, so none imports another
back. Every read goes through the one descriptor (`pread`): a file saved over mid-import is
read as it was opened, and one rewritten in place is refused (see `OpenFile.check`).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from followup_cli import wording
from followup_cli.errors import EXIT_NOTHING_IMPORTED, FollowupError
from followup_cli.i18n import _

Row = tuple[int, list[str]]  # (line number of the row's first line, its cells)

CHUNK = 1 << 20
# What a workbook is recognised by: its first bytes, else its name.
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # zip (.xlsx, .ods); OLE2 (old .xls)
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
HEADER_SEARCH = 30  # rows looked at for the header: title and export-time lines come first
STRAY = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, read as a lone surrogate


class UnreadableRow(list):
    """The cells (as far as they could be read) of a row that is rejected as it stands."""

    def __init__(self, cells: list[str], reason: str) -> None:
        super().__init__(STRAY.sub("\ufffd", cell) for cell in cells)  # shown, never re-encoded
        self.reason = reason


class BrokenRow(UnreadableRow):
    """The cells of a row whose quote is never closed: reported, and the lines after it
    are read as the rows they are."""

    def __init__(self, cells: list[str]) -> None:
        super().__init__(
            cells,
            _("a quote opened on this line is never closed; the lines after it were read as rows"),
        )


@dataclass
class Table:
    """A file's header, and its rows read afresh from the one open file each time: never
    all in memory (a workbook's cells are, once, in the reader's compact form)."""

    header: list[str]
    encoding: str
    delimiter: str
    source: Callable[[], Iterator[Row]]
    header_line: int = 1
    size: int = 0  # bytes of the file on disk (0: rows not read from a file, as `add` makes)

    def rows(self) -> Iterator[Row]:
        return self.source()

    def count(self) -> int:
        return sum(1 for _ in self.rows())


# --- one open file -------------------------------------------------------------------------


class OpenFile:
    """The file as it was opened: every read goes through this descriptor at its own
    offset (`pread`), so a forked reader and this process never move each other's place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            raise _cannot_read(path, exc) from None
        self.identity = self._identity()

    def _identity(self) -> tuple[int, int, int, int]:
        st = os.fstat(self.fd)
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    @property
    def size(self) -> int:
        return self.identity[2]

    def check(self) -> None:
        """Refuse a file written to while it is read: its rows would mix two versions."""
        if self._identity() != self.identity:
            raise FollowupError(
                _(
                    "{path} changed while it was being read (saved again, or still being "
                    "written): nothing was imported from it; import it again once it is saved"
                ).format(path=self.path),
                EXIT_NOTHING_IMPORTED,
            )

    def read_at(self, offset: int, size: int) -> bytes:
        try:
            return os.pread(self.fd, size, offset)
        except OSError as exc:
            raise _cannot_read(self.path, exc) from None

    def chunks(self) -> Iterator[bytes]:
        self.check()
        offset = 0
        while chunk := self.read_at(offset, CHUNK):
            offset += len(chunk)
            yield chunk
        self.check()

    def binary(self) -> io.BufferedReader:
        self.check()
        return io.BufferedReader(_Positioned(self), buffer_size=1 << 16)

    def text(self, encoding: str, errors: str = "strict") -> io.TextIOWrapper:
        return io.TextIOWrapper(self.binary(), encoding=encoding, errors=errors, newline="")

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        with contextlib.suppress(OSError):
            self.close()


class _Positioned(io.RawIOBase):
    """A raw stream over an OpenFile with a position of its own; the file's identity is
    checked again at its end, so a pass that saw a rewrite never finishes quietly."""

    def __init__(self, source: OpenFile) -> None:
        super().__init__()
        self.source = source
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.source.size}
        self.position = max(0, base[whence] + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        data = self.source.read_at(self.position, len(buffer))
        if not data:
            self.source.check()
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def _cannot_read(path: Path, exc: OSError) -> FollowupError:
    return FollowupError(
        _("cannot read {path}: {strerror}").format(path=path, strerror=wording.os_error(exc)),
        EXIT_NOTHING_IMPORTED,
    )


# --- the header ---------------------------------------------------------------------------


def with_header(
    rows: Callable[[], Iterator[Row]],
    encoding: str,
    delimiter: str,
    path: Path,
    header_row: int | None,
    is_header: Callable[[list[str]], bool] | None,
) -> Table:
    """Find the header: line `header_row` if given, else the first row among the first
    ones that looks like a header (Chinese back offices put a title and an export time above
    it), else the first row."""
    first: Row | None = None
    taken: Row | None = None
    position = 0
    for position, row in enumerate(rows()):
        if first is None:
            first = row
        if header_row is not None:
            if row[0] >= header_row:
                taken = row
                break
        elif is_header is None or is_header(row[1]):
            taken = row
            break
        if position >= HEADER_SEARCH:
            break
    if first is None:
        raise FollowupError(
            _("file {path} has no header line").format(path=path), EXIT_NOTHING_IMPORTED
        )
    if header_row is not None and (taken is None or taken[0] != header_row):
        raise FollowupError(
            _("line {line} of {path} is blank or not the start of a row").format(
                line=header_row, path=path
            ),
            EXIT_NOTHING_IMPORTED,
        )
    if taken is None:
        taken, position = first, 0
    skip = position

    def after_header() -> Iterator[Row]:
        source = rows()
        for _index in range(skip + 1):
            next(source, None)
        yield from source

    if next(after_header(), None) is None:  # a header and nothing under it: nothing to import
        raise FollowupError(
            _("file {path} has a header line but no rows").format(path=path),
            EXIT_NOTHING_IMPORTED,
        )
    return Table(list(taken[1]), encoding, delimiter, after_header, taken[0])
