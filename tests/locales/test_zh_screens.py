"""No English left on a Chinese screen: the catalogue and the screens an owner reads.

Allowed: what a person types or a file names (command and option names, typed values such
as tiers, outcomes, channels and formats, template and option keys), placeholders, quoted
or back-ticked text, paths, and the names of products (Excel, VIP, CSAT, NPS).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.main import get_command

from followup_cli import i18n, wording
from followup_cli.cli.app import app
from followup_cli.locales.zh_CN import MESSAGES

ROOT = Path(__file__).parents[2]
PRODUCT_NAMES = {"Excel", "WPS", "VIP", "CSAT", "NPS", "SQLite", "PostgreSQL", "HubSpot"}
TYPED = {  # values typed at the prompt or in an option, beside the commands' own names
    *("json", "csv", "table", "text", "ics", "auto", "on", "off", "window", "rhythm", "none"),
    "model",
    *("mon", "tue", "wed", "thu", "fri", "sat", "sun", "language", "holidays", "plan"),
    *("first", "win", "opt", "added", "customers", "pip", "install", "psycopg", "chmod"),
}


def _typed_words() -> set[str]:
    def names(group):
        for name, command in group.commands.items():
            yield name
            if hasattr(command, "commands"):
                yield from names(command)

    words = set(TYPED) | set(names(get_command(app)))
    for table in (
        wording.TIER_NAMES,
        wording.STATUS_NAMES,
        wording.OUTCOME_NAMES,
        wording.CHANNEL_NAMES,
        wording.KIND_NAMES,
    ):
        for key in table:
            words.update(re.split(r"[-_ ]", key))
    return words


def english_words(text: str, allowed: set[str]) -> list[str]:
    """English words in a Chinese text that a person did not type and no file names."""
    text = re.sub(r"\{[^}]*\}", "", text)  # placeholders
    text = re.sub(r"`[^`]*`|'[^']*'|\"[^\"]*\"", "", text)  # quoted: typed or shown as is
    text = re.sub(r"--?[a-z][\w-]*", "", text)  # options
    text = re.sub(r"followup(?: [a-z-]+)*", "", text)  # commands
    text = re.sub(r"[^\s（），。：；、]*[/\\.][^\s（），。：；、]*", "", text)  # paths, files
    words = re.findall(r"(?<![\w-])[A-Za-z][a-z]{2,}(?![\w-])", text)
    return [w for w in words if w.lower() not in allowed and w not in PRODUCT_NAMES]


def test_english_words_are_found_where_they_are_left():
    allowed = _typed_words()
    assert english_words("已登记过 reached", allowed) == []  # a typed outcome word
    assert english_words("按 Shopify customers 导出格式读取", allowed) == ["Shopify"]
    assert english_words("消息（vip / win-back / first-week）", allowed) == []
    assert english_words("下次回访 due soon", allowed) == ["soon"]


def test_the_chinese_catalogue_leaves_no_english_word():
    allowed = _typed_words()
    left = {k: english_words(v, allowed) for k, v in MESSAGES.items()}
    assert {k: w for k, w in left.items() if w} == {}


@pytest.fixture
def chinese(monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    i18n.set_language("zh_CN")
    yield
    i18n.set_language("en")


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_the_screens_an_owner_reads_have_no_english_left(cli, monkeypatch, chinese, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    day = ("--date", "2026-03-02")
    cli("import", "customers", str(ROOT / "examples" / "customers-zh.csv"), *day)
    cli("log", "K001", "已联系", "--note", "想要新品目录", *day)
    allowed = _typed_words()
    for args in (
        ("today", *day),
        ("today", *day, "--explain"),
        ("show", "K001"),
        ("report", "--from", "2026-03-01", "--to", "2026-03-31", "--date", "2026-03-31"),
        ("imports",),
        ("doctor",),
        ("upcoming", *day),
        ("staff",),
    ):
        screen = cli(*args).stdout
        assert screen.strip(), args
        left = [(line, english_words(line, allowed)) for line in screen.splitlines()]
        assert [pair for pair in left if pair[1]] == [], args
