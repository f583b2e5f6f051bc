"""The report queries: follow-up tallies, scores and customer counts."""

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from followup_cli.core.dates import months_between
from followup_cli.core.models import CHANNELS
from followup_cli.storage.branches import branch_filter, branch_of
from followup_cli.storage.dialect import greatest, plus_days

_COMPLETED = "f.outcome IN ('reached', 'complaint', 'converted', 'lost')"


_CUSTOMER_KEYS = {
    "tier": "c.tier",
    "owner": "COALESCE(c.owner, '(none)')",
    "branch": f"COALESCE({branch_of('c')}, '(none)')",
}


_SEGMENT_CASE: list[str] = []  # set by use_segments before a report broken down by segment


def _count_if(condition: str) -> str:
    """How many rows meet a condition (SQLite would sum the condition; the server will not)."""
    return f"COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"


def use_segments(high: dict[str, Any], names: dict[tuple[bool, bool, bool], str]) -> None:
    """Reports group customers by value segment: high R, F, M mean above these values."""
    # Values go into the SQL text: a day (checked by parsing it), a count and an amount.
    recency = date.fromisoformat(str(high["recency"])).isoformat()
    frequency, monetary = high["frequency"], high["monetary"]
    tests = (
        f"s.last_day > '{recency}'",
        f"s.days > {int(frequency)}",
        f"s.spend > {float(monetary)!r}",
    )

    def condition(flags: tuple[bool, bool, bool]) -> str:
        parts = (t if flag else f"NOT ({t})" for t, flag in zip(tests, flags, strict=True))
        return " AND ".join(parts)

    whens = " ".join(f"WHEN {condition(flags)} THEN '{name}'" for flags, name in names.items())
    _SEGMENT_CASE[:] = [f"CASE {whens} END"]


def _segment_key(customer_id: str) -> str:
    """The segment of the customer with this id column, or '(none)' without purchases."""
    case = _SEGMENT_CASE[0] if _SEGMENT_CASE else "NULL"
    return (
        f"COALESCE((SELECT {case} FROM purchase_stats s WHERE s.customer_id = {customer_id}), "
        "'(none)')"
    )


def report_followups(
    conn: sqlite3.Connection, start: date, end: date, dims: Sequence[str]
) -> list[dict[str, Any]]:
    """Planned and completed follow-ups due in the period, summed per group of `dims`.

    Each row has the dims asked for (month as YYYY-MM), `planned` and `completed`. The query
    is shaped so that SQLite reads a covering index and never sorts a row per follow-up: the
    whole period is one range scan; tier and owner are summed per customer first; channels
    are summed side by side; a month breakdown is one such query per month.
    """
    if "month" in dims:
        rest = [d for d in dims if d != "month"]
        return [
            {**row, "month": first.strftime("%Y-%m")}
            for first, last in months_between(start, end)
            for row in report_followups(conn, first, last, rest)
        ]
    channels = ("(none)", *CHANNELS) if "channel" in dims else ("",)
    group = [d for d in dims if d != "channel"]
    sums = []
    for index, channel in enumerate(channels):
        when = f"COALESCE(f.channel, '(none)') = '{channel}'" if channel else "TRUE"
        sums.append(
            f"{_count_if(when)} AS p{index}, {_count_if(f'{when} AND {_COMPLETED}')} AS c{index}"
        )
    period = (start.isoformat(), end.isoformat())
    where = "f.due_date BETWEEN ? AND ? AND f.status != 'cancelled'"
    if not group:
        rows = conn.execute(f"SELECT {', '.join(sums)} FROM followups f WHERE {where}", period)
    else:
        keys = ", ".join(
            f"{_segment_key('c.id') if d == 'segment' else _CUSTOMER_KEYS[d]} AS {d}" for d in group
        )
        outer = ", ".join(f"SUM(p{i}) AS p{i}, SUM(c{i}) AS c{i}" for i in range(len(channels)))
        rows = conn.execute(
            f"SELECT {', '.join(group)}, {outer} FROM ("
            f"SELECT {keys}, {', '.join(sums)} FROM customers c JOIN followups f "
            f"INDEXED BY idx_followups_customer_tally ON f.customer_id = c.id "
            f"WHERE {where} GROUP BY c.id) AS per_customer GROUP BY {', '.join(group)}",
            period,
        )
    result = []
    for row in rows:
        for index, channel in enumerate(channels):
            if row[f"p{index}"] or not channel:
                tally = {d: row[d] for d in group}
                if channel:
                    tally["channel"] = channel
                tally.update(planned=row[f"p{index}"], completed=row[f"c{index}"])
                result.append(tally)
    return result


def report_open_items(
    conn: sqlite3.Connection, as_of: date, dims: Sequence[str]
) -> list[sqlite3.Row]:
    """Open follow-ups of contactable customers already past due, counted per group of `dims`
    (tier, owner; with month, per due day). Without dims: one count."""
    columns = {
        "tier": "c.tier",
        "owner": "COALESCE(c.owner, '(none)')",
        "month": "f.due_date",
        "segment": _segment_key("c.id"),
        "branch": _CUSTOMER_KEYS["branch"],
    }
    wanted = [d for d in dims if d in columns]
    keys = "".join(f"{columns[d]} AS {'due_date' if d == 'month' else d}, " for d in wanted)
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(wanted)))}" if wanted else ""
    return conn.execute(
        f"SELECT {keys}COUNT(*) AS count FROM followups f JOIN customers c ON c.id = f.customer_id "
        "WHERE f.status = 'open' AND f.due_date < ? AND c.status = 'active' "
        f"AND c.do_not_contact = 0{group}",
        (as_of.isoformat(),),
    ).fetchall()


def report_scores(
    conn: sqlite3.Connection, start: date, end: date, dims: Sequence[str]
) -> list[sqlite3.Row]:
    """Satisfaction and recommend scores given in the period, summed per group of `dims`."""
    columns = {
        "tier": "c.tier",
        "owner": "COALESCE(k.owner, '(none)')",
        "channel": "COALESCE(k.channel, '(none)')",
        "month": "substr(k.date, 1, 7)",
        "segment": _segment_key("c.id"),
        "branch": _CUSTOMER_KEYS["branch"],
    }
    sums = (
        "COUNT(k.score) AS scores, COALESCE(SUM(k.score), 0) AS score_total, "
        f"{_count_if('k.score >= 4')} AS satisfied, COUNT(k.nps) AS answers, "
        f"{_count_if('k.nps >= 9')} AS promoters, {_count_if('k.nps <= 6')} AS detractors"
    )
    where = "k.date BETWEEN ? AND ? AND (k.score IS NOT NULL OR k.nps IS NOT NULL)"
    period = (start.isoformat(), end.isoformat())
    if list(dims) == ["tier"]:  # summed per customer first: no sort of a row per contact
        totals = ", ".join(
            f"SUM({name}) AS {name}"
            for name in ("scores", "score_total", "satisfied", "answers", "promoters", "detractors")
        )
        return conn.execute(
            f"SELECT tier, {totals} FROM (SELECT c.tier AS tier, {sums} FROM customers c "
            f"JOIN contacts k INDEXED BY idx_contacts_customer_tally ON k.customer_id = c.id "
            f"WHERE {where} GROUP BY c.id) AS per_customer GROUP BY tier",
            period,
        ).fetchall()
    keys = "".join(f"{columns[d]} AS {d}, " for d in dims)
    join = (
        "JOIN customers c ON c.id = k.customer_id "
        if {"tier", "segment", "branch"} & set(dims)
        else ""
    )
    # By position: with customers joined, a name such as "owner" would be ambiguous.
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}" if dims else ""
    return conn.execute(
        f"SELECT {keys}{sums} FROM contacts k INDEXED BY idx_contacts_score_tally {join}"
        f"WHERE {where}{group}",
        period,
    ).fetchall()


def customer_counts(
    conn: sqlite3.Connection,
    dims: Sequence[str],
    start: date,
    end: date,
    churn_before: tuple[date, date],
    risk_before: dict[str, date],
    own: dict[str, Any] | None = None,
    model_as_of: date | None = None,
) -> list[sqlite3.Row]:
    """Active, churned, prospect, converted and at-risk customers per group of `dims`
    (tier, owner) for a period, counted by SQLite in one pass over the customers.

    The same definitions as metrics.lifeline/count_customers; the churn window and risk
    intervals arrive as day thresholds (metrics.churn_thresholds, risk_thresholds). With
    `own` (the per-customer churn definition: factor p/q, tier interval days, the days the
    churn counts from and until, as_of), customers with 3+ purchase days churn after
    ceil(factor x typical gap) silent days and are at risk after ceil(2 x typical gap),
    in whole-number arithmetic (rhythm.py gives the same days). With `model_as_of` (the
    purchase-model definition, on that report date), a scored customer has also churned
    from the day the model's chance that they still buy here fell below one half
    (purchase_scores.gone_on), and is at risk from the day it fell below three quarters
    until then; the churn window still holds.
    """
    keys = {
        "tier": "CASE WHEN converted_on IS NOT NULL THEN 'prospect' ELSE tier END",
        "owner": "COALESCE(owner, '(none)')",
        "segment": _segment_key("cid"),
        "branch": "in_branch",
    }
    # The branch (a lookup per customer) only when the report is broken down by it.
    in_branch = (
        f"COALESCE({branch_of('customers')}, '(none)') AS in_branch, " if "branch" in dims else ""
    )
    # Group keys get names of their own: "tier" would otherwise mean the column in GROUP BY.
    select = "".join(f"{keys[d]} AS group_{d}, " for d in dims)
    params = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "gone_before_start": churn_before[0].isoformat(),
        "gone_by_end": churn_before[1].isoformat(),
    }
    risk_case = ""
    for index, (tier, day) in enumerate(sorted(risk_before.items())):
        risk_case += f" WHEN :tier{index} THEN last < :quiet{index}"
        params.update({f"tier{index}": tier, f"quiet{index}": day.isoformat()})
    risk = f"COALESCE(CASE tier{risk_case} END, FALSE)" if risk_case else "FALSE"
    window_active, window_gone = "last >= :gone_before_start", "last < :gone_by_end"
    own_columns, own_join = "", ""
    if own is not None:
        interval = (
            "CASE tier"
            + "".join(
                f" WHEN :itier{i} THEN {int(days)}"
                for i, days in enumerate(own["intervals"].values())
            )
            + " END"
            if own["intervals"]
            else "NULL"
        )
        for i, tier in enumerate(own["intervals"]):
            params[f"itier{i}"] = tier
        params.update(
            p=own["factor"][0],
            q=own["factor"][1],
            s1=own["counts_from"].isoformat(),
            e1=own["counts_until"].isoformat(),
            as_of=own["as_of"].isoformat(),
        )
        gaps, twice = "(s.days - 1)", f"((s.days - 1) * s.median2 + 2 * {interval})"
        own_columns = (
            f", CASE WHEN s.days >= 3 THEN (:p * {twice} + 2 * :q * s.days - 1) "
            f"/ (2 * :q * s.days) END AS rd, CASE WHEN s.days >= 3 THEN ({twice} + {gaps}) "
            "/ s.days END AS rk"
        )
        own_join = " LEFT JOIN purchase_stats s ON s.customer_id = customers.id"
        silent = plus_days(conn, "last", "{}")
        window_active = (
            f"CASE WHEN rd IS NOT NULL THEN {silent.format('rd')} >= :s1 ELSE {window_active} END"
        )
        window_gone = (
            f"CASE WHEN rd IS NOT NULL THEN {silent.format('rd')} < :e1 ELSE {window_gone} END"
        )
        risk = f"CASE WHEN rk IS NOT NULL THEN {silent.format('rk')} < :as_of ELSE {risk} END"
    if model_as_of is not None:
        own_columns = ", ps.slipping_on, ps.gone_on"
        own_join = " LEFT JOIN purchase_scores ps ON ps.customer_id = customers.id"
        params["model_as_of"] = model_as_of.isoformat()
        window_active = f"({window_active}) AND NOT COALESCE(gone_on < :start, FALSE)"
        window_gone = f"(({window_gone}) OR COALESCE(gone_on <= :end, FALSE))"
        risk = (
            "CASE WHEN gone_on IS NOT NULL OR slipping_on IS NOT NULL THEN "
            "COALESCE(slipping_on <= :model_as_of, FALSE) AND NOT COALESCE(gone_on <= "
            f":model_as_of, FALSE) ELSE {risk} END"
        )
    # A loss counts until the customer came back (returned_on); from then on the churn window
    # runs from their last activity, the purchase that brought them back included.
    lost_at_start = "churned_on IS NOT NULL AND COALESCE(returned_on >= :start, TRUE)"
    lost_at_end = "churned_on IS NOT NULL AND COALESCE(returned_on > :end, TRUE)"
    active = (
        f"since IS NOT NULL AND since < :start AND CASE WHEN {lost_at_start} "
        f"THEN churned_on >= :start ELSE {window_active} END"
    )
    gone_by_end = f"CASE WHEN {lost_at_end} THEN churned_on <= :end ELSE {window_gone} END"
    prospect = (
        "(tier = 'prospect' OR converted_on IS NOT NULL) AND added <= :end "
        "AND NOT COALESCE(converted_on < :start, FALSE) "
        f"AND NOT COALESCE(churned_on < :start AND ({lost_at_start}), FALSE)"
    )
    at_risk = f"contactable AND (churned_on IS NULL OR returned_on IS NOT NULL) AND {risk}"
    sql = (
        f"SELECT {select}{_count_if(active)} AS active_at_start, "
        f"{_count_if(f'({active}) AND {gone_by_end}')} AS churned, "
        f"{_count_if(prospect)} AS prospects, "
        f"{_count_if(f'({prospect}) AND COALESCE(converted_on <= :end, FALSE)')} AS converted, "
        f"{_count_if(at_risk)} AS churn_risk FROM ("
        "SELECT customers.id AS cid, tier, owner, added, converted_on, churned_on, returned_on, "
        f"{in_branch}"
        "CASE WHEN converted_on IS NOT NULL THEN converted_on "
        "WHEN tier != 'prospect' THEN COALESCE(first_purchase, added) END AS since, "
        + greatest(
            conn,
            "added",
            "COALESCE(first_purchase, '')",
            "COALESCE(last_purchase, '')",
            "COALESCE(last_success, '')",
        )
        + " AS last, "
        f"(status = 'active' AND do_not_contact = 0) AS contactable{own_columns} "
        f"FROM customers{own_join}) AS per_customer"
        + (f" GROUP BY {', '.join(f'group_{d}' for d in dims)}" if dims else "")
    )
    return conn.execute(sql, params).fetchall()


def history_export(
    conn: sqlite3.Connection, branches: Sequence[str] | None = None
) -> Iterator[sqlite3.Row]:
    """Every logged contact with whom it was about, oldest first, a row at a time (of the
    customers of one branch, given its stored spellings)."""
    clause, params = branch_filter("c", branches)
    yield from conn.execute(
        "SELECT c.ref AS customer_id, c.name, k.date, k.outcome, k.channel, k.score, k.nps, "
        f"k.note, k.owner, {branch_of('c')} AS branch, f.due_date AS followup_due, "
        "f.kind AS followup_kind, k.logged_at "
        "FROM contacts k JOIN customers c ON c.id = k.customer_id "
        f"LEFT JOIN followups f ON f.id = k.followup_id WHERE 1 = 1{clause} ORDER BY k.date, k.id",
        params,
    )
