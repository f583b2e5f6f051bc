"""Reading a workbook (.xlsx, .xls, .ods) with python-calamine, a Rust reader about seven
times faster than openpyxl, imported here only (openpyxl stays, for writing workbooks).

The cells are trusted, never the sheet's `<dimension>` tag (a tag of `A1:C100` over 500 rows
is 500 rows; a tag of `A1` is not "no rows"). The sheet is loaded once from the one open file
and its rows are walked from that copy on every pass, so the header and the rows always come
from one version of the file. A workbook that would take gigabytes is refused before it is
loaded: a zip bomb, or a sheet with one cell in its far corner (the reader lays a sheet out
as a full grid, 32 bytes a cell).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from followup_cli.errors import EXIT_NOTHING_IMPORTED, FollowupError
from followup_cli.i18n import _
from followup_cli.imports import opened
from followup_cli.imports.encodings import ARCHIVE
from followup_cli.imports.opened import OpenFile, Row, Table

XLSX_MAX_UNCOMPRESSED = 1 << 30  # bytes, all parts together (a 1M-row export is ~600 MB)
XLSX_MAX_RATIO = 100  # a part over 50 MB packed tighter than this is a bomb (real ones: 5-20)
XLSX_MAX_CELLS = 50_000_000  # 1M rows of 50 columns


def read_workbook(
    source: OpenFile,
    sheet: str | None,
    header_row: int | None = None,
    is_header: Callable[[list[str]], bool] | None = None,
) -> Table:
    """The first sheet (or the named one); date cells arrive as real dates, not text."""
    kind = _kind(source)
    if kind != "xls":
        _refuse_bombs(source, kind)
    grid = _load_sheet(source, sheet)
    if next(_sheet_rows(grid), None) is None:
        raise FollowupError(
            _("the sheet in {path} is empty").format(path=source.path), EXIT_NOTHING_IMPORTED
        )
    return opened.with_header(  # looked up when called, as the text reader does
        lambda: _sheet_rows(grid), kind, "", source.path, header_row, is_header
    )


def _kind(source: OpenFile) -> str:
    """xlsx, xls or ods, from the file's bytes (a renamed file is read as what it is)."""
    head = source.read_at(0, 128)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PK\x03\x04") and b"opendocument.spreadsheet" in head:
        return "ods"
    return "xlsx"


def _too_big(source: OpenFile, what: str) -> FollowupError:
    return FollowupError(
        _("{path} is not imported: {what} (an absurd workbook, or a zip bomb)").format(
            path=source.path, what=what
        ),
        EXIT_NOTHING_IMPORTED,
    )


def _refuse_bombs(source: OpenFile, kind: str) -> None:
    try:
        with zipfile.ZipFile(source.binary()) as archive:
            parts = archive.infolist()
            unpacked = sum(part.file_size for part in parts)
            if unpacked > XLSX_MAX_UNCOMPRESSED:
                raise _too_big(source, _("it unpacks to {size} MB").format(size=unpacked >> 20))
            for part in parts:
                if (
                    part.file_size > 50 << 20
                    and part.file_size > XLSX_MAX_RATIO * part.compress_size
                ):
                    raise _too_big(
                        source,
                        _("{part} unpacks to {size} MB from {packed} KB").format(
                            part=part.filename,
                            size=part.file_size >> 20,
                            packed=part.compress_size >> 10,
                        ),
                    )
            if kind == "xlsx":
                for part in parts:
                    if part.filename.startswith("xl/worksheets/") and part.filename.endswith(
                        ".xml"
                    ):
                        cells = _xlsx_extent(archive, part)
                        if cells > XLSX_MAX_CELLS:
                            raise _too_big(
                                source, _("its sheet spans {count} cells").format(count=cells)
                            )
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        return  # not a zip after all: the reader below says what is wrong with it


_ROW_REF = re.compile(rb'<row r="(\d+)"')
_WIDE_REF = re.compile(rb'<c r="([A-Z]{2,3})\d')


def _xlsx_extent(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> int:
    """Rows x columns of the grid the reader would lay out for a sheet, from its cells'
    own positions (not its `<dimension>` claim): one pass over the sheet's XML at C speed,
    with Python looking only at row starts and at columns past Z."""
    last_row = widest = 0
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            rows = _ROW_REF.findall(data)
            if rows:
                last_row = max(last_row, int(rows[-1]))
            for letters in set(_WIDE_REF.findall(data)):
                widest = max(widest, _column_number(letters))
            tail = data[-32:]
    return last_row * max(widest, 26)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _load_sheet(source: OpenFile, sheet: str | None) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(source.binary())
    except FollowupError:
        raise
    except Exception as exc:  # an untrusted file can break the reader in many ways
        reason = _reason(exc)
        if source.path.suffix.lower() not in opened.WORKBOOK_SUFFIXES:
            # a zip or an old Office file under another name: no table an owner meant
            raise FollowupError(_(ARCHIVE), EXIT_NOTHING_IMPORTED) from None
        if not source.read_at(0, 4).startswith(opened.WORKBOOK_MAGIC):
            # the reader's own words for "this is no workbook at all": said in the shop's
            raise FollowupError(
                _(
                    "{path} is not an Excel workbook, though its name says so: open it in "
                    "Excel or WPS and save it as .xlsx or CSV"
                ).format(path=source.path),
                EXIT_NOTHING_IMPORTED,
            ) from None
        raise FollowupError(
            _("{path} is not a readable Excel workbook ({reason})").format(
                path=source.path, reason=reason
            ),
            EXIT_NOTHING_IMPORTED,
        ) from None
    try:
        if sheet is not None and sheet not in workbook.sheet_names:
            names = ", ".join(workbook.sheet_names)
            raise FollowupError(
                _("no sheet {sheet!r} in {path} (sheets: {names})").format(
                    sheet=sheet, path=source.path, names=names
                ),
                EXIT_NOTHING_IMPORTED,
            )
        try:
            if sheet is None:
                grid = workbook.get_sheet_by_index(0)
            else:
                grid = workbook.get_sheet_by_name(sheet)
        except Exception as exc:  # a damaged sheet inside a valid zip
            raise FollowupError(
                _("{path}: cannot read the sheet ({name})").format(
                    path=source.path, name=_reason(exc)
                ),
                EXIT_NOTHING_IMPORTED,
            ) from None
    finally:
        workbook.close()
    cells = grid.height * grid.width
    if cells > XLSX_MAX_CELLS:
        raise _too_big(source, _("its sheet holds over {count} cells").format(count=cells))
    return grid


def _reason(exc: Exception) -> str:
    return str(exc).split("\n")[0].split(".")[0][:200] or type(exc).__name__


def _sheet_rows(grid: Any) -> Iterator[Row]:
    """Non-blank rows with their number in the sheet (the reader starts at its first row,
    blank or not, so a title line keeps its number)."""
    for number, values in enumerate(grid.iter_rows(), start=1):
        cells = [cell_text(value) for value in values]
        if any(cell.strip() for cell in cells):
            yield number, cells


def cell_text(value: object) -> str:
    """A cell as the text a CSV export would hold: dates ISO, whole numbers without `.0`
    and without an exponent (a phone 13800138000 stored as a number reads back exactly)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)
