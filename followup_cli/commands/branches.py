"""A chain of shops: branches, and the staff who work at each.

A customer belongs to a branch when one is set on them (an import's `所属门店`/`store` column,
`add --branch`, `edit --branch`); a customer without one falls under the branch of the staff
member who follows them up (`followup staff set NAME --branch B`), so a branch's manager need
not tag every customer by hand. A single shop sets neither and never sees the word: tables,
reports and help show branches only once the shop has one (see `is_chain`).

Branch names are matched in any case, like owners; a new name typed for a branch that exists
in another case takes the stored spelling, so one branch is never split in two by a typo of case.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from typing import Any

from followup_cli import storage
from followup_cli.errors import FollowupError
from followup_cli.i18n import _


def is_chain(conn: sqlite3.Connection) -> bool:
    return storage.has_branches(conn)


def file_is_chain(argv: list[str]) -> bool:
    """Whether the database this command line names (--db anywhere, else $FOLLOWUP_DB, else
    the default file) is a chain's; read-only, and False for a database that does not exist
    yet, is older than branches, or cannot be read. Asked only when help is printed."""
    named = None
    for position, word in enumerate(argv):
        option, equals, value = word.partition("=")
        if option == "--db":
            named = value if equals else (argv[position + 1] if position + 1 < len(argv) else None)
            break
    try:
        conn = storage.open_for_reading(named or None)
        if conn is None:
            return False
        try:
            return storage.has_branches(conn)
        finally:
            conn.close()
    except Exception:  # help is printed whatever state the database is in
        return False


def clean_name(text: str) -> str:
    """A name as stored: no control characters, single spaces."""
    from followup_cli.text import strip_controls

    return " ".join(strip_controls(text).split())


def canonical(conn: sqlite3.Connection, name: str | None) -> str | None:
    """The stored spelling of a branch typed in another case; a new branch as typed."""
    if not name:
        return None
    name = clean_name(name)
    for known in storage.branch_names(conn):
        if known.casefold() == name.casefold():
            return known
    return name


def resolve(conn: sqlite3.Connection, text: str) -> list[str]:
    """The stored spellings of the branch `text` names (any case); an error naming the known
    branches when there is none."""
    wanted = clean_name(text).casefold()
    known = storage.branch_names(conn)
    found = [name for name in known if name.casefold() == wanted]
    if found:
        return found
    if not known:
        raise FollowupError(
            _(
                "no branch is called {branch!r}: this shop has no branches yet "
                "(set one with 'followup edit CUSTOMER --branch NAME')"
            ).format(branch=text)
        )
    raise FollowupError(
        _("no branch is called {branch!r} (branches: {known})").format(
            branch=text, known=", ".join(known)
        )
    )


def optional(conn: sqlite3.Connection, text: str | None) -> list[str] | None:
    """`--branch` as given to a listing: None (every branch) or the branch's spellings."""
    return None if text is None else resolve(conn, text)


def staff(conn: sqlite3.Connection, on: date) -> dict[str, Any]:
    """Every staff member: the owners customers name and those put in a branch, with their
    branch, active customers, open follow-ups and those on the list on `on`."""
    people: dict[str, dict[str, Any]] = {}
    for row in storage.owner_workload(conn, on):
        person = people.setdefault(
            row["owner"].casefold(),
            {"name": row["owner"], "branch": None, "customers": 0, "open": 0, "due": 0},
        )
        for key in ("customers", "open", "due"):
            person[key] += row[key]
    for row in storage.staff_members(conn):
        person = people.setdefault(
            row["name"].casefold(),
            {"name": row["name"], "branch": None, "customers": 0, "open": 0, "due": 0},
        )
        person["branch"] = row["branch"]
    rows = sorted(people.values(), key=lambda p: (p["branch"] or "", p["name"].casefold()))
    return {"date": on.isoformat(), "chain": is_chain(conn), "staff": rows}


def set_staff(conn: sqlite3.Connection, name: str, branch: str | None) -> dict[str, Any]:
    """Put a staff member in a branch ('' or None: in none). Their customers without a branch
    of their own follow them there."""
    name = clean_name(name)
    if not name:
        raise FollowupError(_("give the staff member's name"))
    with storage.transaction(conn):
        stored = storage.staff_member(conn, name)
        owners = {o.casefold(): o for o in storage.owner_names(conn)}
        # One person, one spelling: the staff table's, else the one customers carry.
        spelled = stored["name"] if stored else owners.get(name.casefold(), name)
        before = stored["branch"] if stored else None
        after = canonical(conn, branch)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        storage.set_staff_branch(conn, spelled, after, now)
    return {
        "name": spelled,
        "branch": after,
        "before": before,
        "owns_customers": spelled.casefold() in owners,
    }
