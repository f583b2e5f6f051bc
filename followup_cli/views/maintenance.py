"""Looking after the shop's file, for a person and for scripts: `doctor` (what the database is
and whether it is sound) and `transfer` (what was copied to a chain's server)."""

from __future__ import annotations

from typing import Any

from followup_cli import wording
from followup_cli.i18n import _
from followup_cli.output.formats import Format
from followup_cli.views.emit import Said, Shown, emit


def _format(as_json: bool) -> Format:
    return Format.json if as_json else Format.table


def doctor_view(report: dict[str, Any], as_json: bool) -> None:
    def said() -> list[Said]:
        counts = _(", ").join(
            _("{count} {what}").format(count=v, what=wording.counted(k))
            for k, v in report["counts"].items()
        )
        if report["file_mode"] == "server":
            lines = [
                _("database: {database} (a PostgreSQL server)").format(database=report["file"])
            ]
        else:
            lines = [
                _("file: {file} ({mode}, {journal})").format(
                    file=report["file"],
                    mode=wording.file_mode(report["file_mode"]),
                    journal=wording.journal_mode(report["journal_mode"]),
                )
            ]
        lines.append(
            _("schema version: {version}; integrity: {integrity}").format(
                version=report["schema_version"], integrity=wording.status(report["integrity"])
            )
        )
        lines.append(_("counts: {counts}").format(counts=counts))
        if report["problems"]:
            lines += [_("problem: {problem}").format(problem=p) for p in report["problems"]]
        else:
            lines.append(_("no problems found"))
        return lines

    emit(Shown(report, said=said), _format(as_json))


def transfer_view(result: dict[str, Any], as_json: bool) -> None:
    def said() -> list[Said]:
        lines: list[Said] = [
            _("{table}: {source} rows copied, {target} there").format(
                table=row["table"], source=row["source"], target=row["target"]
            )
            for row in result["tables"]
        ]
        lines.append(
            _(
                "the report from {start} to {end} reads the same in both: the copy is complete"
            ).format(start=result["report_from"], end=result["report_to"])
        )
        return lines

    emit(Shown(result, said=said), _format(as_json))
