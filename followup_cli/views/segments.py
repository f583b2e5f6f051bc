"""Purchases drive the plan, for a person and for scripts: customers by value segment (RFM),
and the tier changes their purchases suggest."""

from __future__ import annotations

from typing import Any

from followup_cli.i18n import _
from followup_cli.output.formats import Format
from followup_cli.output.shown import segment_name
from followup_cli.output.table import Col
from followup_cli.views.cells import bar, percent
from followup_cli.views.emit import Said, Shown, Table, emit

SEGMENT_KEYS = (
    "segment",
    "name",
    "r",
    "f",
    "m",
    "customers",
    "customer_share",
    "spend",
    "spend_share",
)


def segments_view(data: dict[str, Any], fmt: Format) -> None:
    """JSON: the whole breakdown; CSV: a row a segment; a person: shares and a bar."""

    def said() -> list[Said]:
        if not data["customers"]:
            return [_("No purchases imported yet: segments need purchases.")]
        peak = max((row["spend_share"] or 0) for row in data["segments"])
        rows = [
            {
                **row,
                "rfm": f"{row['r'][0].upper()}{row['f'][0].upper()}{row['m'][0].upper()}",
                "share": percent(row["customer_share"]),
                "spend_pct": percent(row["spend_share"]),
                "bar": bar(row["spend_share"] or 0, peak),
            }
            for row in data["segments"]
        ]
        # Narrow: the bar goes first, then the meaning (a legend), R F M and the name; the
        # figures the README promises (customers, share, spend, spend share) stay.
        columns: tuple[Col, ...] = (
            Col("segment", _("Segment"), keep=0, whole=True),
            Col("name", _("Segment name"), keep=5),
            Col("label", _("Meaning"), keep=7, free=True),
            Col("rfm", "R F M", keep=6),
            Col("customers", _("Customers"), keep=0),
            Col("share", _("Share"), keep=2),
            Col("spend", _("Spend"), keep=3),
            Col("spend_pct", _("Spend share"), keep=1),
            Col("bar", _("Spend (bar)"), keep=8),
        )
        if all(segment_name(row["segment"]) == row["name"] for row in rows):
            columns = tuple(c for c in columns if c.key != "name")  # in Chinese: the same words
        title = _("Value segments: {customers} customers with purchases, spend {spend}").format(
            customers=data["customers"], spend=data["spend"]
        )
        return [Table(rows, columns, title)]

    emit(Shown(data, SEGMENT_KEYS, rows=data["segments"], said=said), fmt)


TIER_SUGGESTION_KEYS = (
    "customer_id",
    "name",
    "tier",
    "suggested",
    "segment",
    "rfm",
    "last_purchase",
    "purchase_days",
    "spend",
    "applied",
    "by",
    "p_alive",
    "expected_spend",
)


def tier_suggestions_view(rows: list[dict[str, Any]], fmt: Format, applied: bool) -> None:
    """JSON and CSV: the stored values; a person: the tiers and segments in their words, and
    under the purchase model its chance and spend at stake in place of R F M."""

    def said() -> list[Said]:
        from followup_cli.wording import tier

        title = (
            _("Tier changes made: {count}") if applied else _("Tier changes suggested: {count}")
        ).format(count=len(rows))
        shown = [
            {
                **row,
                "tier": tier(row["tier"]),
                "suggested": tier(row["suggested"]),
                "segment": segment_name(row["segment"]),
                "chance": percent(row["p_alive"]),
            }
            for row in rows
        ]
        by_model = any(row["by"] == "model" for row in rows)
        columns: tuple[Col, ...] = (
            Col("customer_id", _("ID"), keep=0, whole=True),
            Col("name", _("Name"), keep=1, shorten="end"),
            Col("tier", _("Tier"), keep=0),
            Col("suggested", _("Suggested tier"), keep=0),
            *(
                (
                    Col("chance", _("Still buying here"), keep=2),
                    Col("expected_spend", _("Spend at stake"), keep=3),
                )
                if by_model
                else (Col("segment", _("Segment"), keep=4), Col("rfm", "R F M", keep=2))
            ),
            Col("last_purchase", _("Last purchase"), keep=5),
            Col("purchase_days", _("Purchase days"), keep=6),
            Col("spend", _("Spend"), keep=7),
        )
        return [Table(shown, columns, title, empty=_("No tier changes to suggest."))]

    emit(Shown(rows, TIER_SUGGESTION_KEYS, said=said), fmt)
