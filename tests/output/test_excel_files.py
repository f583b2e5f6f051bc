"""Files for a person open right in Excel and WPS on a Chinese Windows: a real `.xlsx`, or
`--excel` CSV with a BOM; `--format csv|json` for scripts stays exactly as it was.

Excel opens a CSV without a BOM in the system code page (GBK, cp936, on a Chinese Windows):
the tests decode the files the way it does.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from followup_cli import i18n

MEMBERS = (
    "id,name,phone,tier,first_purchase,last_purchase,notes\n"
    "K1,王芳🌸,13800138001,老客户,2025-01-03,2025-11-20,=1+2\n"
    "K2,李娜,13900139002,vip,2025-02-01,2025-10-01,\n"
)
SALES = "customer id,date,amount\nK1,2025-11-20,1280\nK1,2025-06-02,99.5\n"
DAY = ("--date", "2025-12-01")


@pytest.fixture(autouse=True)
def english_again():
    yield
    i18n.set_language("en")


def _shop(cli, tmp_path) -> None:
    (tmp_path / "members.csv").write_text(MEMBERS, encoding="utf-8")
    (tmp_path / "sales.csv").write_text(SALES, encoding="utf-8")
    cli("import", "customers", str(tmp_path / "members.csv"), *DAY)
    cli("import", "purchases", str(tmp_path / "sales.csv"), *DAY)
    cli("log", "K1", "reached", "--note", "要报价", *DAY)


def _sheet(path):
    return [list(row) for row in load_workbook(path).active.iter_rows()]


def test_customers_as_a_workbook_read_back_in_chinese_with_dates_and_money(cli, tmp_path):
    _shop(cli, tmp_path)
    target = tmp_path / "客户.xlsx"
    cli("--lang", "zh", "export", "customers", "-o", str(target))
    rows = _sheet(target)
    headings = [c.value for c in rows[0]]
    assert headings[:9] == [
        "客户编号", "姓名", "电话", "邮件", "等级", "负责人", "首次购买", "最近购买", "加入日期",
    ]  # fmt: skip
    k1 = {h: c for h, c in zip(headings, rows[1], strict=True)}
    assert k1["姓名"].value == "王芳🌸"
    assert k1["等级"].value == "老客户"
    assert k1["状态"].value == "活跃"
    assert k1["首次购买"].value.date().isoformat() == "2025-01-03"
    assert k1["首次购买"].number_format == "yyyy-mm-dd"
    # spend 1 280 + 99.50 = 1 379.50, a number shown as money
    assert (k1["消费金额"].value, k1["消费金额"].number_format) == (1379.5, "¥#,##0.00")
    # a note that looks like a formula is text, never run
    assert (k1["备注"].value, k1["备注"].data_type) == ("=1+2", "s")
    k2 = {h: c.value for h, c in zip(headings, rows[2], strict=True)}
    assert (k2["姓名"], k2["等级"], k2["消费金额"]) == ("李娜", "VIP客户", None)


def test_excel_csv_has_a_bom_and_reads_right_where_a_plain_csv_is_mojibake(cli, tmp_path):
    _shop(cli, tmp_path)
    target = tmp_path / "客户.csv"
    cli("--lang", "zh", "export", "customers", "--excel", "-o", str(target))
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel and WPS read UTF-8 when the BOM says so
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows[0]
    k1 = dict(zip(header, rows[1], strict=True))
    assert (k1["姓名"], k1["等级"], k1["消费金额"], k1["备注"]) == (
        "王芳🌸", "老客户", "1379.50", "'=1+2",
    )  # fmt: skip
    # the script's CSV has no BOM: Excel on a Chinese Windows reads it as GBK, and the names
    # come out wrong (that is what --excel and .xlsx are for)
    plain = cli("--lang", "zh", "export", "customers").stdout.encode("utf-8")
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert "李娜" not in plain.decode("cp936", errors="replace")


def test_scripts_keep_english_keys_and_stored_values_whatever_the_language(cli, tmp_path):
    _shop(cli, tmp_path)
    plain = cli("--lang", "zh", "export", "customers").stdout.splitlines()
    assert plain[0].startswith("customer_id,name,phone,email,tier,owner,first_purchase,")
    assert plain[1].startswith("K1,王芳🌸,+8613800138001,,regular,,2025-01-03,2025-11-20,")
    rows = cli.json("--lang", "zh", "export", "customers")
    assert (rows[0]["tier"], rows[0]["spend"]) == ("regular", 1379.5)


def test_history_and_the_report_as_workbooks(cli, tmp_path):
    _shop(cli, tmp_path)
    history = tmp_path / "h.xlsx"
    cli("--lang", "zh", "export", "history", "-o", str(history))
    rows = _sheet(history)
    headings = [c.value for c in rows[0]]
    line = {h: c.value for h, c in zip(headings, rows[1], strict=True)}
    assert (line["客户编号"], line["结果"], line["备注"]) == ("K1", "已联系", "要报价")
    assert line["日期"].date().isoformat() == "2025-12-01"
    report = tmp_path / "r.xlsx"
    cli("--lang", "zh", "report", "--last", "30d", *DAY, "-o", str(report))
    rows = _sheet(report)
    headings = [c.value for c in rows[0]]
    overall = {h: c for h, c in zip(headings, rows[1], strict=True)}
    # one customer reached: K1's cadence call was planned again, nothing else due; the
    # active customers at the start of the 30 days are both of them
    assert overall["期初活跃客户数"].value == 2
    assert overall["回访成功率"].number_format == "0.0%"


def test_the_send_list_as_a_workbook(cli, tmp_path):
    _shop(cli, tmp_path)
    target = tmp_path / "send.xlsx"
    cli("--lang", "zh", "today", "--date", "2026-06-01", "--with-message", "-o", str(target))
    rows = _sheet(target)
    assert [c.value for c in rows[0]] == ["客户编号", "姓名", "电话", "负责人", "模板", "消息"]
    assert {r[0].value for r in rows[1:]} == {"K1", "K2"}


def test_excel_with_json_is_refused(cli, tmp_path):
    _shop(cli, tmp_path)
    result = cli("export", "customers", "--excel", "--format", "json", code=2)
    assert "--excel is a CSV file for a person: leave out --format" in result.stderr


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_reads_the_workbook(cli, tmp_path):
    _shop(cli, tmp_path)
    target = tmp_path / "people.xlsx"
    cli("--lang", "zh", "export", "customers", "-o", str(target))
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",  # comma, quote, UTF-8
            "--outdir",
            str(tmp_path),
            str(target),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    rows = list(csv.reader(io.StringIO((tmp_path / "people.csv").read_text(encoding="utf-8"))))
    assert rows[0][:5] == ["客户编号", "姓名", "电话", "邮件", "等级"]
    assert rows[1][:7] == ["K1", "王芳🌸", "+8613800138001", "", "老客户", "", "2025-01-03"]


def _on_a_terminal(db, *args: str) -> tuple[int, str, str]:
    """`followup ARGS` with its standard error on a terminal (a pty): (exit, stdout, stderr)."""
    import os
    import sys

    leader, follower = os.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "followup_cli", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            env={**os.environ, "FOLLOWUP_DB": str(db), "NO_COLOR": "1", "LANG": "zh_CN.UTF-8"},
            timeout=120,
        )
        said = os.read(leader, 65536).decode()
    finally:
        os.close(follower)
        os.close(leader)
    return proc.returncode, proc.stdout, said


def test_a_file_written_for_a_person_says_where_it_went_and_a_script_hears_nothing(
    cli, tmp_path, isolated_db
):
    _shop(cli, tmp_path)
    target = tmp_path / "客户.xlsx"
    code, out, said = _on_a_terminal(isolated_db, "export", "customers", "-o", str(target))
    assert (code, out) == (0, "")
    assert said.replace("\r\n", "\n") == f"已写入：{target}\n"
    assert [cell.value for cell in _sheet(target)[1][:2]] == ["K1", "王芳🌸"]
    # off a terminal (cron, a pipe): the file, and not a word
    again = cli("export", "customers", "-o", str(target))
    assert (again.stdout, again.stderr) == ("", "")
