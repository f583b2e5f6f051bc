"""The calls planned for the coming days (`upcoming`): each day's load as a bar for a person,
every planned call for a script."""

from __future__ import annotations

from typing import Any

from followup_cli.i18n import N_, _
from followup_cli.output.formats import Format
from followup_cli.views.cells import bar
from followup_cli.views.emit import Said, Shown, Table, emit
from followup_cli.views.exports import DUE_KEYS


def upcoming_view(days: list[dict[str, Any]], fmt: Format) -> None:
    """JSON: the days as built; CSV: a row a planned call; a person: a row a day."""
    rows = [{"date": d["date"], "count": d["count"], **item} for d in days for item in d["items"]]

    def said() -> list[Said]:
        if not days:
            return [_("Nothing planned in those days.")]
        peak = max(d["count"] for d in days)
        load = [
            {
                "date": d["date"],
                "count": d["count"],
                "bar": bar(d["count"], peak),
                "names": _(", ").join(i["name"] for i in d["items"][:6])
                + (" ..." if d["count"] > 6 else ""),
            }
            for d in days
        ]
        columns = (
            ("date", N_("Day")),
            ("count", N_("Calls")),
            ("bar", N_("Load")),
            ("names", N_("Who")),
        )
        return [Table(load, columns, _("Coming days"))]

    emit(Shown(days, ("date", *DUE_KEYS[1:]), rows=rows, said=said), fmt)
