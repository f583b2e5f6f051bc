"""What happens with a customer's follow-up: `log` an outcome, `undo` it, `snooze`,
`assign`, `optout` and `reactivate`.
"""

from __future__ import annotations

import sys

import typer

from followup_cli.cli.options import (
    ID_MOST,
    CustomerArg,
    DayOpt,
    LateDbOpt,
    TextFormatOpt,
    TextOrJson,
    UsageProblem,
    complete_branches,
    connect,
    not_after_today,
    option_day,
    typed_outcome,
    typed_word,
)
from followup_cli.errors import FollowupError
from followup_cli.i18n import _
from followup_cli.output import formats, terminal

app = typer.Typer()


@app.command()
def log(
    ctx: typer.Context,
    customer: CustomerArg,
    outcome: str = typer.Argument(
        ...,
        callback=typed_outcome,
        help="What happened: reached, no-answer, complaint, converted, lost, opt-out "
        "(or 已接通, 没人接, 投诉了, 下单了, 流失, 不要再打: every word below).",
    ),
    on: str | None = typer.Option(None, "--date", help="Day of the contact (default today)."),
    note: str | None = typer.Option(None, "--note", help="What was said."),
    channel: str | None = typer.Option(
        None,
        "--channel",
        callback=lambda value: typed_word("channel", value),
        help="How they were contacted: phone, sms, email, wechat, visit "
        "(or 电话, 短信, 微信, 邮件, 到店).",
    ),
    score: int | None = typer.Option(None, "--score", min=1, max=5, help="Satisfaction 1-5."),
    nps: int | None = typer.Option(None, "--nps", min=0, max=10, help="Would recommend 0-10."),
    again: bool = typer.Option(
        False, "--again", help=_("Log it even if the same outcome is already logged that day.")
    ),
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Record the outcome of a contact and plan the next follow-up."""
    from followup_cli.commands.contacts import AlreadyLogged, log_outcome, same_outcome_logged
    from followup_cli.text import strip_controls
    from followup_cli.vocabulary import shown_outcome

    day = not_after_today(option_day(on))
    conn = connect(ctx)
    already = None if again else same_outcome_logged(conn, customer, outcome, day)
    if already is not None:
        said = shown_outcome(ctx.meta.get("typed_outcome", ""), outcome)
        question = _("{who} already has {outcome} logged on {day}. Log it again?").format(
            who=already, outcome=said, day=day.isoformat()
        )
        if not sys.stdin.isatty():
            raise FollowupError(
                _(
                    "{who} already has {outcome} logged on {day}: add --again to log a second one"
                ).format(who=already, outcome=said, day=day.isoformat())
            )
        if not typer.confirm(question, default=False):
            raise FollowupError(_("nothing logged"))
        again = True  # asked and confirmed
    try:
        result = log_outcome(
            conn,
            customer,
            outcome,
            day,
            strip_controls(note) if note else note,
            channel,
            score,
            nps,
            refuse_same_day=not again,  # checked again under the write lock
        )
    except AlreadyLogged as exc:
        said = shown_outcome(ctx.meta.get("typed_outcome", ""), outcome)
        raise FollowupError(
            _(
                "{who} already has {outcome} logged on {day}: add --again to log a second one"
            ).format(who=exc.who, outcome=said, day=day.isoformat())
        ) from None
    if fmt is TextOrJson.json:
        formats.write_json(result.as_dict())
        return
    from followup_cli import wording

    done = {
        "retry": _("no answer, will try again"),
        "missed": _("no answer after the last attempt: follow-up missed"),
    }.get(result.status)
    nxt = (
        _("next: {due} ({reason})").format(
            due=result.next_due, reason=wording.reason(result.next_reason)
        )
        if result.next_due
        else _("nothing planned")
    )
    logged = _("Logged {outcome} for {customer_id} {name} on {date} (contact {contact_id})").format(
        outcome=wording.outcome(result.outcome),
        customer_id=result.customer_id,
        name=result.name,
        date=result.date,
        contact_id=result.contact_id,
    )
    terminal.message(
        _("{logged}; {done}; {next}").format(logged=logged, done=done, next=nxt)
        if done
        else _("{logged}; {next}").format(logged=logged, next=nxt)
    )


@app.command()
def undo(
    ctx: typer.Context,
    contact: int | None = typer.Option(
        None,
        "--contact",
        min=1,
        max=ID_MOST,
        help="The contact's number (shown by 'log' and 'show').",
    ),
    on: DayOpt = None,
    owner: str | None = typer.Option(
        None, "--owner", help=_("The last log of this staff member's customers.")
    ),
    branch: str | None = typer.Option(
        None,
        "--branch",
        help=_("The last log at this branch (a chain of shops)."),
        hidden=True,
        autocompletion=complete_branches,
    ),
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Take back the last logged contact (or --contact N): the follow-up it closed is open again
    and what it planned is removed. Refused once something later depends on it."""
    from followup_cli import wording
    from followup_cli.commands.branches import optional
    from followup_cli.commands.contacts import undo_log
    from followup_cli.i18n import _

    conn = connect(ctx)
    if contact is not None and (owner is not None or branch is not None):
        raise FollowupError(_("--contact names one contact: leave out --owner and --branch"))
    done = undo_log(conn, contact, option_day(on), owner=owner, branches=optional(conn, branch))
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    from followup_cli.undo_words import undid_line

    lines = [undid_line(done)]
    if done["removed"] and done["removed"] != done["reopened"]:
        lines.append(_("No longer planned: {day}.").format(day=done["removed"]))
    if done["next_due"]:
        lines.append(
            _("Next: {day} ({reason}).").format(
                day=done["next_due"], reason=wording.reason(done["next_reason"])
            )
        )
    else:
        lines.append(_("Nothing is planned."))
    terminal.message(" ".join(lines))


@app.command()
def snooze(
    ctx: typer.Context,
    customer: CustomerArg,
    when: str | None = typer.Argument(
        None,
        help="The same as --until: `followup snooze C001 3天`.",
        show_default=False,
    ),
    until: str | None = typer.Option(
        None,
        "--until",
        help="A day (2026-11-05, 11月5日 = the next 5 Nov, 明天) or a time from --date: 3d, 2w, "
        "1m, 3天, 2周, 1个月, 半年.",
    ),
    note: str | None = typer.Option(None, "--note", help="Why."),
    on: DayOpt = None,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Postpone a customer's follow-up (not a miss)."""
    from followup_cli.commands.snooze import parse_until
    from followup_cli.commands.snooze import snooze as run_snooze
    from followup_cli.text import strip_controls

    if (when is None) == (until is None):
        raise UsageProblem(_("say until when, once: 'snooze C001 3天' or --until 3天"), ctx)
    until = when if until is None else until
    today_ = option_day(on)
    note = strip_controls(note) if note else note
    done = run_snooze(connect(ctx), customer, parse_until(until, today_), today_, note)
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    terminal.message(
        _("Snoozed {customer_id} {name} until {until}").format(
            customer_id=done["customer_id"], name=done["name"], until=done["until"]
        )
    )


@app.command()
def assign(
    ctx: typer.Context,
    customer: CustomerArg,
    owner: str = typer.Option(..., "--owner", help="The staff member who follows them up."),
    on: DayOpt = None,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Give a customer to a staff member."""
    from followup_cli.commands.customers import assign as run_assign

    done = run_assign(connect(ctx), customer, owner, option_day(on))
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    terminal.message(
        _("{customer_id} {name} is now followed up by {owner}").format(
            customer_id=done["customer_id"], name=done["name"], owner=done["owner"]
        )
    )


@app.command()
def optout(
    ctx: typer.Context,
    customer: CustomerArg,
    undo: bool = typer.Option(False, "--undo", help="They agreed to be contacted again."),
    on: DayOpt = None,
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Mark a customer do-not-contact (kept across re-imports), or undo it."""
    from followup_cli.commands.customers import set_opt_out

    done = set_opt_out(connect(ctx), customer, not undo, option_day(on))
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    if done["do_not_contact"]:
        sentence = _("{customer_id} {name} will not be contacted")
    elif done["next_due"]:
        sentence = _("{customer_id} {name} may be contacted again; next: {next_due}")
    else:
        sentence = _("{customer_id} {name} may be contacted again")
    terminal.message(
        sentence.format(
            customer_id=done["customer_id"], name=done["name"], next_due=done["next_due"]
        )
    )


@app.command()
def reactivate(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=_("Customer id, or a phone, e-mail or exact name.")),
    on: str | None = typer.Option(
        None, "--date", help=_("The day they came back (default today).")
    ),
    fmt: TextFormatOpt = TextOrJson.text,
    late_db: LateDbOpt = None,
) -> None:
    """Bring back a customer marked lost: active again, with their next follow-up planned.

    A purchase after the loss (imported, or 'converted' for a prospect) does this by itself.
    """
    from followup_cli.commands.customers import reactivate as run_reactivate

    day = not_after_today(option_day(on))
    done = run_reactivate(connect(ctx), customer, day)
    if fmt is TextOrJson.json:
        formats.write_json(done)
        return
    if done["next_due"]:
        text = _("{ref} {name} is active again from {day}; next: {due} ({reason})")
    else:
        text = _("{ref} {name} is active again from {day}; nothing planned")
    terminal.message(
        text.format(
            ref=done["customer_id"],
            name=done["name"],
            day=done["returned_on"],
            due=done["next_due"],
            reason=done["next_reason"],
        )
    )
