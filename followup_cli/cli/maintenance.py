"""The database file itself: `backup`, `restore`, `doctor`, and `transfer` to or from a
chain's PostgreSQL server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from followup_cli.cli.options import (
    LateDbOpt,
    TextFormatOpt,
    TextOrJson,
    UsageProblem,
    YesOpt,
    confirm,
    connect,
    db_path,
    option_day,
)
from followup_cli.errors import EXIT_FAILURE, FollowupError
from followup_cli.i18n import _
from followup_cli.output import terminal
from followup_cli.views import maintenance as maintenance_views

app = typer.Typer()


@app.command()
def backup(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Where to write the copy."),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
    late_db: LateDbOpt = None,
) -> None:
    """Copy the database safely, even while it is in use."""
    from followup_cli.commands.maintenance import backup as run_backup

    _file_only(ctx, "backup")
    path, _default = db_path(ctx)
    if file.expanduser().resolve() == path.expanduser().resolve():
        raise FollowupError(
            _("{file} is the database itself: back up to another file").format(file=file)
        )
    target = run_backup(connect(ctx), file, force)
    terminal.message(_("Backed up to {file}").format(file=target))


@app.command()
def restore(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A backup made by 'followup backup'."),
    yes: YesOpt = False,
    late_db: LateDbOpt = None,
) -> None:
    """Replace the database with a backup; the current one is kept aside."""
    from followup_cli import storage
    from followup_cli.commands.maintenance import check_backup, discard
    from followup_cli.commands.maintenance import restore as run_restore

    if storage.chosen_server(ctx.find_root().obj["db"]) is not None:
        raise FollowupError(
            _(
                "'restore' works on a database file; to bring a copy back onto a PostgreSQL "
                "server, use 'followup --db FILE transfer --to URL' into an empty database"
            )
        )
    path, _is_default = db_path(ctx)
    conn = connect(ctx)
    staged, version = check_backup(path, file)
    try:
        confirm(_("Replace {database} with {backup}?").format(database=path, backup=file), yes)
        done = run_restore(conn, path, file, staged, version)
    finally:
        discard(staged)
    terminal.message(
        _("Restored from {restored_from}; the previous database is kept at {kept}").format(
            restored_from=done["restored_from"], kept=done["previous_kept_at"]
        )
    )


@app.command()
def doctor(
    ctx: typer.Context,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Check the database: integrity, schema version, counts, inconsistencies.

    Exit 0 when all is well, 1 when a problem was found.
    """
    from followup_cli import storage
    from followup_cli.commands.maintenance import doctor as run_doctor

    url = storage.chosen_server(ctx.find_root().obj["db"])
    report = run_doctor(connect(ctx), None if url else db_path(ctx)[0], url)
    maintenance_views.doctor_view(report, fmt is TextOrJson.json)
    if report["problems"]:
        raise typer.Exit(EXIT_FAILURE)


@app.command()
def transfer(
    ctx: typer.Context,
    to: str | None = typer.Option(
        None, "--to", help="Copy this database into an empty one: a file or postgresql://…"
    ),
    source: str | None = typer.Option(
        None, "--from", help="Copy a database (a file or postgresql://…) into this empty one."
    ),
    on: str | None = typer.Option(None, "--date", help="The report compared ends on this day."),
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Move a shop onto a chain's PostgreSQL server, or back into a file.

    Every table is copied whole into an empty database, counted on both sides, and the
    report for the last 12 months compared; any difference and nothing is copied. --from
    a server into a new file is also the offline backup of a chain.
    """
    from followup_cli import storage
    from followup_cli.commands.transfer import transfer as run_transfer

    if (to is None) == (source is None):
        raise UsageProblem(_("give exactly one of --to and --from"), ctx)
    other = (to or source or "").strip()
    if not other:
        raise typer.BadParameter(
            _("give a database file name, not an empty one"),
            param_hint="'--to'" if to is not None else "'--from'",
        )
    here_name = _here_name(ctx)
    if _same_database(other, here_name):
        raise FollowupError(
            _("{database} is this database itself: give another one").format(
                database=storage.shown_name(other)
            )
        )
    if (
        source is not None
        and not storage.is_server(other)
        and not Path(other).expanduser().is_file()
    ):
        raise FollowupError(_("no database file at {path}").format(path=other))
    # Files this command would create: taken away again if the copy fails.
    new_files = [
        Path(name).expanduser()
        for name in (here_name, other)
        if not storage.is_server(name) and not Path(name).expanduser().exists()
    ]
    there = _open_other(other)  # first: a source that cannot be read leaves nothing behind
    try:
        here = connect(ctx)
        origin, copy = (here, there) if to is not None else (there, here)
        name = other if to is not None else here_name
        with terminal.progress(_("copying")) as bar:
            tick = bar(10**9) if bar else None
            result = run_transfer(
                origin,
                copy,
                storage.shown_name(name),
                option_day(on),
                (lambda _table, n: tick(n)) if tick else None,
            )
    except BaseException:
        there.close()
        for path in new_files:
            storage.remove_with_sidecars(path)
        raise
    there.close()
    maintenance_views.transfer_view(result, fmt is TextOrJson.json)


def _open_other(target: str) -> Any:
    """The other database of a transfer: a server, or a file (created if new)."""
    from followup_cli import storage

    if storage.is_server(target):
        return storage.open_server(target)
    return storage.open_db(Path(target).expanduser())


def _same_database(one: str, other: str) -> bool:
    from followup_cli import storage

    if storage.is_server(one) or storage.is_server(other):
        return one.strip() == other.strip()
    return Path(one).expanduser().resolve() == Path(other).expanduser().resolve()


def _here_name(ctx: typer.Context) -> str:
    from followup_cli import storage

    url = storage.chosen_server(ctx.find_root().obj["db"])
    return url if url is not None else str(db_path(ctx)[0])


def _file_only(ctx: typer.Context, command: str) -> None:
    """Commands about the file's bytes: a chain's server keeps its own (pg_dump, transfer)."""
    from followup_cli import storage

    if storage.chosen_server(ctx.find_root().obj["db"]) is not None:
        raise FollowupError(
            _(
                "'{command}' works on a database file; on a PostgreSQL server keep a copy with "
                "'followup --db FILE transfer --from URL' or the server's pg_dump"
            ).format(command=command)
        )
