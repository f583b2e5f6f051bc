"""Reading any file a shop has: old and new Excel and OpenDocument workbooks cell by cell, a
file that changes under the import, stray bytes, files in another encoding, huge cells."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from followup_cli.imports import opened
from followup_cli.imports import run as imports

TITLE = "会员资料导出"  # Chinese back offices put a title line and a blank line first
HEADER = ["客户编号", "姓名", "手机号", "首次购买日期", "备注"]
ROWS = [
    # a long card number and a phone stored as numbers (floats), a date cell
    [620000123456789.0, "王芳", 13800138000.0, date(2024, 3, 5), "喜欢乌龙"],
    ["M002", "李娜", "139 0013 9002", datetime(2024, 6, 1, 15, 30), 12.5],
]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def write_xls(path: Path, rows: list[list[object]]) -> Path:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("会员")
    dated = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write(r, c, value, dated)
            elif value is not None:
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def _ods_cell(value: object) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, date):
        day = value.isoformat()
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{day}">'
            f"<text:p>{day}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value!r}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
        "</table:table-cell>"
    )


def write_ods(path: Path, rows: list[list[object]]) -> Path:
    """An .ods laid out as LibreOffice saves one: every row padded with a repeated empty
    cell, and a million repeated empty rows after the last one."""
    empty_tail = '<table:table-cell table:number-columns-repeated="1018"/>'
    body = "".join(
        "<table:table-row>" + "".join(map(_ods_cell, row)) + empty_tail + "</table:table-row>"
        for row in rows
    )
    body += (
        '<table:table-row table:number-rows-repeated="1048000">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="会员">'
        f"{body}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        mimetype = "application/vnd.oasis.opendocument.spreadsheet"
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


WRITERS = {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_every_workbook_format_reads_its_cells_as_the_shop_typed_them(cli, tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"会员.{kind}", [[TITLE], [], HEADER, *ROWS])
    out = cli.json("import", "customers", str(path), "--date", "2025-01-01")
    assert (out["encoding"], out["header_line"], out["added"], out["rejected"]) == (
        kind,
        3,
        2,
        0,
    )
    first = cli.json("show", "620000123456789")  # not 6.20000123456789E+14, not ...789.0
    assert (first["name"], first["phone"], first["first_purchase"], first["notes"]) == (
        "王芳",
        "+8613800138000",  # the float 13800138000.0 reads back exactly
        "2024-03-05",
        "喜欢乌龙",
    )
    second = cli.json("show", "M002")
    assert (second["phone"], second["first_purchase"], second["notes"]) == (
        "+8613900139002",
        "2024-06-01",  # a date-and-time cell is its day
        "12.5",
    )


def _with_dimension(source: Path, target: Path, ref: str) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
                assert f'<dimension ref="{ref}"'.encode() in data
            new.writestr(item.filename, data)
    return target


@pytest.mark.parametrize("ref", ["A1:C100", "A1"])
def test_a_workbook_is_read_by_its_cells_not_by_its_dimension_tag(cli, tmp_path, ref):
    rows = [["id", "name", "phone"]]
    rows += [[f"D{n:03}", f"顾客{n}", 13800000000 + n] for n in range(1, 501)]
    honest = write_xlsx(tmp_path / "honest.xlsx", rows)
    lying = _with_dimension(honest, tmp_path / "lying.xlsx", ref)
    out = cli.json("import", "customers", str(lying), "--date", "2025-01-01")
    assert (out["read"], out["added"], out["rejected"]) == (500, 500, 0)
    assert cli.json("show", "D500")["phone"] == "+8613800000500"


def test_a_workbook_with_only_a_header_says_so(cli, tmp_path):
    path = write_ods(tmp_path / "empty.ods", [["id", "name", "phone"]])
    result = cli("import", "customers", str(path), code=4)
    assert result.stderr == f"followup: error: file {path} has a header line but no rows\n"


def test_a_damaged_old_excel_file_is_refused_in_one_line(cli, tmp_path):
    path = tmp_path / "broken.xls"
    path.write_bytes(write_xls(tmp_path / "good.xls", [HEADER, *ROWS]).read_bytes()[:600])
    result = cli("import", "customers", str(path), code=4)
    assert result.stderr.startswith(f"followup: error: {path} is not a readable Excel workbook (")
    assert result.stderr.count("\n") == 1
    assert cli.json("export", "customers") == []


# --- the file changes under the import ---------------------------------------------------

ORDER_ONE = "id,name,notes\n" + "".join(f"S{n},Name {n},Note {n}\n" for n in range(1, 201))
ORDER_TWO = "id,notes,name\n" + "".join(f"S{n},Note {n},Name {n}\n" for n in range(1, 201))


def _after_the_header(monkeypatch, change) -> None:
    """Run `change()` once the header has been read and before the rows are."""
    found = opened.with_header

    def and_then_change(*args, **kwargs):
        table = found(*args, **kwargs)
        change()
        return table

    monkeypatch.setattr(opened, "with_header", and_then_change)


@pytest.mark.parametrize("ahead", [False, True], ids=["here", "read-ahead"])
def test_a_file_saved_over_during_the_import_is_read_as_it_was_opened(
    cli, tmp_path, monkeypatch, ahead
):
    if ahead:
        monkeypatch.setattr(imports, "READ_AHEAD_BYTES", 0)
    path = tmp_path / "nightly.csv"
    path.write_text(ORDER_ONE, encoding="utf-8")
    newer = tmp_path / "nightly.csv.part"
    newer.write_text(ORDER_TWO, encoding="utf-8")
    _after_the_header(monkeypatch, lambda: os.replace(newer, path))  # how exports are saved
    out = cli.json("import", "customers", str(path), "--date", "2025-01-01")
    assert (out["added"], out["rejected"]) == (200, 0)
    shown = cli.json("show", "S7")
    assert (shown["name"], shown["notes"]) == ("Name 7", "Note 7")  # never swapped


@pytest.mark.parametrize("ahead", [False, True], ids=["here", "read-ahead"])
def test_a_file_rewritten_in_place_during_the_import_is_refused_and_nothing_is_written(
    cli, tmp_path, monkeypatch, ahead
):
    if ahead:
        monkeypatch.setattr(imports, "READ_AHEAD_BYTES", 0)
    path = tmp_path / "nightly.csv"
    path.write_text(ORDER_ONE, encoding="utf-8")

    def rewrite() -> None:
        with path.open("w", encoding="utf-8") as handle:  # same file, new bytes
            handle.write(ORDER_TWO + "S201,Note 201,Name 201\n")

    _after_the_header(monkeypatch, rewrite)
    result = cli("import", "customers", str(path), "--date", "2025-01-01", code=4)
    assert result.stderr == (
        f"followup: error: {path} changed while it was being read (saved again, or still being "
        "written): nothing was imported from it; import it again once it is saved\n"
    )
    assert cli.json("export", "customers") == []


# --- bytes and encodings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        (
            "cp1252",
            "id,name,phone\nE1,Jürgen Müller,+4915112345678\nE2,Renée Dubois,+33612345678\n",
        ),
        ("cp1252", "id,name,phone\nE1,José Müller,+34612345678\n"),  # not even GB18030
        (
            "big5",
            "id,name,phone\nB1,陳美玲,0912345678\nB2,林志明,0922333444\nB3,王小華,0933222111\n",
        ),
        (
            "shift_jis",
            "id,name,phone\nJ1,さとう はなこ,09012345678\nJ2,タナカ タロウ,08011112222\n",
        ),
    ],
)
def test_a_file_in_another_encoding_is_refused_with_the_encoding_to_name(
    cli, tmp_path, encoding, text
):
    path = tmp_path / "customers.csv"
    path.write_bytes(text.encode(encoding))
    result = cli("import", "customers", str(path), "--date", "2025-01-01", code=4)
    assert result.stderr == (
        "followup: error: file is not UTF-8, and read as Chinese GBK/GB18030 it would be "
        f"garbled: it looks like {encoding}; import it with --encoding {encoding}\n"
    )
    assert cli.json("export", "customers") == []  # no mojibake stored
    region = {"big5": "TW", "shift_jis": "JP"}.get(encoding, "DE")
    cli("import", "customers", str(path), "--encoding", encoding, "--region", region)
    first = cli.json("export", "customers")[0]
    assert first["name"] == text.splitlines()[1].split(",")[1]  # as named, it reads exactly


def test_chinese_gbk_files_with_rare_characters_and_latin_words_still_import(cli, tmp_path):
    text = (
        "客户编号,姓名,手机号,备注\n"
        "A1,王芳,13800138001,喜欢乌龙茶，每周来一次。\n"
        "A2,欧阳喆,13900139002,VIP客户\n"
        "A3,张伟,13700137004,买过iPhone手机壳\n"
    )
    path = tmp_path / "淘宝.csv"
    path.write_bytes(text.encode("gbk"))
    out = cli.json("import", "customers", str(path), "--date", "2025-01-01")
    assert (out["encoding"], out["added"]) == ("gb18030", 3)
    assert cli.json("show", "A2")["name"] == "欧阳喆"
    assert cli.json("show", "A3")["notes"] == "买过iPhone手机壳"


def test_a_stray_byte_in_a_purchases_file_rejects_that_row_only(cli, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("id,name,phone\nP1,王芳,13800138001\nP2,李娜,13800138002\n", "utf-8")
    cli("import", "customers", str(people), "--date", "2025-01-01")
    orders = tmp_path / "orders.csv"
    orders.write_bytes(
        "customer id,date,amount,note\nP1,2024-12-01,88,乌龙\n".encode()
        + b"P2,2024-12-02,66,caf\xe9\nP2,2024-12-03,77,\xe7\xbb\xbf\xe8\x8c\xb6\n"
    )
    result = cli("import", "purchases", str(orders), "--date", "2025-01-01", code=3)
    assert f"{orders}: line 3: byte 0xe9 here is not UTF-8" in result.stderr
    assert cli.json("show", "P2")["last_purchase"] == "2024-12-03"


# --- huge cells ------------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM (Linux)")
def test_a_100_mb_cell_rejects_its_row_and_the_rest_imports_in_bounded_memory(
    tmp_path, isolated_db
):
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as handle:  # written in pieces: this process stays small
        handle.write("id,name,phone,notes\nH1,王芳,13800138001,ok\nH2,李娜,13800138002,")
        for _ in range(100):
            handle.write("x" * (1 << 20))
        handle.write("\nH3,张伟,13800138003," + "y" * 200_000 + "\nH4,赵敏,13800138004,ok\n")
    # The rows are read in this one process (a forked reader would hide its memory), and the
    # high-water mark is the process's own (ru_maxrss carries pytest's over from exec).
    measure = (
        "import re, runpy, sys\n"
        "from followup_cli.imports import run as imports\n"
        "imports.READ_AHEAD_BYTES = 1 << 62\n"
        "sys.argv = ['followup', 'import', 'customers', sys.argv[1], '--date', '2025-01-01']\n"
        "try:\n"
        "    runpy.run_module('followup_cli', run_name='__main__')\n"
        "finally:\n"
        "    status = open('/proc/self/status').read()\n"
        "    peak = int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
        "    print(f'peak {peak // 1024} MB', file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", measure, str(path)],
        env={**os.environ, "FOLLOWUP_DB": str(isolated_db), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 3, done.stderr
    lines = done.stderr.splitlines()
    assert lines[:2] == [
        f"{path}: line 3: the line is over 1000000 characters long (a cell this long is a "
        "broken export, not a customer detail)",
        f"{path}: line 4: a cell is 200000 characters long (at most 10000)",
    ]
    assert "read 4, added 2, updated 0, unchanged 0, rejected 2" in done.stdout
    peak = int(lines[-1].split()[1])
    assert peak < 150, done.stderr  # the 100 MB line is never held whole


def test_rows_spoiled_by_a_stray_byte_go_to_the_rejects_file_readably(cli, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(
        "id,name,phone,notes\nW1,王芳,13800138001,喜欢乌龙茶每周来\n".encode()
        + "W2,李娜,13800138002,喜欢乌龙茶每周来\n".encode()
        + b'"W5,Ren\xe9e,13800138005,x\nW6,\xe5\xbc\xa0\xe4\xbc\x9f,13800138006,1\n'
        + b"W4,Ren\xe9e,13800138004,a\n"
    )
    rejects = tmp_path / "rejects.csv"
    args = ("import", "customers", str(path), "--rejects", str(rejects), "--date", "2025-01-01")
    cli(*args, code=3)
    rows = rejects.read_text(encoding="utf-8-sig").splitlines()
    assert rows[1] == (
        '"""W5",Ren\ufffde,13800138005,x,a quote opened on this line is never closed; the '
        "lines after it were read as rows"
    )
    assert rows[2].startswith('W4,Ren\ufffde,13800138004,a,"byte 0xe9 here is not UTF-8')
    assert [c["customer_id"] for c in cli.json("export", "customers")] == ["W1", "W2", "W6"]
