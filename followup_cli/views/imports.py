"""Imports for a person: the summary of one import (what was read, added, left out, and how the
first plan was spread) and the list of past imports; JSON and CSV for scripts."""

from __future__ import annotations

from typing import Any

from followup_cli import wording
from followup_cli.i18n import N_, _, language
from followup_cli.output.formats import Format
from followup_cli.output.table import Col, Column
from followup_cli.views.emit import Said, Shown, Table, emit


def import_summary(summary: dict[str, Any], as_json: bool, quiet: bool, strict: bool) -> None:
    """The summary as JSON, as sentences, or (with --quiet) not at all."""
    said = (lambda: []) if quiet else (lambda: _summary_said(summary, strict))
    emit(Shown(summary, said=said), Format.json if as_json else Format.table)


def _summary_said(summary: dict[str, Any], strict: bool) -> list[Said]:
    counts = _(
        "read {read}, added {added}, updated {updated}, unchanged {unchanged}, rejected {rejected}"
    ).format(**{k: summary[k] for k in ("read", "added", "updated", "unchanged", "rejected")})
    counts = _read_as(summary) + counts + _more_counts(summary)
    if summary["dry_run"]:
        counts = _("dry run, nothing written: {counts}").format(counts=counts)
    if strict and not summary["written"]:
        counts = _("{counts} (nothing written: --strict)").format(counts=counts)
    encoding = _(ENCODING_NAMES.get(summary["encoding"], summary["encoding"]))
    said: list[Said] = [
        _("{file} ({encoding}): {counts}").format(
            file=summary["file"], encoding=encoding, counts=counts
        )
    ]
    if summary["dry_run"] and summary.get("columns"):
        read = _("Columns read: {columns}").format(columns=columns_read(summary["columns"]))
        if summary.get("kept_columns"):
            read += _("; kept as other fields: {columns}").format(
                columns=_(", ").join(summary["kept_columns"])
            )
        said.append(read)
    unknown = summary.get("unknown_levels") or {}
    if unknown:
        listed = ", ".join(f"{level} ×{count}" for level, count in unknown.items())
        example = next(iter(unknown))
        said.append(
            _(
                "{count} rows had a level the level table does not know ({listed}): imported as "
                "regular. Map one with: followup rules levels set '{example}' vip"
            ).format(count=sum(unknown.values()), listed=listed, example=example)
        )
    spread = summary.get("spread")
    if spread:
        sentence = (
            _(
                "The shop's first purchases: the {backlog} calls they make due now are spread "
                "over {days} open days, until {last}, at most {capacity} a day (option "
                "daily_capacity), most important first, each due on its day; {kept} are on "
                "today's list."
            )
            if spread.get("after") == "purchases"
            else _(
                "First import: the {backlog} calls due now are spread over {days} open days, "
                "until {last}, at most {capacity} a day (option daily_capacity), most important "
                "first; {kept} are on today's list."
            )
        )
        said.append(
            sentence.format(
                backlog=spread["backlog"],
                days=spread["open_days"],
                last=spread["last_day"],
                capacity=spread["capacity"],
                kept=spread["kept_today"],
            )
        )

    return said


# The fields an import fills besides a customer's own (see importer.HELPER_ALIASES).
# Fields only an import reads: named by their key in English (`单据号 -> order`), in words
# in other languages (`单据号 -> 订单号`).
_IMPORT_FIELD_NAMES = {
    "id": N_("customer id"),
    "order": N_("order number"),
    "amount": N_("amount"),
    "date": N_("purchase date"),
    "date2": N_("order date"),
    "cancelled": N_("cancelled"),
    "added2": N_("date added"),
}
_HELPER_FIELD_NAMES = {
    "first_name": N_("first name"),
    "last_name": N_("last name"),
    "nickname": N_("nickname"),
    "phone2": N_("second phone"),
    "country": N_("country"),
    "tags": N_("tags"),
    "level2": N_("second level"),
    "spend": N_("spend (kept)"),
    "visits": N_("visits (kept)"),
}


def columns_read(columns: dict[str, str]) -> str:
    """`备注名 -> name, 备注手机号 -> phone`: which column of the file went to which field."""

    def said(name: str) -> str:
        if name in _HELPER_FIELD_NAMES:
            return _(_HELPER_FIELD_NAMES[name])
        if name in _IMPORT_FIELD_NAMES and language() != "en":
            return _(_IMPORT_FIELD_NAMES[name])
        return wording.field(name)

    return _(", ").join(f"{column} -> {said(name)}" for column, name in columns.items())


def _read_as(summary: dict[str, Any]) -> str:
    """Which known export the file was read as, and where its header was, when that matters."""
    layout, line = summary.get("layout"), summary.get("header_line", 1)
    layout = wording.layout_name(layout) if layout else layout
    if layout and line != 1:
        return _("read as a {layout} export, header on line {line}; ").format(
            layout=layout, line=line
        )
    if layout:
        return _("read as a {layout} export; ").format(layout=layout)
    if line != 1:
        return _("header on line {line}; ").format(line=line)
    return ""


def _more_counts(summary: dict[str, Any]) -> str:
    """The counts that are not zero beyond the usual five, so a plain import reads as before."""
    parts = [
        (summary.get("merged"), _("merged {count}")),
        (summary.get("named_from_contact"), _("named from nickname/phone/e-mail {count}")),
        (summary.get("phones_left_out"), _("phones left out {count}")),
        (summary.get("shared_phones"), _("sharing a phone {count}")),
        (summary.get("skipped_totals"), _("skipped {count} total rows")),
        (summary.get("skipped_placeholders"), _("skipped {count} placeholder rows")),
        (summary.get("skipped_unpaid"), _("skipped {count} unpaid/refunded orders")),
        (summary.get("skipped_walk_ins"), _("skipped {count} sales to walk-in customers")),
        (
            summary.get("skipped_masked"),
            _("skipped {count} orders whose phone the marketplace hid"),
        ),
        (
            summary.get("skipped_keyless"),
            _("skipped {count} contacts with no phone or e-mail"),
        ),
        (summary.get("buyers_added"), _("new customers from the orders {count}")),
    ]
    return "".join(
        _(", {part}").format(part=text.format(count=count)) for count, text in parts if count
    )


# How the import summary names the encoding it read the file in.
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": N_("UTF-8 with BOM"),
    "utf-16": "UTF-16",
    "gb18030": N_("GBK/GB18030"),
    "xlsx": N_("Excel workbook"),
    "xls": N_("Excel workbook"),
    "ods": N_("OpenDocument spreadsheet"),
}


IMPORT_COLUMNS: tuple[Column, ...] = (
    ("id", N_("ID")),
    ("started_at", N_("When (UTC)")),
    ("kind", N_("Kind")),
    ("file", N_("File")),
    ("read", N_("Read")),
    ("added", N_("Added")),
    ("updated", N_("Updated")),
    ("unchanged", N_("Unchanged")),
    ("rejected", N_("Rejected")),
    ("status", N_("Status")),
    ("message", N_("Message")),
)


def imports_view(rows: list[dict[str, Any]], fmt: Format) -> None:
    def said() -> list[Said]:
        # On a narrow screen what the import did stays; how many rows it read goes first.
        columns = (
            Col("id", N_("ID"), keep=0),
            Col("started_at", N_("When"), keep=0, whole=True),
            Col("kind", N_("Kind"), keep=8),
            Col("file", N_("File"), keep=2, shorten="middle"),  # one line; the name's end stays
            Col("read", N_("Read"), keep=6),
            Col("added", N_("Added"), keep=1),
            Col("updated", N_("Updated"), keep=3),
            Col("unchanged", N_("Unchanged"), keep=7),
            Col("rejected", N_("Rejected"), keep=4),
            Col("status", N_("Status"), keep=5),
            Col("message", N_("Message"), keep=9, free=True),
        )
        shown = [{**row, "started_at": _to_minute(row.get("started_at"))} for row in rows]
        return [Table(shown, columns, _("Imports, newest first"), empty=N_("No imports yet."))]

    emit(Shown(rows, [key for key, _heading in IMPORT_COLUMNS], said=said), fmt)


def _to_minute(stamp: str | None) -> str | None:
    """2026-11-24T20:05:29.562527+00:00 -> 2026-11-25 04:05 in Shanghai: the shop's own clock
    (the computer's time zone), to the minute, for the table's When column."""
    if not stamp:
        return stamp
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp[:16].replace("T", " ")
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")
