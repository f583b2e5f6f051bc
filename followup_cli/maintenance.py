"""Keeping the file safe: erase or export one person's data, back up, restore, check health."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from followup_cli import storage
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.service import customer_record, resolve_customer


def customer_export(conn: sqlite3.Connection, key: str) -> dict[str, Any]:
    """One person's data, machine-readable (PIPL/GDPR access and portability)."""
    customer = resolve_customer(conn, key)
    internal = {"id", "customer_id", "followup_id", "import_id"}  # the file's own row numbers
    tables = {
        name: [{k: v for k, v in row.items() if k not in internal} for row in rows]
        for name, rows in storage.customer_data(conn, customer.id).items()
    }
    return {
        "customer": customer_record(customer),
        **tables,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def forget_customer(conn: sqlite3.Connection, key: str) -> dict[str, str]:
    """Erase a customer and all their history, from the file's bytes as well."""
    customer = resolve_customer(conn, key)
    storage.erase_customer(conn, customer.id)
    return {"customer_id": customer.ref, "name": customer.name}


def describe(conn: sqlite3.Connection, key: str) -> str:
    customer = resolve_customer(conn, key)
    return f"{customer.ref} {customer.name}"


def backup(conn: sqlite3.Connection, target: Path, overwrite: bool) -> Path:
    if target.is_dir():
        raise FollowupError(_("{target} is a folder: give a file name").format(target=target))
    if not target.parent.exists():
        raise FollowupError(_("folder {parent} does not exist").format(parent=target.parent))
    if target.exists():
        if not overwrite:
            raise FollowupError(
                _("{target} exists: use --force to replace it").format(target=target)
            )
        target.unlink()
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        storage.backup_to(conn, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def check_backup(db_path: Path, source: Path) -> int:
    """The backup's schema version, once it is known to be a usable followup database."""
    if not source.exists():
        raise FollowupError(_("file {source} does not exist").format(source=source))
    if source.is_dir():
        raise FollowupError(_("{path} is a folder: give the backup file in it").format(path=source))
    if source.resolve() == db_path.resolve():
        raise FollowupError(_("that is the database itself"))
    return storage.inspect_file(source)


def restore(conn: sqlite3.Connection, db_path: Path, source: Path, version: int) -> dict[str, Any]:
    """Keep the current file aside, then copy the backup (checked by check_backup) in."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
    storage.backup_to(conn, aside)
    storage.restore_from(conn, source)
    storage.migrate(conn)
    return {"restored_from": str(source), "schema_version": version, "previous_kept_at": str(aside)}


def doctor(conn: sqlite3.Connection, db_path: Path) -> dict[str, Any]:
    report = storage.health(conn)
    report["file"] = str(db_path)
    mode = db_path.stat().st_mode & 0o777
    report["file_mode"] = oct(mode)
    if mode & 0o077:
        report["problems"].append(
            _("the file is readable by others ({mode}): chmod 600 it").format(mode=oct(mode))
        )
    return report
