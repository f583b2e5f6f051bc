"""The customer records: `show`, `find`, `add`, `edit`, `merge`, and `forget` (the
right to erasure).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from followup_cli.cli.options import (
    CustomerArg,
    DayOpt,
    LateDbOpt,
    TableFormatOpt,
    TextFormatOpt,
    TextOrJson,
    YesOpt,
    complete_branches,
    complete_customers,
    complete_tiers,
    confirm,
    connect,
    db_path,
    option_day,
    typed_dates,
)
from followup_cli.commands.morning import LIMIT_MOST
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.output import formats, terminal
from followup_cli.output.formats import Format
from followup_cli.views import customers as customers_views

app = typer.Typer()


@app.command()
def show(
    ctx: typer.Context,
    customer: CustomerArg,
    fmt: Format = typer.Option(Format.table, "--format", help="table, json, or csv (history)."),
    late_db: LateDbOpt = None,
) -> None:
    """Show one customer and their story in date order: purchases, contacts, snoozes, tier
    and owner changes, and the next follow-up."""
    from followup_cli.commands.customers import timeline

    customers_views.customer_view(timeline(connect(ctx), customer), fmt)


@app.command()
def find(
    ctx: typer.Context,
    text: str = typer.Argument(
        ..., help="Part of a name, an id, or the last 4+ digits of a phone."
    ),
    limit: int = typer.Option(20, "--limit", min=1, max=LIMIT_MOST, help="Show at most N."),
    fmt: TableFormatOpt = Format.table,
    late_db: LateDbOpt = None,
) -> None:
    """Find customers by part of a name, an id, an e-mail or the last digits of a phone."""
    from followup_cli.commands.customers import find as run_find

    customers_views.find_view(run_find(connect(ctx), text, limit), fmt)


NameOpt = Annotated[str | None, typer.Option("--name", help="Full name.")]


PhoneOpt = Annotated[
    str | None, typer.Option("--phone", help="Phone; without +code, the shop's phone_region.")
]


EmailOpt = Annotated[str | None, typer.Option("--email", help="E-mail address.")]


TierOpt = Annotated[
    str | None,
    typer.Option(
        "--tier",
        help="vip, new, regular, prospect (or a tier of your own; 新客户, VIP客户 ...).",
        autocompletion=complete_tiers,
    ),
]


OwnerOpt = Annotated[str | None, typer.Option("--owner", help="The staff member who follows up.")]


NotesOpt = Annotated[str | None, typer.Option("--notes", help="Free text about the customer.")]


FirstOpt = Annotated[str | None, typer.Option("--first-purchase", help="Date of first purchase.")]


LastOpt = Annotated[str | None, typer.Option("--last-purchase", help="Date of last purchase.")]


AddedOpt = Annotated[str | None, typer.Option("--added", help="Customer since (default: today).")]


ContractOpt = Annotated[
    str | None, typer.Option("--contract-end", help="Contract or membership end date.")
]


IdOpt = Annotated[str | None, typer.Option("--id", help="The shop's own customer number.")]


BranchOpt = Annotated[
    str | None,
    typer.Option(
        "--branch",
        help="The branch of a chain the customer belongs to (else their owner's).",
        hidden=True,
        autocompletion=complete_branches,
    ),
]


@app.command()
def add(
    ctx: typer.Context,
    customer_name: str = typer.Argument(..., help="The customer's name."),
    customer_id: IdOpt = None,
    phone: PhoneOpt = None,
    email: EmailOpt = None,
    tier: TierOpt = None,
    owner: OwnerOpt = None,
    notes: NotesOpt = None,
    first_purchase: FirstOpt = None,
    last_purchase: LastOpt = None,
    added: AddedOpt = None,
    contract_end: ContractOpt = None,
    branch: BranchOpt = None,
    on: DayOpt = None,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Add one customer by hand, checked as an import row is; their first follow-up is planned.

    Needs an id, a phone or an e-mail. Refused if that id, phone or e-mail already belongs to a
    customer. Dates as in imports (2025-01-31, 2025/1/31, 2025年1月31日), or 昨天, 1月31日.
    """
    from followup_cli.commands.customers import add as run_add

    fields = dict(
        id=customer_id,
        name=customer_name,
        phone=phone,
        email=email,
        tier=tier,
        owner=owner,
        notes=notes,
        first_purchase=first_purchase,
        last_purchase=last_purchase,
        added=added,
        contract_end=contract_end,
        branch=branch,
    )
    today_ = option_day(on)
    done = run_add(connect(ctx), typed_dates(fields, today_), today_)
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    from followup_cli import wording

    text = _("Added {ref} {name} ({tier}).").format(
        ref=done["customer_id"], name=done["name"], tier=wording.tier(done["tier"])
    )
    terminal.message(f"{text} {_next_sentence(done)}")
    if done["same_name"]:
        terminal.warn(
            _(
                "Note: {refs} has the same name; if they are one person, "
                "'followup merge {first} {ref}' joins them."
            ).format(
                refs=", ".join(done["same_name"]),
                first=done["same_name"][0],
                ref=done["customer_id"],
            )
        )


def _next_sentence(done: dict[str, Any]) -> str:
    from followup_cli import wording

    if done["next_due"]:
        return _("Next: {day} ({reason}).").format(
            day=done["next_due"], reason=wording.reason(done["next_reason"])
        )
    return _("Nothing is planned.")


@app.command()
def edit(
    ctx: typer.Context,
    customer: CustomerArg,
    name: NameOpt = None,
    new_id: IdOpt = None,
    phone: PhoneOpt = None,
    email: EmailOpt = None,
    tier: TierOpt = None,
    owner: OwnerOpt = None,
    notes: NotesOpt = None,
    first_purchase: FirstOpt = None,
    last_purchase: LastOpt = None,
    added: AddedOpt = None,
    contract_end: ContractOpt = None,
    branch: BranchOpt = None,
    on: DayOpt = None,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Correct a customer's details ('' clears an optional one). A new tier or date re-plans
    the next follow-up; every change is kept and shown by 'followup show'."""
    from followup_cli.commands.customers import edit as run_edit

    fields = dict(
        id=new_id,
        name=name,
        phone=phone,
        email=email,
        tier=tier,
        owner=owner,
        notes=notes,
        first_purchase=first_purchase,
        last_purchase=last_purchase,
        added=added,
        contract_end=contract_end,
        branch=branch,
    )
    today_ = option_day(on)
    done = run_edit(connect(ctx), customer, typed_dates(fields, today_), today_)
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    if not done["changed"]:
        terminal.message(
            _("{ref} {name}: nothing changed.").format(ref=done["customer_id"], name=done["name"])
        )
        return
    from followup_cli import wording

    def shown(field: str, value: Any) -> str:
        if not value:
            return "-"
        return wording.tier(value) if field == "tier" else str(value)

    changed = "; ".join(
        f"{wording.field(field)}: {shown(field, change['from'])} -> {shown(field, change['to'])}"
        for field, change in done["changed"].items()
    )
    text = _("Changed {ref} {name}: {changes}.").format(
        ref=done["customer_id"], name=done["name"], changes=changed
    )
    terminal.message(f"{text} {_next_sentence(done)}")


@app.command()
def merge(
    ctx: typer.Context,
    keep: CustomerArg,
    other: Annotated[
        str,
        typer.Argument(
            help="The duplicate record, merged into the first and then removed.",
            autocompletion=complete_customers,
        ),
    ],
    yes: YesOpt = False,
    on: DayOpt = None,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Merge two records of one person into the first: both histories kept, the first's
    details win and its gaps are filled from the second; at most one follow-up stays open."""
    from followup_cli.commands.customers import merge as run_merge
    from followup_cli.commands.maintenance import describe

    conn = connect(ctx)
    confirm(
        _("Merge {other} into {keep}, and remove {other}?").format(
            other=describe(conn, other), keep=describe(conn, keep)
        ),
        yes,
    )
    done = run_merge(conn, keep, other, option_day(on))
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    text = _("Merged {other} into {ref} {name}.").format(
        other=done["merged"], ref=done["customer_id"], name=done["name"]
    )
    terminal.message(f"{text} {_next_sentence(done)}")


@app.command()
def forget(
    ctx: typer.Context,
    customer: CustomerArg,
    yes: YesOpt = False,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Erase a customer and all their history from the file (right to erasure)."""
    from followup_cli.commands.maintenance import describe, forget_customer, forget_in_copies

    conn = connect(ctx)
    confirm(
        _("Erase {customer} and all their history?").format(customer=describe(conn, customer)), yes
    )
    from followup_cli import storage

    if storage.on_server(conn):
        say = terminal.warn if fmt is TextOrJson.json else terminal.message  # stdout: the JSON
        say(
            _(
                "Rewriting the server's tables that held them, so their details are gone from "
                "its data files too; other commands at every branch wait until this is done."
            )
        )
    gone = forget_customer(conn, customer)

    copies = (
        {"erased_in": [], "backups": [], "unreachable": []}
        if storage.chosen_server(ctx.find_root().obj["db"])
        else forget_in_copies(conn, db_path(ctx)[0], gone["customer_id"])
    )
    if fmt is TextOrJson.json and gone["scrubbed"]:  # else the one line below says why not
        formats.write_json({**gone, **copies})
        return
    if gone["scrubbed"]:
        terminal.message(
            _("Erased {customer_id} {name} and all their history.").format(
                customer_id=gone["customer_id"], name=gone["name"]
            )
        )
    for copy in copies["erased_in"]:
        terminal.message(_("Also erased from the copy kept by restore: {file}").format(file=copy))
    for copy in copies["unreachable"]:
        terminal.warn(_("Could not erase them from the copy {file}: delete it").format(file=copy))
    for copy in copies["backups"]:
        terminal.warn(
            _(
                "The backup {file} may still hold them: erase there with "
                "'followup --db {file} forget {customer_id} --yes', or delete it"
            ).format(file=copy, customer_id=gone["customer_id"])
        )
    if not gone["scrubbed"]:
        raise FollowupError(
            _(
                "{customer_id} {name} is erased from the customer list, but another program "
                "is reading the database, so their old details stay in the file's bytes for "
                "now: run any followup command once that program has finished, and they are "
                "scrubbed"
            ).format(**gone)
        )
