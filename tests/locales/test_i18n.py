"""The Chinese interface: every sentence has a translation, none escapes `_()`, the language is
chosen as documented, and a Chinese owner's whole day reads without an English word.

What "user-facing literal" means for the static check (`_escaped_literals` below):
text in a `raise ...Error(...)`, in `render.message/warn`, `print`, a console's `print`, or a
list of problems, written as a literal or an f-string with an English word in it. Such text must
be `_("...")` (or `N_()` where it is defined, `_()` where shown). `_()` of an f-string is refused
too: placeholders are named fields filled after translation. Help texts (`help=` and command
docstrings) are translated by the command line itself, so they only need catalogue entries.
The runtime tests below catch whatever the static rule cannot see.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import dbtools
import pytest

from followup_cli import i18n
from followup_cli.launch import global_options, shop_language
from followup_cli.locales.zh_CN import MESSAGES

PACKAGE = Path(__file__).parents[2] / "followup_cli"
GOLDEN = Path(__file__).parents[1] / "golden"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "locales" not in p.parts)


@pytest.fixture(autouse=True)
def english_again():
    """`--lang zh` in one in-process test must not leak into the next."""
    yield
    i18n.set_language("en")


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _module_strings(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def translatable_sentences() -> dict[str, str]:
    """Every sentence the code can show, from the source: `_()`/`N_()` literals, help texts."""
    found: dict[str, str] = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _module_strings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                where = f"{path.name}:{node.lineno}"
                if _call_name(node) in ("_", "N_") and node.args:
                    first = node.args[0]
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        text = first.value
                        # multi-line N_() texts become help through click, which dedents them
                        found.setdefault(inspect.cleandoc(text) if "\n" in text else text, where)
                for keyword in node.keywords:
                    if keyword.arg != "help":
                        continue
                    if isinstance(keyword.value, ast.Constant):
                        found.setdefault(keyword.value.value, where)
                    elif isinstance(keyword.value, ast.Name) and keyword.value.id in constants:
                        found.setdefault(constants[keyword.value.id], where)
            if isinstance(node, ast.FunctionDef) and any(
                ".command" in ast.unparse(d) or ".callback" in ast.unparse(d)
                for d in node.decorator_list
            ):
                doc = ast.get_docstring(node)
                if doc:
                    found.setdefault(doc, f"{path.name}:{node.lineno}")
    return found


def test_every_sentence_the_code_can_show_has_a_chinese_translation():
    missing = {
        text: where for text, where in translatable_sentences().items() if text not in MESSAGES
    }
    assert missing == {}


def _fields(text: str) -> set[str]:
    return set(re.findall(r"\{([a-z_]*)[!:}]", text))


def test_translations_keep_the_named_fields_of_their_sentence():
    wrong = {k: v for k, v in MESSAGES.items() if _fields(k) != _fields(v)}
    assert wrong == {}


_SHOWN_BY = frozenset({"message", "warn", "print", "append", "confirm", "echo"})


def _english(node: ast.AST) -> bool:
    """A literal (or an f-string's literal parts) with an English word outside HTML tags."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "\0".join(v.value if isinstance(v, ast.Constant) else "" for v in node.values)
    else:
        return False
    return bool(re.search(r"[A-Za-z]{2,}", re.sub(r"<[^>]*>", " ", text)))


def _shows(call: ast.Call) -> bool:
    """Calls that put their first argument in front of a person."""
    name = _call_name(call)
    if name == "append":  # lists of problems and calendar details, not SQL fragments
        return any(word in ast.unparse(call.func) for word in ("problem", "details"))
    return name in _SHOWN_BY


def _escaped_literals() -> list[str]:
    escaped = []
    for path in SOURCES:
        if path.name == "i18n.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            call = None
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                call = node.exc
            elif isinstance(node, ast.Call) and _shows(node):
                call = node
            if call is not None:
                for arg in call.args[:1]:
                    if _english(arg) and ast.unparse(arg) != "f'followup {__version__}'":
                        escaped.append(f"{path.name}:{arg.lineno}: {ast.unparse(arg)[:70]}")
            if (
                isinstance(node, ast.Call)
                and _call_name(node) in ("_", "N_")
                and node.args
                and isinstance(node.args[0], ast.JoinedStr)
            ):
                escaped.append(f"{path.name}:{node.lineno}: _() of an f-string")
    return escaped


def test_no_user_facing_literal_escapes_translation():
    assert _escaped_literals() == []


# --- choosing the language ------------------------------------------------------------------


def test_global_options_are_read_only_before_the_command():
    assert global_options(["--lang", "zh", "today"]) == {"--lang": "zh"}
    assert global_options(["--db=/x.db", "--lang=en", "log", "C1", "reached"]) == {
        "--db": "/x.db",
        "--lang": "en",
    }
    # a note that happens to say --lang is the note, not the option
    assert global_options(["log", "C1", "reached", "--note", "--lang zh"]) == {}


def test_precedence_is_option_then_shop_then_locale():
    zh_env = {"LANG": "zh_CN.UTF-8"}
    assert i18n.choose_language(None, None, zh_env) == "zh_CN"
    assert i18n.choose_language(None, "en", zh_env) == "en"
    assert i18n.choose_language(None, "auto", zh_env) == "zh_CN"
    assert i18n.choose_language("zh", "en", {"LANG": "C.UTF-8"}) == "zh_CN"
    assert i18n.choose_language("en", "zh", zh_env) == "en"
    # POSIX order: LC_ALL before LC_MESSAGES before LANG
    assert i18n.language_from_environment({"LC_ALL": "en_US", "LANG": "zh_CN"}) == "en"
    assert i18n.language_from_environment({"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "C"}) == "zh_CN"


def test_reading_the_shop_option_never_creates_a_file(tmp_path):
    missing = tmp_path / "none.db"
    assert shop_language(str(missing)) is None
    assert not missing.exists()
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database at all")
    assert shop_language(str(broken)) is None


def _run(*args: str, env_lang: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FOLLOWUP_DB": str(db),
        "LANG": env_lang,
        "LC_ALL": "",
        "LC_MESSAGES": "",
        "NO_COLOR": "1",
        "COLUMNS": "100",
    }
    return subprocess.run(
        [sys.executable, "-m", "followup_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_program_speaks_the_language_of_the_locale_the_option_and_the_flag(tmp_path):
    db = tmp_path / "shop.db"
    first = _run("today", "--date", "2026-03-02", env_lang="zh_CN.UTF-8", db=db)
    assert first.stdout == "2026-03-02 没有到期的回访。\n"
    assert (
        _run("--lang", "en", "today", "--date", "2026-03-02", env_lang="zh_CN.UTF-8", db=db).stdout
        == "Nothing due on 2026-03-02.\n"
    )
    assert _run("rules", "option", "language", "en", env_lang="zh_CN.UTF-8", db=db).returncode == 0
    with dbtools.connect(db) as conn:
        assert conn.execute("SELECT value FROM settings WHERE key='language'").fetchone() == ("en",)
    assert _run("today", "--date", "2026-03-02", env_lang="zh_CN.UTF-8", db=db).stdout == (
        "Nothing due on 2026-03-02.\n"
    )
    assert (
        _run("--lang", "zh", "today", "--date", "2026-03-02", env_lang="C.UTF-8", db=db).stdout
        == "2026-03-02 没有到期的回访。\n"
    )
    _run("rules", "option", "language", "zh", env_lang="C.UTF-8", db=db)
    help_page = _run("log", "--help", env_lang="C.UTF-8", db=db).stdout
    assert help_page.startswith("用法：followup log [选项]")
    assert "记录一次联系的结果，并安排下一次回访。" in help_page
    # click's own messages too, before any command has run
    unknown = _run("tody", env_lang="zh_CN.UTF-8", db=db)
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "followup：错误：没有这个命令 'tody'（你是想输入 'today' 吗？）"
        "（参见 'followup --help'）\n",
    )


def test_an_unknown_language_is_refused(cli):
    result = cli("--lang", "fr", "today", code=1)
    assert result.stderr == "followup: error: --lang 'fr' is not a language (use zh or en)\n"
    cli("rules", "option", "language", "klingon", code=1)


# --- a Chinese owner's day, with no English left ------------------------------------------------

CUSTOMERS = """客户编号,姓名,手机,客户等级,首次购买日期,最近购买日期,加入日期,负责人,备注
K001,王芳,13800138001,VIP客户,2024-05-12,2026-01-20,2024-05-12,小李,喜欢茶具
K002,李娜,13900139002,新客户,2026-02-23,2026-02-23,2026-02-23,小李,
K003,张伟,13700137003,老客户,2025-01-10,2025-12-01,2025-01-10,小王,
K004,刘洋,13600136004,潜在客户,,,2026-02-16,小王,问过价格
K005,陈静,13500135005,老客户,2024-03-02,2025-09-02,2024-03-02,小李,
K006,杨洋,13400134006,VIP客户,2023-02-02,2026-02-02,2023-02-02,小王,
K007,赵敏,13300133007,老客户,2024-06-15,2025-06-15,2024-06-15,小李,
K008,周杰,13200132008,潜在客户,,,2026-01-05,小王,
"""
DAY = ("--date", "2026-03-02")
MARCH = ("--from", "2026-03-01", "--to", "2026-03-31", "--date", "2026-03-02")


def _typed_words() -> frozenset[str]:
    """Words a person types as they are: command names, option names and their fixed values
    (outcomes, channels, tiers, breakdowns, weekdays, shop options), and date patterns."""
    from typer.main import get_command

    from followup_cli.cli.app import app
    from followup_cli.core.metrics import DIMENSIONS
    from followup_cli.core.models import CHANNELS, OUTCOMES, WEEKDAYS, Settings

    def names(group) -> set[str]:
        found = set(group.commands)
        for command in group.commands.values():
            if hasattr(command, "commands"):
                found |= names(command)
        return found

    return frozenset(
        {*names(get_command(app)), *OUTCOMES, *CHANNELS, *DIMENSIONS, *WEEKDAYS}
        | {*Settings.__dataclass_fields__, "vip", "new", "regular", "prospect"}
        | {"YYYY-MM-DD", "YYYY-MM", "YYYY", "none", "auto", "zh", "en", "CN", "wal"}
        | {"VIP", "CSAT", "NPS", "UTC", "followup", "PostgreSQL", "postgresql"}  # used as they are
        | {"UTF", "GBK", "BOM", "Excel"}  # the encoding an import was read in
    )


ALLOWED = _typed_words()
OPTION_NAMES = re.compile(r"\b[a-z]+_[a-z_]+\b")  # min_gap, closed_weekdays ... as typed


def english_words(text: str) -> list[str]:
    """ASCII words left once ids, phones, dates, paths, e-mails and option names are set aside."""
    text = re.sub(r"\d{4}-\d\d-\d\d(T[\d:.+]+)?", " ", text)
    text = re.sub(r"--[a-z][a-z-]*", " ", text)
    text = re.sub(r"\S+@\S+", " ", text)
    text = re.sub(r"(/[\w.+-]+)+", " ", text)
    text = OPTION_NAMES.sub(" ", text)
    text = re.sub(r"\b[A-Z]\d+\b", " ", text)
    return [w for w in re.findall(r"[A-Za-z]{2,}(?:-[A-Za-z]+)*", text) if w not in ALLOWED]


def chinese_day(cli, tmp_path: Path):
    """The example loop in Chinese: yields (command, stdout, stderr) of every step."""
    file = tmp_path / "客户.csv"
    file.write_text(CUSTOMERS, encoding="gbk")
    html = tmp_path / "报告.html"
    steps = [
        (("import", "customers", str(file), *DAY), 0),
        (("today", *DAY), 0),
        (("today", *DAY, "--explain"), 0),
        (("log", "K001", "已联系", "--channel", "微信", "--score", "5", "--nps", "9", *DAY), 0),
        (("log", "K002", "未接通", *DAY), 0),
        (("log", "K003", "投诉", "--channel", "电话", "--note", "杯子裂了", *DAY), 0),
        (("log", "K004", "成交", "--channel", "到店", *DAY), 0),
        (("log", "K005", "流失", *DAY), 0),
        (("log", "K006", "勿扰", *DAY), 0),
        (("show", "K003"), 0),
        (("show", "13800138001"), 0),
        (("rules",), 0),
        (("rules", "set", "老客户", "--every", "2m", *DAY), 0),
        (("rules", "option", "min_gap", "5d", *DAY), 0),
        (("rules", "reset", "--yes", *DAY), 0),
        (("snooze", "K007", "--until", "2026-03-20", *DAY), 0),
        (("assign", "K007", "--owner", "小王"), 0),
        (("optout", "K006", "--undo", *DAY), 0),
        (("upcoming", *DAY), 0),
        (("at-risk", *DAY), 0),
        (("plan", "--spread", "7d", *DAY), 0),
        (("report", *MARCH, "--by", "等级", "--explain"), 0),
        (("report", *MARCH, "--by", "渠道"), 0),
        (("report", *MARCH, "--html", str(html)), 0),
        (("doctor",), 0),
        (("imports",), 0),
        (("backup", str(tmp_path / "备份.db")), 0),
        (("forget", "K008", "--yes"), 0),
        # what goes wrong
        (("log", "K999", "已联系", *DAY), 1),
        (("log", "K001", "开心", *DAY), 2),
        (("log", "K001", "已联系", "--channel", "传真"), 2),
        (("log", "K001", "已联系", "--score", "9"), 2),
        (("log",), 2),
        (("log", "K005", "已联系", *DAY), 1),
        (("today", "--date", "2026-02-30"), 2),
        (("today", "--bogus"), 2),
        (("snooze", "K001"), 2),
        (("snooze", "K001", "--until", "2026-01-01", *DAY), 1),
        (("report", "--month", "2026-13"), 1),
        (("report", "--by", "颜色", *DAY), 1),
        (("rules", "set", "老客户", "--every", "3x"), 1),
        (("rules", "option", "closed_weekdays", "星期八"), 1),
        (("rules", "option", "营业时间", "1"), 1),
        (("import", "customers", str(tmp_path / "没有.csv")), 4),
        (("restore", str(tmp_path / "没有.db"), "--yes"), 1),
        (("imports", "undo", "--yes", "1", *DAY), 1),
    ]
    for args, code in steps:
        if cli is None:  # the real program, in a Chinese locale
            run = _run(*args, env_lang="zh_CN.UTF-8", db=tmp_path / "shop.db")
            assert run.returncode == code, (args, run.stdout, run.stderr)
            assert "Traceback" not in run.stderr
            yield args, run.stdout, run.stderr
        else:
            if args[0] == "backup" and os.environ["FOLLOWUP_DB"].startswith("postgresql"):
                code = 1  # a server's copies are made with transfer --from (or pg_dump)
            result = cli("--lang", "zh", *args, code=code)
            yield args, result.stdout, result.stderr
    yield ("html",), html.read_text(encoding="utf-8"), ""


def test_a_chinese_owners_whole_day_has_no_english_left(tmp_path):
    """Each step is `followup ...` run as a process with LANG=zh_CN.UTF-8 (about 45 of them)."""
    left = {}
    for args, out, err in chinese_day(None, tmp_path):
        if args == ("html",):
            out = re.sub(r"<[^>]*>|\{[^}]*\}|[a-z-]+:[^;}]+;?", " ", out.split("</style>", 1)[1])
        # a file's path may wrap inside a table cell: its pieces are not words either
        words = [w for w in english_words(out + err) if w not in str(tmp_path)]
        if words:
            left[" ".join(args)] = words
    assert left == {}


def test_rejected_rows_are_explained_in_chinese(cli, tmp_path):
    file = tmp_path / "坏.csv"
    file.write_text(
        "客户编号,姓名,手机,客户等级,首次购买日期\n"
        "K1,王芳,13800138001,VIP客户,2025-01-02\n"
        "K2,,,新客户,2025-01-02\n"
        "K3,李娜,13800138003,老客户,2030-01-01\n"
        "K4,张伟,12,黄金客户,2025-01-02\n",
        encoding="utf-8",
    )
    result = cli("--lang", "zh", "import", "customers", str(file), *DAY, code=3)
    assert result.stderr.splitlines() == [
        f"{file}：第 3 行：姓名为空",
        f"{file}：第 4 行：首次购买 2030-01-01 是未来的日期",
        f"{file}：第 5 行：列 '手机'：'12' 不是 CN 的有效手机号：已略过",
    ]
    # K1 and K4 added (K4 without its phone, as a regular customer), K2 and K3 rejected
    assert result.stdout.splitlines() == [
        f"{file}（UTF-8）：读取 4，新增 2，更新 0，未变 0，拒绝 2，略过手机号 1",
        "有 1 行的会员等级不在对照表中（黄金客户 ×1）：已按老客户导入。"
        "可以这样对应：followup rules levels set '黄金客户' vip",
    ]


def test_chinese_words_are_stored_as_the_stable_values(cli, tmp_path):
    file = tmp_path / "客户.csv"
    file.write_text(CUSTOMERS, encoding="utf-8")
    cli("import", "customers", str(file), *DAY)
    out = cli("--lang", "zh", "log", "K001", "已联系", "--channel", "微信", *DAY).stdout
    # VIP, every month from the contact: 2 March + 1 month = 2 April
    assert out == (
        "已记录 K001 王芳 于 2026-03-02 的结果：已联系（回访 1）；下次：2026-04-02（每 1 个月）\n"
    )
    out = cli("--lang", "zh", "log", "K003", "投诉", *DAY).stdout
    # a complaint plans a check-back 3 days later: 5 March
    assert out == (
        "已记录 K003 张伟 于 2026-03-02 的结果：投诉（回访 2）；下次：2026-03-05（投诉回访）\n"
    )
    history = cli.json("export", "history")
    assert [(h["customer_id"], h["outcome"], h["channel"]) for h in history] == [
        ("K001", "reached", "wechat"),
        ("K003", "complaint", None),
    ]
    # any case, either language
    cli("log", "K002", "NO-ANSWER", "--channel", "SMS", *DAY)
    cli("rules", "set", "VIP客户", "--every", "6w", *DAY)
    assert {r["tier"]: r["every"] for r in cli.json("rules")["rules"]}["vip"] == "6w"
    by_tier = cli.json("report", *MARCH, "--by", "等级")
    assert by_tier["by"] == ["tier"]


def _today_golden(cli, tmp_path):
    file = tmp_path / "客户.csv"
    file.write_text(CUSTOMERS, encoding="utf-8")
    cli("import", "customers", str(file), *DAY)


def check_golden(name: str, actual: str) -> None:
    """Compare with the committed file; FOLLOWUP_UPDATE_GOLDEN=1 rewrites it after a change."""
    path = GOLDEN / name
    if os.environ.get("FOLLOWUP_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def test_golden_chinese_today_report_and_html_page(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    outputs = {args: out for args, out, _err in chinese_day(cli, tmp_path)}
    check_golden("zh_today.txt", outputs[("today", *DAY)])
    check_golden("zh_report_by_tier.txt", outputs[("report", *MARCH, "--by", "等级", "--explain")])
    check_golden("zh_report.html", outputs[("html",)])


@pytest.mark.parametrize("width", [60, 80, 100, 140])
def test_chinese_tables_line_up_at_every_width(cli, tmp_path, monkeypatch, width):
    """Each line of a table takes the same number of terminal columns (a Chinese character: 2)."""
    import unicodedata

    _today_golden(cli, tmp_path)
    monkeypatch.setenv("COLUMNS", str(width))
    out = cli("--lang", "zh", "today", *DAY).stdout

    def columns(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)

    table = [line for line in out.splitlines()[1:] if line.strip()]
    assert {columns(line) for line in table} == {columns(table[0])}
    assert columns(table[0]) <= width


def test_money_and_percentages_read_the_chinese_way():
    from followup_cli import wording

    i18n.set_language("zh_CN")
    assert wording.money(1280) == "¥1,280.00"
    assert wording.money("99.5") == "¥99.50"
    i18n.set_language("en")
    assert wording.money(1280) == "1,280.00"  # spend as money in `show`, without a sign


def test_excel_csv_has_chinese_headers_and_plain_csv_keeps_its_keys(cli, tmp_path):
    _today_golden(cli, tmp_path)
    excel = tmp_path / "报告.csv"
    cli("--lang", "zh", "report", *MARCH, "--excel", "-o", str(excel))
    header = excel.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("开始日期,结束日期,计划回访数,完成回访数,回访成功率,")
    plain = cli("--lang", "zh", "report", *MARCH, "--format", "csv").stdout.splitlines()[0]
    assert plain.startswith("from,to,planned,completed,success_rate,")


def test_the_chinese_readme_session_is_what_the_tool_prints(cli, monkeypatch):
    """README.zh-CN.md's example session (tools/update_readme_zh.py) is the real output."""
    sys.path.insert(0, str(PACKAGE.parent / "tools"))
    try:
        from update_readme_zh import README, SESSION
    finally:
        sys.path.pop(0)
    shown = re.search(
        r"<!-- zh-session -->\n```text\n(.*?)\n```", README.read_text(encoding="utf-8"), re.S
    ).group(1)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.chdir(PACKAGE.parent)
    lines = []
    for args in SESSION:
        lines.append("$ followup " + " ".join(args))
        out = cli("--lang", "zh", *args).stdout.rstrip("\n")
        lines += [line.rstrip() for line in out.splitlines()]
    assert lines == shown.splitlines()


FILE_FORMATS = frozenset(
    {"CSV", "JSON", "HTML", "Excel", "UTF", "GBK", "BOM", "xlsx", "iCalendar", "ics", "tab"}
)
HELP_VALUES = frozenset(
    {"table", "csv", "json", "text", "FOLLOWUP", "DB", "added", "name", "first-week", "win-back"}
)


def test_every_help_page_is_in_chinese_and_fits_a_narrow_window():
    """What the launcher does before the command line runs: the language is set first."""
    from typer.main import get_command
    from typer.testing import CliRunner

    from followup_cli.cli.app import app
    from followup_cli.text import text_width

    def commands(group, prefix=()):
        yield prefix
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from commands(command, (*prefix, name))
            else:
                yield (*prefix, name)

    left = {}
    for command in commands(get_command(app)):
        i18n.set_language("zh_CN")
        page = (
            CliRunner()
            .invoke(app, [*command, "--help"], prog_name="followup", terminal_width=60)
            .stdout
        )
        assert page.startswith("用法：followup"), command
        assert max(map(text_width, page.splitlines())) <= 60, command
        unwrapped = re.sub(r"-\n\s*", "-", page)  # click wraps inside no-answer
        words = set(english_words(unwrapped)) - FILE_FORMATS - HELP_VALUES
        if words:
            left[" ".join(command)] = sorted(words)
    assert left == {}


def test_a_customers_spend_reads_as_yuan(cli, tmp_path):
    _today_golden(cli, tmp_path)
    bought = tmp_path / "购买.csv"
    bought.write_text(
        "客户编号,日期,金额,订单号\nK001,2026-02-28,1280,A1\nK001,2026-03-01,99.5,A2\n",
        encoding="utf-8",
    )
    cli("import", "purchases", str(bought), *DAY)
    shown = cli("--lang", "zh", "show", "K001").stdout
    # 1280 + 99.50 = 1379.50
    assert "│ 消费金额 │ ¥1,379.50" in shown
    assert cli.json("show", "K001")["spend"] == 1379.5


def test_what_the_system_says_about_a_file_is_translated_too():
    import errno

    from followup_cli import wording

    full = OSError(errno.ENOSPC, "No space left on device")
    i18n.set_language("zh_CN")
    assert wording.os_error(full) == "磁盘已满"
    assert wording.os_error(OSError(errno.EIO, "Input/output error")) == "Input/output error"
    i18n.set_language("en")
    assert wording.os_error(full) == "No space left on device"


def test_nothing_is_translated_at_import_time():
    """`_()` outside a function runs before `--lang` is read: such text is `N_()`, translated
    where it is shown."""
    found = []

    def visit(node: ast.AST, in_function: bool, path: Path) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            if not inside and isinstance(child, ast.Call) and _call_name(child) == "_":
                found.append(f"{path.name}:{child.lineno}")
            visit(child, inside, path)

    for path in SOURCES:
        visit(ast.parse(path.read_text(encoding="utf-8")), False, path)
    assert found == []
