"""Bringing files in: `import customers|purchases FILE` (one signature for both), and
`imports` to list past imports or `imports undo` one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from followup_cli.cli.options import (
    ID_MOST,
    LateDbOpt,
    ReplanDayOpt,
    TableFormatOpt,
    TextFormatOpt,
    TextOrJson,
    YesOpt,
    confirm,
    connect,
    option_day,
)
from followup_cli.commands.morning import LIMIT_MOST
from followup_cli.errors import FollowupError
from followup_cli.i18n import N_, _
from followup_cli.output import files, formats, terminal
from followup_cli.output.formats import Format
from followup_cli.views import imports as imports_views

import_app = typer.Typer(help="Bring customers in from a file.", no_args_is_help=True)


@import_app.callback()
def import_group(late_db: LateDbOpt = None) -> None:
    # no docstring: the group's help is the one above
    pass


FileArg = Annotated[
    Path, typer.Argument(help="CSV/TSV (UTF-8, UTF-8 with BOM, GBK, UTF-16) or .xlsx workbook.")
]


EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="Force an encoding.")]


DelimiterOpt = Annotated[
    str | None, typer.Option("--delimiter", help="Force a delimiter (',', ';', 'tab', '|').")
]


SheetOpt = Annotated[str | None, typer.Option("--sheet", help="Excel sheet (default: first).")]


MapOpt = Annotated[list[str], typer.Option("--map", help="'Column=field', repeatable.")]


DayFirstOpt = Annotated[
    bool | None, typer.Option("--dayfirst/--monthfirst", help="How to read 03/04/2025.")
]


RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region", help="Country for phones without +code (default: option phone_region)."
    ),
]


DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Check everything, write nothing.")]


StrictOpt = Annotated[bool, typer.Option("--strict", help="Import nothing if any row is bad.")]


RejectsOpt = Annotated[
    Path | None, typer.Option("--rejects", help="Write rejected rows here, with a reason column.")
]


QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing when all is well.")]


ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="Use the options saved under this name.")
]


SaveProfileOpt = Annotated[
    str | None, typer.Option("--save-profile", help="Save this run's options under a name.")
]


SummaryOpt = Annotated[TextOrJson, typer.Option("--format", help="Summary as text or json.")]


ImportDateOpt = Annotated[str | None, typer.Option("--date", help="Import as of this day.")]


HeaderRowOpt = Annotated[
    int | None,
    typer.Option(
        "--header-row", min=1, help="Line of the header row (default: found in the file)."
    ),
]


def _import_command(kind: str, help_text: str) -> Any:
    """`import customers` and `import purchases` take the same options; one signature."""

    def command(
        ctx: typer.Context,
        file: FileArg,
        on: ImportDateOpt = None,
        encoding: EncodingOpt = None,
        delimiter: DelimiterOpt = None,
        sheet: SheetOpt = None,
        mapping: MapOpt = [],  # noqa: B006 - typer needs the default here
        dayfirst: DayFirstOpt = None,
        region: RegionOpt = None,
        profile: ProfileOpt = None,
        save_profile: SaveProfileOpt = None,
        dry_run: DryRunOpt = False,
        strict: StrictOpt = False,
        rejects: RejectsOpt = None,
        quiet: QuietOpt = False,
        fmt: SummaryOpt = TextOrJson.text,
        header_row: HeaderRowOpt = None,
        late_db: LateDbOpt = None,
    ) -> None:
        _run_import(
            kind,
            ctx,
            file,
            on,
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            mapping=mapping,
            dayfirst=dayfirst,
            region=region,
            profile=profile,
            save_profile=save_profile,
            dry_run=dry_run,
            strict=strict,
            rejects=rejects,
            quiet=quiet,
            fmt=fmt,
            header_row=header_row,
        )

    command.__doc__ = help_text
    command.__name__ = f"import_{kind}"
    return command


import_app.command("customers")(
    _import_command(
        "customers",
        N_("""Add or update customers from a file. Re-importing the same file changes nothing.

    Exit 0: every row used; 3: done, some rows rejected; 4: nothing imported.
    """),
    )
)


import_app.command("purchases")(
    _import_command(
        "purchases",
        N_("""Add purchases (customer id/phone/e-mail, date, amount, order number).

    Updates first and last purchase dates and spend; a prospect who buys becomes a new
    customer. Exit codes as for 'import customers'.
    """),
    )
)


def _run_import(kind: str, ctx: typer.Context, file: Path, on: str | None, **opts: Any) -> None:
    from followup_cli.imports import run as imports
    from followup_cli.imports.read import check_importable

    if str(file) == "-":  # a cron pipe: `till-export | followup import customers -`
        from followup_cli.imports.read import standard_input_copy

        with standard_input_copy() as copy:
            _run_import(kind, ctx, copy, on, **opts)
        return
    from followup_cli.imports.read import shown_path

    shown = shown_path(file)
    check_importable(file)  # before a new database is made for an import that cannot start
    if opts["rejects"] is not None:
        files.check_output(str(opts["rejects"]))  # before the import, not after it
    given = imports.ImportOptions(
        encoding=opts["encoding"],
        delimiter=_delimiter(opts["delimiter"]),
        sheet=opts["sheet"],
        mapping=_parse_mapping(opts["mapping"], kind),
        dayfirst=opts["dayfirst"],
        region=opts["region"].upper() if opts["region"] else None,
        header_row=opts["header_row"],
    )
    conn = connect(ctx)
    options = imports.resolve_options(conn, given, opts["profile"], opts["save_profile"])
    run = imports.import_customers if kind == "customers" else imports.import_purchases
    with terminal.progress(
        _("Importing {file}").format(file=Path(shown).name),
        _("Writing {file}").format(file=Path(shown).name),
        quiet=opts["quiet"],
    ) as progress:
        result = run(
            conn,
            file,
            option_day(on),
            options,
            dry_run=opts["dry_run"],
            strict=opts["strict"],
            progress=progress,
        )
    reported = [(r.line, r.reason) for r in result.rejected]
    if not opts["quiet"]:
        reported += result.warnings  # values left out; the row itself was used
    for line, text in sorted(reported, key=lambda item: item[0]):
        terminal.warn(_("{file}: line {line}: {reason}").format(file=shown, line=line, reason=text))
    imports_views.import_summary(
        result.summary(),
        opts["fmt"] is TextOrJson.json,
        opts["quiet"] and not result.rejected,
        opts["strict"],
    )
    if opts["rejects"] is not None:
        rows = [
            {**dict(zip(result.header, r.cells, strict=False)), "reason": r.reason}
            for r in result.rejected
        ]
        columns = [*result.header, "reason"]
        try:
            files.to_text_file(str(opts["rejects"]), formats.write_csv, rows, columns, bom=True)
        except (OSError, FollowupError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else exc.format_message()
            raise FollowupError(
                _(
                    "the import is done as summarised above, but the rejected rows could not "
                    "be written to {file} ({reason})"
                ).format(file=opts["rejects"], reason=reason or exc)
            ) from None
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    if value.lower() in ("tab", "\\t", "\t"):
        return "\t"
    if len(value) != 1:
        raise FollowupError(_("--delimiter takes one character (or 'tab')"))
    return value


def _parse_mapping(pairs: list[str], kind: str) -> dict[str, str]:
    from followup_cli.imports.headers import FIELDS, PURCHASE_FIELDS

    fields = FIELDS if kind == "customers" else PURCHASE_FIELDS
    mapping = {}
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        target = target.strip().lower()
        if not sep or not column.strip() or target not in fields:
            raise FollowupError(
                _("--map {pair!r} must be 'Column=field' with field one of {fields}").format(
                    pair=pair, fields=", ".join(fields)
                )
            )
        mapping[column] = target
    return mapping


imports_app = typer.Typer(
    help="List past imports, or undo one.", invoke_without_command=True, no_args_is_help=False
)


@imports_app.callback()
def imports_list(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", min=1, max=LIMIT_MOST, help="Show the N most recent."),
    every: bool = typer.Option(
        False, "--all", help=_("Also the imports that changed nothing (a nightly re-import).")
    ),
    fmt: TableFormatOpt = Format.table,
    late_db: LateDbOpt = None,
) -> None:
    """List past imports, newest first: when, which file, what it did."""
    if ctx.invoked_subcommand is not None:
        return
    from followup_cli.imports.history import list_imports

    imports_views.imports_view(list_imports(connect(ctx), limit, every), fmt)


@imports_app.command("undo")
def imports_undo(
    ctx: typer.Context,
    import_id: int = typer.Argument(
        ..., min=1, max=ID_MOST, help="The import's ID from 'followup imports'."
    ),
    on: ReplanDayOpt = None,
    yes: YesOpt = False,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Revert an import: customers it added removed, fields it changed restored.

    Refused when anything was logged on those customers since the import.
    """
    from followup_cli.imports.history import undo_import

    day = option_day(on)
    conn = connect(ctx)
    confirm(
        _(
            "Undo import {import_id}: remove the customers it added and restore the fields it "
            "changed?"
        ).format(import_id=import_id),
        yes,
    )
    done = undo_import(conn, import_id, day)
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    said = (
        _(
            "Import {import_id} undone: {purchases_removed} purchases removed, {removed} "
            "customers removed, {restored} restored."
        )
        if done["purchases_removed"]
        else _("Import {import_id} undone: {removed} customers removed, {restored} restored.")
    )
    terminal.message(said.format(**done))
