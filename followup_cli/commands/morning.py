"""The morning list, straight away: `followup today` is what a shop runs every morning.

A plain `today` (only the options below) is read here and drawn without building the whole
command tree (Typer's parameters for every command); anything else - help, `--with-message`,
a value that does not parse, a database file that does not exist yet - goes through the full
command line, which says what is wrong exactly as for any other command. Both paths list the
same way: `gather` here and `show` in views/morning.py are the one definition of what `today`
prints. This module returns values; views/morning.py draws them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

_VALUED = ("--date", "--owner", "--limit", "--format", "--db", "--branch")
_FLAGS = ("--explain", "--all")
_FORMATS = ("table", "csv", "json")
LIMIT_MOST = 1_000_000  # `--limit` of today, review, find, imports (the full path says so)


def due_items(
    conn: sqlite3.Connection,
    day: date,
    owner: str | None,
    limit: int | None,
    segment: str | None = None,
    explain: bool = False,
    branches: Sequence[str] | None = None,
) -> list[Any]:
    """Today's follow-ups (one value segment's, with --segment; one branch's, given its stored
    spellings; with the repurchase rhythm spelled out, with --explain)."""
    from followup_cli.commands.due import due_list

    if segment is not None:
        from followup_cli.commands.due import due_in_segment

        items = due_in_segment(conn, day, owner, limit, segment, branches)
    else:
        items = due_list(conn, day, owner, limit, branches)
    if explain:
        from followup_cli.planner.purchases import explain_rhythm

        explain_rhythm(conn, items)
    return items


def gather(
    conn: sqlite3.Connection,
    day: date,
    owner: str | None,
    limit: int | None,
    segment: str | None = None,
    explain: bool = False,
    branch: str | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Today's items (one branch's, with `branch` as typed), and the whole list's length when
    --limit cut it short."""
    from followup_cli.commands.due import due_count

    branches = None
    if branch is not None:
        from followup_cli.commands.branches import resolve

        branches = resolve(conn, branch)
    items = due_items(conn, day, owner, limit, segment, explain, branches)
    cut = limit is not None and len(items) == limit and segment is None
    total = due_count(conn, day, owner, branches) if cut else None
    return [item.as_dict() for item in items], total


def plain_today(argv: Sequence[str]) -> dict[str, Any] | None:
    """The options of a plain `[--db PATH] today [...]`, or None for anything else."""
    words = list(argv)
    found: dict[str, Any] = {}
    position = 0
    while position < len(words) and words[position].partition("=")[0] == "--db":
        name, equals, value = words[position].partition("=")
        if not equals:
            if position + 1 >= len(words):
                return None
            value = words[position + 1]
            position += 1
        found[name] = value
        position += 1
    if words[position : position + 1] != ["today"]:
        return None
    position += 1
    while position < len(words):
        name, equals, value = words[position].partition("=")
        if name in _FLAGS and not equals:
            found[name] = True
            position += 1
            continue
        if name not in _VALUED:
            return None
        if not equals:
            if position + 1 >= len(words):
                return None
            value = words[position + 1]
            position += 1
        if not value.strip() or value.startswith("-"):
            return None
        found[name] = value
        position += 1
    # What click's int reads, and nothing else: `²` and `٣` pass isdigit(), and int() takes
    # the second, so only ASCII digits stay here; anything else is the full command's to judge.
    limit = found.get("--limit")
    if limit is not None and not (
        limit.isascii() and limit.isdigit() and 1 <= int(limit) <= LIMIT_MOST
    ):
        return None
    if found.get("--format", "table") not in _FORMATS:
        return None
    return found


@dataclass(frozen=True)
class PlainToday:
    """A plain `today`'s list, read and ready to draw (views/morning.py draws it)."""

    items: list[dict[str, Any]]
    total: int | None
    fmt: str
    day: date
    explain: bool
    branch: str | None
    every: bool = False  # --all: on a terminal too, every row (no cut at a screenful)


def read_plain_today(argv: Sequence[str]) -> PlainToday | None:
    """The list a plain `today` prints; None when the full command line should answer (not a
    plain `today`, a new database file, or anything that went wrong: nothing is printed yet)."""
    found = plain_today(argv)
    if found is None:
        return None
    try:
        from followup_cli import storage
        from followup_cli.core.dates import parse_day

        day = parse_day(found["--date"], "--date") if "--date" in found else date.today()
        url = storage.chosen_server(found.get("--db"))
        if url is not None:  # a chain's server
            conn = storage.open_server(url)
        else:
            path, is_default = storage.resolve_db_path(found.get("--db"))
            if not path.is_file():
                return None  # a new file is announced by the full command line
            conn = storage.open_db(path, create_folder=is_default)
        limit = int(found["--limit"]) if "--limit" in found else None
        explain = bool(found.get("--explain"))
        branch = found.get("--branch")
        items, total = gather(
            conn, day, found.get("--owner"), limit, explain=explain, branch=branch
        )
    except Exception:
        return None  # the full command line reports it as usual
    fmt = found.get("--format", "table")
    return PlainToday(items, total, fmt, day, explain, branch, bool(found.get("--all")))
