"""Customers for a person and for a script: `show` (a customer's fields and history or
timeline), `find`, `staff` and `at-risk`."""

from __future__ import annotations

from typing import Any

from followup_cli import wording
from followup_cli.i18n import N_, _
from followup_cli.output.formats import Format
from followup_cli.output.shown import shown
from followup_cli.output.table import Col, Column
from followup_cli.views.cells import with_branch
from followup_cli.views.emit import Said, Shown, Table, emit

CUSTOMER_KEYS = (
    "customer_id",
    "name",
    "phone",
    "email",
    "tier",
    "owner",
    "first_purchase",
    "last_purchase",
    "added",
    "contract_end",
    "status",
    "churned_on",
    "returned_on",
    "converted_on",
    "do_not_contact",
    "last_contact",
    "last_outcome",
    "spend",
    "segment",
    "rfm",
    "purchase_days",
    "notes",
    "extra",
    "branch",  # last: a chain's column, after the columns scripts already know
)
HISTORY_COLUMNS: tuple[Column, ...] = (
    ("date", N_("Date")),
    ("outcome", N_("Outcome")),
    ("channel", N_("Channel")),
    ("score", "CSAT"),
    ("nps", "NPS"),
    ("owner", N_("Owner")),
    ("note", N_("Note")),
)


def customer_view(record: dict[str, Any], fmt: Format) -> None:
    """Everything about one customer as JSON; the history as CSV; for a person, a table of the
    fields and one of the history (or the whole timeline)."""

    def said() -> list[Said]:
        owner_at = CUSTOMER_KEYS.index("owner") + 1  # a chain's branch reads beside the owner
        keys = (*CUSTOMER_KEYS[:owner_at], "branch", *CUSTOMER_KEYS[owner_at:-1])
        pairs = [
            {"field": wording.field(k), "value": shown(k, record.get(k))}
            for k in (*keys, "next_due", "next_reason")
            if record.get(k) not in (None, "", {}) and k != "extra"
        ]
        pairs += _other_fields(record.get("extra"))
        pairs += _outlook_lines(record.get("outlook"))
        if record.get("aliases"):  # their other ids (a second account, a merged customer)
            pairs.insert(1, {"field": _("other ids"), "value": ", ".join(record["aliases"])})
        fields = Table(pairs, (("field", N_("Field")), ("value", N_("Value"))), f"{record['name']}")
        if "timeline" in record:
            return [fields, timeline_table(record["timeline"])]
        history = Table(
            record["history"], HISTORY_COLUMNS, _("History"), empty=N_("No contacts logged yet.")
        )
        return [fields, history]

    keys = [key for key, _heading in HISTORY_COLUMNS]
    emit(Shown(record, keys, rows=record["history"], said=said), fmt)


def _outlook_lines(outlook: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The purchase model's figures for them, as of the last purchases import."""
    if not outlook:
        return []
    days = outlook["horizon_days"]
    lines = [
        (_("still a customer (model)"), f"{outlook['p_alive']:.0%}"),
        (
            _("purchase days expected in {days} days").format(days=days),
            f"{outlook['expected_purchases']:.1f}",
        ),
        (_("next purchase expected"), outlook["next_purchase"]),
    ]
    if outlook.get("expected_spend") is not None:
        lines.append(
            (
                _("spend expected in {days} days").format(days=days),
                wording.money(outlook["expected_spend"]),
            )
        )
    lines.append((_("worked out on"), outlook["outlook_on"]))
    return [{"field": field, "value": value} for field, value in lines]


def _other_fields(extra: Any) -> list[dict[str, Any]]:
    """The shop's own columns kept from an import, a labelled line each (`其他字段：生日`)."""
    if not isinstance(extra, dict):
        return [] if extra in (None, "") else [{"field": _("other fields"), "value": extra}]
    label = _("other field: {name}")
    return [
        {"field": label.format(name=name), "value": value}
        for name, value in extra.items()
        if value not in (None, "")
    ]


def _find_columns() -> list[Col]:
    """On a narrow window the e-mail goes first, then owner, status, tier; id, name and phone
    stay."""
    return [
        Col("customer_id", _("ID"), keep=0, whole=True),
        Col("name", _("Name"), keep=0, whole=True),
        Col("phone", _("Phone"), keep=1, whole=True),
        Col("email", _("E-mail"), keep=6, whole=True),
        Col("tier", _("Tier"), keep=3),
        Col("owner", _("Owner"), keep=5),
        Col("status", _("Status"), keep=4),
        Col("next_due", _("Next"), keep=2),
    ]


FIND_KEYS = (
    "customer_id",
    "name",
    "phone",
    "email",
    "tier",
    "owner",
    "status",
    "next_due",
    "matched",
    "branch",  # last: a chain's column, after the columns scripts already know
)


def find_view(found: dict[str, Any], fmt: Format) -> None:
    rows = found["customers"]

    def said() -> list[Said]:
        if not rows:
            return [_("No customer matches {query!r}.").format(query=found["query"])]
        if found["total"] > len(rows):
            title = _("{shown} of {total} customers matching {query!r}").format(
                shown=len(rows), total=found["total"], query=found["query"]
            )
        else:
            title = _("Customers matching {query!r}: {total}").format(
                total=found["total"], query=found["query"]
            )
        columns = _find_columns()
        if any(row.get("branch") for row in rows):
            columns = list(with_branch(columns, after="owner", keep=4))
        return [Table(rows, columns, title)]

    emit(Shown(rows, FIND_KEYS, said=said), fmt)


STAFF_KEYS = ("name", "branch", "customers", "open", "due")


def staff_view(data: dict[str, Any], fmt: Format) -> None:
    """Staff and their load; the Branch column only in a chain."""
    rows = data["staff"]

    def said() -> list[Said]:
        if not rows:
            return [_("No staff yet: give customers an owner (followup assign C001 --owner NAME).")]
        columns = [
            Col("name", N_("Staff"), keep=0, whole=True),
            Col("customers", N_("Customers"), keep=3, whole=True),
            Col("open", N_("Open follow-ups"), keep=2, whole=True),
            Col("due", _("Due by {day}").format(day=data["date"]), keep=1, whole=True),
        ]
        if data["chain"]:
            columns.insert(1, Col("branch", N_("Branch"), keep=4))
        return [Table(rows, columns, _("Staff: {count}").format(count=len(rows)))]

    emit(Shown(rows, STAFF_KEYS, said=said), fmt)


def timeline_details(event: dict[str, Any]) -> tuple[str, str]:
    """What one timeline event says to a person: (what happened, the details)."""
    kind = event["kind"]
    if kind == "added":
        return _("added"), ""
    if kind == "purchase":
        details = wording.money(event["amount"])
        if event.get("order"):
            details = (details + " " + _("order {order}").format(order=event["order"])).strip()
        return _("purchase"), details
    if kind == "change":
        if event["field"] == "merged":
            return _("merged"), _("with {other}").format(other=event["from"])
        if event["field"] == "added_by":
            return _("also added by"), event["to"] or ""
        shown = wording.tier if event["field"] == "tier" else str
        old, new = (shown(v) if v else "-" for v in (event["from"], event["to"]))
        return _("{field} changed").format(field=wording.field(event["field"])), f"{old} -> {new}"
    if kind == "snooze":
        return _("snoozed"), _("{note} (contact {contact_id})").format(
            note=event["note"] or "", contact_id=event["contact_id"]
        )
    if kind == "planned":
        return _("next follow-up"), wording.reason(event["reason"]) if event["reason"] else ""
    channel = wording.channel(event["channel"]) if event.get("channel") else None
    parts = [p for p in (channel, event.get("note")) if p]
    if event.get("score") is not None:
        parts.append(_("CSAT {score}").format(score=event["score"]))
    if event.get("nps") is not None:
        parts.append(_("NPS {nps}").format(nps=event["nps"]))
    parts.append(_("contact {contact_id}").format(contact_id=event["contact_id"]))
    return wording.outcome(event["outcome"]), "; ".join(parts)


def timeline_table(events: list[dict[str, Any]]) -> Table:
    rows = []
    for event in events:
        what, details = timeline_details(event)
        rows.append({"date": event["date"], "what": what, "details": details})
    columns = [
        Col("date", _("Date"), keep=0, whole=True),
        Col("what", _("What"), keep=0),
        Col("details", _("Details"), keep=0, free=True),
    ]
    return Table(rows, columns, _("Timeline"))


AT_RISK_COLUMNS: tuple[Column, ...] = (
    ("customer_id", N_("ID")),
    ("name", N_("Name")),
    ("phone", N_("Phone")),
    ("tier", N_("Tier")),
    ("owner", N_("Owner")),
    ("last_activity", N_("Last purchase/contact")),
    ("silent_days", N_("Silent days")),
    ("interval", N_("Interval")),
)


def at_risk_view(rows: list[dict[str, Any]], fmt: Format, every: bool = False) -> None:
    """For a person the Branch column beside the owner, in a chain; for a script always, last.
    On a terminal a longer list stops at a screenful, unless `every` (--all)."""
    keys = (*(key for key, _heading in AT_RISK_COLUMNS), "branch", "slipping_on")

    def said() -> list[Said]:
        shown = [
            {**row, "interval": _("model: slipping since {day}").format(day=row["slipping_on"])}
            if row.get("slipping_on")
            else row
            for row in rows
        ]
        columns = AT_RISK_COLUMNS
        if any(row["branch"] for row in rows):
            at = [key for key, _heading in columns].index("owner") + 1
            columns = (*columns[:at], ("branch", N_("Branch")), *columns[at:])
        title = _("At risk of churning: {count}").format(count=len(rows))
        more = None if every else "all"
        return [Table(shown, columns, title, empty=N_("Nobody is at risk."), more=more)]

    emit(Shown(rows, keys, said=said), fmt)
