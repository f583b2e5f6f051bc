"""Keeping the file safe: erase or export one person's data, back up, restore, check health."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from followup_cli import storage
from followup_cli.commands.lookup import customer_record, resolve_customer
from followup_cli.errors import FollowupError
from followup_cli.i18n import _


def customer_export(conn: sqlite3.Connection, key: str) -> dict[str, Any]:
    """One person's data, machine-readable (PIPL/GDPR access and portability)."""
    customer = resolve_customer(conn, key)
    internal = {"id", "customer_id", "followup_id"}  # the file's own row numbers
    tables = {
        name: [{k: v for k, v in row.items() if k not in internal} for row in rows]
        for name, rows in storage.customer_data(conn, customer.id).items()
    }
    return {
        "customer": customer_record(customer),
        **tables,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def forget_customer(conn: sqlite3.Connection, key: str) -> dict[str, Any]:
    """Erase a customer and all their history, from the file's bytes as well.

    `scrubbed` is False when another program's open read kept the old bytes in the file for
    now: the next followup command to open the file scrubs them.
    """
    customer = resolve_customer(conn, key)
    scrubbed = storage.erase_customer(conn, customer.id)
    return {"customer_id": customer.ref, "name": customer.name, "scrubbed": scrubbed}


def forget_in_copies(conn: sqlite3.Connection, db_path: Path, ref: str) -> dict[str, list[str]]:
    """Reach the copies followup made of the file: erase the customer from the copies
    `restore` kept aside, and name the backups (made by `backup`) that still exist, with any
    copy that could not be changed, for the owner to deal with."""
    erased: list[str] = []
    unreachable: list[str] = []
    for copy in sorted(db_path.parent.glob(f"{db_path.name}.before-restore-*")):
        if copy.name.endswith(("-journal", "-wal", "-shm")) or not copy.is_file():
            continue
        try:
            if storage.erase_from_copy(copy, ref):
                erased.append(str(copy))
        except FollowupError:
            unreachable.append(str(copy))
    backups = [str(p) for p in storage.backup_paths(conn) if p.is_file()]
    return {"erased_in": erased, "backups": backups, "unreachable": unreachable}


def describe(conn: sqlite3.Connection, key: str) -> str:
    customer = resolve_customer(conn, key)
    return f"{customer.ref} {customer.name}"


def backup(conn: sqlite3.Connection, target: Path, overwrite: bool) -> Path:
    """Copy the database to `target`; with `overwrite` an old file there is kept until the
    new copy is complete (a full disk leaves the previous backup as it was)."""
    if target.is_dir():
        raise FollowupError(_("{target} is a folder: give a file name").format(target=target))
    if not target.parent.exists():
        raise FollowupError(_("folder {parent} does not exist").format(parent=target.parent))
    if os.path.lexists(target) and not overwrite:
        raise FollowupError(_("{target} exists: use --force to replace it").format(target=target))
    storage.backup_to(conn, target)
    storage.record_backup(conn, target.absolute(), datetime.now(UTC).isoformat(timespec="seconds"))
    return target


def check_backup(db_path: Path, source: Path) -> tuple[Path, int]:
    """A private copy of the backup, once it is known to be a usable followup database, and
    its schema version. The caller removes the copy with `discard`."""
    if not source.exists():
        raise FollowupError(_("file {source} does not exist").format(source=source))
    if source.is_dir():
        raise FollowupError(_("{path} is a folder: give the backup file in it").format(path=source))
    if source.resolve() == db_path.resolve():
        raise FollowupError(_("that is the database itself"))
    staged = storage.stage_copy(source, db_path.parent)
    try:
        return staged, storage.inspect_file(staged)
    except BaseException:
        discard(staged)
        raise


def discard(staged: Path) -> None:
    storage.remove_with_sidecars(staged)


def restore(
    conn: sqlite3.Connection, db_path: Path, source: Path, staged: Path, version: int
) -> dict[str, Any]:
    """Keep the current file aside and copy the backup (checked by check_backup) in, under
    one write lock from the first byte of the copy to the last of the restore."""
    aside_partial = storage.private_temp(db_path.parent, f"{db_path.name}.before-restore")
    try:
        storage.restore_from(conn, db_path, staged, aside_partial)
        aside = _keep_aside(aside_partial, db_path)
    finally:
        storage.remove_with_sidecars(aside_partial)
    return {"restored_from": str(source), "schema_version": version, "previous_kept_at": str(aside)}


def _keep_aside(partial: Path, db_path: Path) -> Path:
    """Give the copy its dated name without ever replacing a file (or link) already there."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(1, 100):
        suffix = "" if attempt == 1 else f"-{attempt}"
        aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}{suffix}")
        try:
            os.link(partial, aside)  # fails if the name exists, and never follows a link
        except FileExistsError:
            continue
        return aside
    raise FollowupError(
        _("too many copies named {name}").format(name=f"{db_path.name}.before-restore-{stamp}")
    )


def doctor(
    conn: sqlite3.Connection, db_path: Path | None, url: str | None = None
) -> dict[str, Any]:
    report = storage.health(conn)
    if db_path is None:  # a chain's server: no file of ours to check
        report["file"] = storage.shown_name(url or "")
        report["file_mode"] = "server"
        return report
    report["file"] = str(db_path)
    mode = db_path.stat().st_mode & 0o777
    report["file_mode"] = oct(mode)
    if mode & 0o077:
        report["problems"].append(
            _("the file is readable by others ({mode}): chmod 600 it").format(mode=oct(mode))
        )
    return report
