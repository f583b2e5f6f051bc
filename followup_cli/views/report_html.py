"""The report as one self-contained HTML page: no network, no script; charts as inline SVG."""

from __future__ import annotations

from html import escape
from typing import Any

from followup_cli import wording
from followup_cli.core.metrics import DEFINITIONS
from followup_cli.i18n import N_, _, language
from followup_cli.views.report import churn_definition_words, follow_up_effect_words

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
margin:2rem auto;max-width:60rem;color:#1d2433;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.period{color:#5b6475;margin-top:0}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid #d8dce3;padding:.35rem .5rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f2f4f7}
svg{max-width:100%;height:auto}
dt{font-weight:600;margin-top:.6rem}dd{margin-left:1rem;color:#3a4254}
@media print{body{margin:0}h2{break-after:avoid}}
"""

_METRICS = (
    ("success_rate", N_("Success rate"), "completed", "planned"),
    ("churn_rate", N_("Churn rate"), "churned", "active_at_start"),
    ("conversion_rate", N_("Conversion rate"), "converted", "prospects"),
    ("csat_satisfied_share", N_("CSAT 4-5"), None, "csat_responses"),
)


def _pct(value: float | None) -> str:
    return _("no data") if value is None else f"{100 * value:.1f}%"


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def bar_chart(title: str, bars: list[tuple[str, float | None]], width: int = 640) -> str:
    """Horizontal bars of fractions 0..1, labelled; 'no data' bars are left empty."""
    row, label_w, pad = 26, 150, 8
    height = pad * 2 + row * max(1, len(bars)) + 18
    inner = width - label_w - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(bars):
        y = pad + index * row
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="13">'
            f"{escape(label)}</text>"
        )
        length = 0 if value is None else round(inner * max(0.0, min(1.0, value)), 1)
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{length}" height="{row - 8}" '
            f'fill="#3b6fd8" rx="2"><title>{escape(label)}: {_pct(value)}</title></rect>'
        )
        parts.append(
            f'<text x="{label_w + length + 6}" y="{y + 17}" font-size="12" fill="#3a4254">'
            f"{_pct(value)}</text>"
        )
    axis_y = pad + row * max(1, len(bars)) + 4
    parts.append(
        f'<line x1="{label_w}" y1="{axis_y}" x2="{label_w + inner}" y2="{axis_y}" '
        'stroke="#9aa3b2" stroke-width="1"/>'
    )
    for tick in (0, 50, 100):
        x = label_w + inner * tick / 100
        parts.append(
            f'<text x="{x}" y="{axis_y + 13}" text-anchor="middle" font-size="10" '
            f'fill="#5b6475">{tick}%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render(report: dict[str, Any]) -> str:
    period, overall, by, rows = (
        report["period"],
        report["overall"],
        report["by"],
        report["breakdown"],
    )
    title = _("Follow-up report {start} to {end}").format(start=period["from"], end=period["to"])
    html_lang = "zh-CN" if language() == "zh_CN" else "en"
    out = [
        "<!doctype html>",
        f'<html lang="{html_lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        '<p class="period">{}{}</p>'.format(
            escape(_("Figures as of {day}.").format(day=period["as_of"])), _cut_short(period)
        ),
        f"<h2>{escape(_('Summary'))}</h2>",
        "<table><thead><tr>{}</tr></thead><tbody>".format(
            "".join(f"<th>{escape(_(h))}</th>" for h in (N_("Metric"), N_("Value"), N_("Counts")))
        ),
    ]
    for key, label, part, whole in _METRICS:
        counts = (
            _("{part} of {whole}").format(part=_num(overall[part]), whole=_num(overall[whole]))
            if part
            else _("{count} scores").format(count=_num(overall[whole]))
        )
        out.append(
            f"<tr><td>{escape(_(label))}</td><td class=n>{_pct(overall[key])}</td>"
            f"<td>{escape(counts)}</td></tr>"
        )
    summary = (
        (
            _("CSAT mean"),
            _num(overall["csat_mean"]),
            _("{count} scores (1-5)").format(count=overall["csat_responses"]),
        ),
        (
            _("NPS"),
            _num(overall["nps"], 0),
            _("{count} answers (0-10)").format(count=overall["nps_responses"]),
        ),
        (
            _("Overdue"),
            _num(overall["overdue"]),
            _("open follow-ups past due on {day}").format(day=period["as_of"]),
        ),
        (
            _("Churn risk"),
            _num(overall["churn_risk"]),
            _("slipping by the purchase model (below 3 in 4), not yet lost")
            if report.get("churn_by") == "model"
            else _("silent for more than twice their interval"),
        ),
    )
    out.append(
        "".join(
            f"<tr><td>{escape(name)}</td><td class=n>{value}</td><td>{escape(basis)}</td></tr>"
            for name, value, basis in summary
        )
    )
    win_back = report.get("win_back")
    if win_back:
        basis = _(
            "{bought} of {contacted} dormant customers reached bought within {days} days"
        ).format(**win_back)
        out.append(
            f"<tr><td>{escape(_('Win-back rate'))}</td><td class=n>{_pct(win_back['rate'])}</td>"
            f"<td>{escape(basis)}</td></tr>"
        )
    out.append("</tbody></table>")
    if "churn_definition" in report:  # a period not begun yet counts nothing, says none
        line = _("Churn definition: {text}").format(text=churn_definition_words(report))
        out.append(f'<p class="period">{escape(line)}</p>')
    effect = follow_up_effect_words(report)
    if effect:
        out.append(f'<p class="effect">{escape(effect)}</p>')
    out.append(f"<h2>{escape(_('Rates'))}</h2>")
    out.append(
        bar_chart(_("Rates for the period"), [(_(lbl), overall[k]) for k, lbl, *_x in _METRICS])
    )
    if by:
        names = wording.dimensions(by)
        out.append(f"<h2>{escape(_('By {dimensions}').format(dimensions=names))}</h2>")
        labels = [" / ".join(_group_label(d, row[d]) for d in by) for row in rows]
        out.append(
            bar_chart(
                _("Success rate by {dimensions}").format(dimensions=names),
                [(lbl, row["success_rate"]) for lbl, row in zip(labels, rows, strict=True)],
            )
        )
        head = "".join(f"<th>{escape(wording.dimension(d))}</th>" for d in by)
        columns = (
            N_("Planned"),
            N_("Completed"),
            N_("Success"),
            N_("Churn"),
            N_("Conversion"),
            "CSAT",
            "NPS",
            N_("Overdue"),
        )
        out.append(
            f"<table><thead><tr>{head}"
            + "".join(f"<th>{escape(_(c))}</th>" for c in columns)
            + "</tr></thead><tbody>"
        )
        for row in rows:
            keys = "".join(f"<td>{escape(_group_label(d, row[d]))}</td>" for d in by)
            out.append(
                f"<tr>{keys}<td class=n>{row['planned']}</td><td class=n>{row['completed']}</td>"
                f"<td class=n>{_pct(row['success_rate'])}</td>"
                f"<td class=n>{_pct(row['churn_rate'])}</td>"
                f"<td class=n>{_pct(row['conversion_rate'])}</td>"
                f"<td class=n>{_num(row['csat_mean'])}</td><td class=n>{_num(row['nps'], 0)}</td>"
                f"<td class=n>{_num(row['overdue'])}</td></tr>"
            )
        out.append("</tbody></table>")
    out.append(f"<h2>{escape(_('What the figures mean'))}</h2><dl>")
    for name, text in DEFINITIONS:
        out.append(f"<dt>{escape(_(name))}</dt><dd>{escape(_(text))}</dd>")
    out.append("</dl></body></html>")
    return "\n".join(out) + "\n"


def _group_label(dimension: str, value: object) -> str:
    if dimension == "tier":
        return wording.tier(value)
    if dimension == "channel":
        return wording.channel(value)
    return _(str(value)) if value == "(none)" else str(value)


def _cut_short(period: dict[str, Any]) -> str:
    """A sentence when days of the period are still to come (they are not counted)."""
    from followup_cli.i18n import _

    if not period.get("cut_short"):
        return ""
    if period.get("counted_to") is None:
        return " " + escape(_("The period has not begun: there is no data yet."))
    text = _("Counted up to {day}: the days after it have not happened yet.")
    return " " + escape(text.format(day=period["counted_to"]))
