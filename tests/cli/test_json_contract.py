"""The JSON a script reads keeps its keys: every command that takes `--format json`, driven
through the real command line on a small shop, returns exactly the keys pinned here.

A key is a path: `overall.churn_rate` inside an object, `[].name` in each element of a list.
Maps keyed by the shop's own words (a file's column names, the shop's own fields, level words
an import did not know) are pinned by their name only. Adding, renaming or dropping a key is a
change every script user sees: it belongs in the CHANGELOG, and here.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from followup_cli import i18n

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "customers.csv")
ON = ("--date", "2026-11-23")
# Keyed by what the shop (or its file) calls things: not the product's keys.
SHOP_WORDS = frozenset({"columns", "extra", "unknown_levels"})


@pytest.fixture(autouse=True)
def english_again():
    """`--lang zh` in one in-process test must not leak into the next."""
    yield
    i18n.set_language("en")


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key of a JSON value, as a path (`a.b`, `[].c`)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            found.add(path)
            if key not in SHOP_WORDS:
                found |= key_paths(inner, path)
    elif isinstance(value, list):
        for inner in value:
            found |= key_paths(inner, prefix + "[]")
    return found


def keys(listed: str) -> set[str]:
    """The key paths written out, separated by spaces and line breaks."""
    return set(listed.split())


def _sales(tmp_path: Path) -> str:
    """Purchases for the example's 36 customers: C001-C020 come back every 10 + i days
    (C001-C010 until the end of June, C011-C020 until mid-March), C021-C036 bought once;
    C001-C005 buy again in July (what the backtest checks)."""
    lines = ["customer id,date,amount,order"]
    for i in range(1, 37):
        day = date(2026, 1, 1) + timedelta(days=i % 7)
        end = date(2026, 6, 30) if i <= 10 else date(2026, 3, 15) if i <= 20 else day
        days = []
        while day <= end:
            days.append(day)
            day += timedelta(days=10 + i)
        days += [date(2026, 7, 10), date(2026, 7, 20)] if i <= 5 else []
        lines += [f"C{i:03d},{d.isoformat()},{50 + i},S{i}-{d:%m%d}" for d in days]
    path = tmp_path / "sales.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


EXPECTED = {
    "import customers": keys(
        """
        added buyers_added columns dry_run encoding file header_line import_id kept_columns
        layout merged named_from_contact phones_left_out read rejected shared_phones
        skipped_keyless skipped_masked skipped_placeholders skipped_totals skipped_unpaid
        skipped_walk_ins spread unchanged
        unknown_levels updated warnings written
        """
    ),
    "import purchases": keys(
        """
        added buyers_added columns dry_run encoding file header_line import_id kept_columns
        layout merged named_from_contact phones_left_out read rejected shared_phones
        skipped_keyless skipped_masked skipped_placeholders skipped_totals skipped_unpaid
        skipped_walk_ins spread spread.after
        spread.backlog spread.capacity spread.kept_today spread.last_day spread.moved
        spread.open_days unchanged unknown_levels updated warnings written
        """
    ),
    "today": keys(
        """
        [].anchor [].attempts [].branch [].customer_id [].days_overdue [].due_date
        [].expected_purchases [].expected_spend [].kind [].last_contact [].last_note
        [].last_outcome [].last_purchase [].late_after [].name
        [].owner [].phone [].reason [].rule [].status [].tier [].win_back
        """
    ),
    "today --with-message": keys(
        """
        [].customer_id [].message [].name [].owner [].phone [].template
        """
    ),
    "log": keys(
        """
        closed_due contact_id customer_id date name next_due next_reason outcome status
        """
    ),
    "undo": keys(
        """
        branch contact_id customer_id date due_now name next_due next_reason outcome owner
        removed reopened
        """
    ),
    "show": keys(
        """
        added branch churned_on contract_end converted_on customer_id do_not_contact email extra
        first_purchase history history[].channel history[].date history[].note history[].nps
        history[].outcome history[].owner history[].score last_contact last_outcome
        last_purchase name next_due next_reason notes outlook outlook.expected_purchases
        outlook.expected_spend outlook.horizon_days outlook.next_purchase outlook.outlook_on
        outlook.p_alive owner phone purchase_days returned_on rfm
        segment spend status tier timeline timeline[].amount timeline[].channel
        timeline[].contact_id timeline[].date timeline[].kind timeline[].note timeline[].nps
        timeline[].order timeline[].outcome timeline[].owner timeline[].reason timeline[].score
        """
    ),
    "find": keys(
        """
        [].branch [].customer_id [].email [].matched [].name [].next_due [].owner [].phone
        [].status [].tier
        """
    ),
    "add": keys(
        """
        added branch churned_on contract_end converted_on customer_id do_not_contact email extra
        first_purchase history last_contact last_outcome last_purchase name next_due next_reason
        notes outlook owner phone purchase_days returned_on rfm same_name segment spend status tier
        """
    ),
    "edit": keys(
        """
        changed customer_id name next_due next_reason
        """
    ),
    "merge": keys(
        """
        changed customer_id merged name next_due next_reason record record.added record.branch
        record.churned_on record.contract_end record.converted_on record.customer_id
        record.do_not_contact record.email record.extra record.first_purchase
        record.last_contact record.last_outcome record.last_purchase record.name record.notes
        record.owner record.phone record.returned_on record.spend record.status record.tier
        """
    ),
    "report": keys(
        """
        breakdown breakdown[].active_at_start breakdown[].churn_rate breakdown[].churn_risk
        breakdown[].churned breakdown[].completed breakdown[].conversion_rate
        breakdown[].converted breakdown[].csat_mean breakdown[].csat_responses
        breakdown[].csat_satisfied_share breakdown[].nps breakdown[].nps_responses
        breakdown[].overdue breakdown[].planned breakdown[].prospects breakdown[].success_rate
        breakdown[].tier by churn_by churn_definition churn_factor churn_window
        follow_up_effect follow_up_effect.not_reached follow_up_effect.not_reached.customers
        follow_up_effect.not_reached.expected follow_up_effect.not_reached.purchase_days
        follow_up_effect.reached follow_up_effect.reached.customers
        follow_up_effect.reached.expected follow_up_effect.reached.purchase_days overall
        overall.active_at_start overall.churn_rate overall.churn_risk overall.churned
        overall.completed overall.conversion_rate overall.converted overall.csat_mean
        overall.csat_responses overall.csat_satisfied_share overall.nps overall.nps_responses
        overall.overdue overall.planned overall.prospects overall.success_rate period
        period.as_of period.counted_to period.cut_short period.from period.to win_back
        win_back.bought win_back.contacted win_back.days win_back.rate
        """
    ),
    "imports": keys(
        """
        [].added [].as_of [].encoding [].file [].id [].kind [].message [].read [].rejected
        [].started_at [].status [].unchanged [].updated
        """
    ),
    "export customers": keys(
        """
        [].added [].branch [].churned_on [].contract_end [].converted_on [].customer_id
        [].do_not_contact [].email [].expected_purchases [].expected_spend [].extra
        [].first_purchase [].last_contact [].last_outcome [].last_purchase [].name
        [].next_purchase [].notes [].outlook_on [].owner [].p_alive [].phone [].purchase_days
        [].returned_on [].rfm [].segment [].spend [].status [].tier
        """
    ),
    "export history": keys(
        """
        [].branch [].channel [].customer_id [].date [].followup_due [].followup_kind
        [].logged_at [].name [].note [].nps [].outcome [].owner [].score
        """
    ),
    "export due": keys(
        """
        [].branch [].customer_id [].due_date [].followup_id [].kind [].last_note [].name
        [].owner [].phone [].reason [].show_date [].tier
        """
    ),
    "doctor": keys(
        """
        counts counts.contacts counts.customers counts.followups counts.imports
        counts.open_followups counts.purchases file file_mode integrity journal_mode problems
        schema_version
        """
    ),
    "rules": keys(
        """
        options options.anniversary_before options.birthday_before options.check_back
        options.churn_definition options.churn_factor options.churn_window
        options.closed_weekdays options.daily_capacity options.date_fields options.holidays
        options.language options.max_attempts options.min_gap options.phone_region
        options.renewal_before options.repurchase options.repurchase_margin options.retry_after
        options.shop options.winback_daily options.winback_within rules rules[].anchor
        rules[].describe rules[].every rules[].grace rules[].rank rules[].steps rules[].then
        rules[].tier
        """
    ),
    "rules levels": keys(
        """
        [].level [].tier
        """
    ),
    "templates": keys(
        """
        [].custom [].key [].text
        """
    ),
    "staff": keys(
        """
        [].branch [].customers [].due [].name [].open
        """
    ),
    "upcoming": keys(
        """
        [].count [].date [].items [].items[].branch [].items[].customer_id [].items[].due_date
        [].items[].followup_id [].items[].kind [].items[].last_note [].items[].name
        [].items[].owner [].items[].phone [].items[].reason [].items[].show_date [].items[].tier
        """
    ),
    "at-risk": keys(
        """
        [].branch [].customer_id [].interval [].last_activity [].name [].owner [].phone
        [].silent_days [].slipping_on [].tier
        """
    ),
    "segments": keys(
        """
        customers cut_points cut_points.frequency cut_points.monetary cut_points.recency
        segments segments[].customer_share segments[].customers segments[].f segments[].label
        segments[].m segments[].name segments[].r segments[].segment segments[].spend
        segments[].spend_share spend
        """
    ),
    "tiers suggest": keys(
        """
        [].applied [].by [].customer_id [].expected_spend [].last_purchase [].name [].p_alive
        [].purchase_days [].rfm [].segment [].spend [].suggested [].tier
        """
    ),
    "forecast": keys(
        """
        [].customer_id [].expected_purchases [].expected_spend [].last_purchase [].name
        [].next_purchase [].p_alive [].p_buy [].purchase_days [].tier
        """
    ),
    "forecast --backtest": keys(
        """
        bought_again customers cut expected_purchases expected_purchases.model
        expected_purchases.naive median_date_error_days median_date_error_days.model
        median_date_error_days.naive purchases ranking_auc ranking_auc.model ranking_auc.naive
        share_buying share_buying.model share_buying.naive top_decile_lift top_decile_lift.model
        top_decile_lift.naive until
        """
    ),
}
# A period that has not begun counts nothing: no churn definition, no win-back.
EXPECTED["report, not begun"] = {
    path for path in EXPECTED["report"] if path.startswith(("period", "overall"))
} | {"by", "breakdown"}

TRANSFER = keys(
    "report_from report_identical report_to tables tables[].source tables[].table tables[].target"
)


def test_every_json_command_keeps_its_keys(cli, tmp_path, engine, isolated_db):
    def js(*args: str) -> Any:
        return cli.json(*args)

    got = {
        "import customers": js("import", "customers", EXAMPLE, *ON),
        "import purchases": js("import", "purchases", _sales(tmp_path), *ON),
        "today": js("today", *ON),
        "today --with-message": js("today", "--with-message", *ON),
        "log": js("log", "C001", "reached", *ON),
        "undo": js("undo", *ON),
    }
    cli("log", "C001", "reached", "--score", "5", *ON)
    got |= {
        "show": js("show", "C001"),
        "find": js("find", "C00"),
        "add": js("add", "New Person", "--id", "N1", "--phone", "13800009999", *ON),
        "edit": js("edit", "C002", "--tier", "vip", *ON),
        "merge": js("merge", "C003", "N1", "--yes", *ON),
        "report": js("report", "--by", "tier", *ON),
        "report, not begun": js("report", "--from", "2026-12-01", "--to", "2026-12-31", *ON),
        "imports": js("imports"),
        "export customers": js("export", "customers"),
        "export history": js("export", "history"),
        "export due": js("export", "due", *ON),
        "doctor": js("doctor"),
        "rules": js("rules"),
        "rules levels": js("rules", "levels"),
        "templates": js("templates"),
        "staff": js("staff", *ON),
        "upcoming": js("upcoming", *ON),
        "at-risk": js("at-risk", "--date", "2026-08-10"),  # C001-C005 slipping, not gone
        "segments": js("segments"),
        "tiers suggest": js("tiers", "suggest", *ON),
        "forecast": js("forecast", "--date", "2026-07-31"),
        "forecast --backtest": js(
            "forecast", "--backtest", "--date", "2026-07-31", "--holdout", "31d"
        ),
    }
    expected = dict(EXPECTED)
    if engine == "postgresql":  # a chain's server: copied into a file, for the road
        back = str(tmp_path / "back.db")
        got["transfer"] = cli.json("--db", back, "transfer", "--from", str(isolated_db), *ON)
        expected["transfer"] = TRANSFER
    assert {command: key_paths(value) for command, value in got.items()} == expected


def test_the_report_carries_stored_values_not_sentences(cli):
    """The churn definition goes out as the options it is made of; the table says it."""
    cli("import", "customers", EXAMPLE, *ON, "-q")
    cli("rules", "option", "churn_definition", "rhythm")
    cli("rules", "option", "churn_factor", "1.5")
    report = cli.json("report", *ON)
    assert {k: report[k] for k in ("churn_definition", "churn_factor", "churn_window")} == {
        "churn_definition": "rhythm",
        "churn_factor": "1.5",
        "churn_window": "365d",
    }
    assert "churn_definition_text" not in report
    assert (
        "Churn definition: own rhythm: silent over 1.5 x own typical gap"
        in cli("report", *ON).stdout
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_keys_do_not_follow_the_language(cli, lang):
    cli("import", "customers", EXAMPLE, *ON, "-q")
    report = cli.json("--lang", lang, "report", "--by", "tier", *ON)
    # No purchases, no model: the effect of following up is null, not a sentence.
    assert report["follow_up_effect"] is None
    assert key_paths(report) == {
        path for path in EXPECTED["report"] if not path.startswith("follow_up_effect.")
    }


# What each command that changes something answers with --format json, on the example shop
# (`plan`'s per_day and `rules reset`'s options name the days and options it touched).
WRITE_KEYS = {
    "snooze": sorted(keys("contact_id customer_id name until")),
    "assign": sorted(keys("customer_id name owner")),
    "optout": sorted(keys("customer_id do_not_contact name next_due")),
    "reactivate": sorted(keys("customer_id name next_due next_reason returned_on")),
    "plan": sorted(
        keys(
            """
            backlog capacity kept_today moved not_placed per_day per_day.2026-11-23
            per_day.2026-11-24
            """
        )
    ),
    "rules set": sorted(
        keys(
            """
            replanned rule rule.anchor rule.describe rule.every rule.grace rule.rank
            rule.steps rule.then rule.tier
            """
        )
    ),
    "rules option": sorted(keys("option replanned value")),
    "rules levels set": sorted(keys("level tier")),
    "templates set": sorted(keys("custom key text")),
    "templates reset": sorted(keys("key reset")),
    "staff set": sorted(keys("before branch name owns_customers")),
    "rules reset": sorted(
        keys("options options.min_gap options.min_gap.now options.min_gap.was replanned")
    ),
    "imports undo": sorted(keys("import_id purchases_removed removed restored")),
    "forget": sorted(keys("backups customer_id erased_in name scrubbed unreachable")),
}


def _writes(cli, tmp_path: Path) -> dict[str, Any]:
    """The commands that change something, each with --format json, on the example shop."""
    cli("import", "customers", EXAMPLE, *ON, "-q")
    cli("log", "C005", "lost", *ON)
    late = tmp_path / "late.csv"
    late.write_text("id,name,phone\nL1,Late Comer,13800007777\n", encoding="utf-8")
    cli("import", "customers", str(late), *ON, "-q")  # import 2, undone below
    return {
        "snooze": cli.json("snooze", "C002", "3m", *ON),
        "assign": cli.json("assign", "C002", "--owner", "Mei", *ON),
        "optout": cli.json("optout", "C004", *ON),
        "reactivate": cli.json("reactivate", "C005", *ON),
        "plan": cli.json("plan", "--spread", "2w", *ON),
        "rules set": cli.json("rules", "set", "vip", "--every", "2m", *ON),
        "rules option": cli.json("rules", "option", "min_gap", "4d", *ON),
        "rules levels set": cli.json("rules", "levels", "set", "黑钻", "vip"),
        "templates set": cli.json("templates", "set", "vip", "Hi {name}"),
        "templates reset": cli.json("templates", "reset", "vip"),
        "staff set": cli.json("staff", "set", "Mei", "--branch", "North"),
        "rules reset": cli.json("rules", "reset", "--yes", *ON),
        "imports undo": cli.json("imports", "undo", "2", "--yes", *ON),
        "forget": cli.json("forget", "C006", "--yes"),
    }


def test_every_command_that_changes_something_answers_in_json_with_its_keys(cli, tmp_path):
    got = {command: sorted(key_paths(value)) for command, value in _writes(cli, tmp_path).items()}
    assert got == WRITE_KEYS
