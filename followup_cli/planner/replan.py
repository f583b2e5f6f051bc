"""Plan the next follow-up of customers who have none open: the engine applied to this shop.

`Scheduler` is the engine with the shop's rules, settings and closed days, loaded once per
command; `replan` reads customers and their planning facts in batches and writes one plan each.
Every command that changes what a plan depends on ends here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from followup_cli import storage
from followup_cli.core.models import Customer, CustomerState, Plan, Rule, Settings
from followup_cli.core.schedule import (
    ClosedDay,
    RuleError,
    after_no_answer,
    closed_day_checker,
    plan_check_back,
    plan_next,
)
from followup_cli.errors import FollowupError


def customer_state(
    customer: Customer, facts: storage.PlanFacts, by_model: bool = False
) -> CustomerState:
    """What the engine is told of a customer; the purchase model's days only where the shop's
    churn definition lets the model decide and its fit tells customers apart."""
    return CustomerState(
        tier=customer.tier,
        added=customer.added,
        first_purchase=customer.first_purchase,
        last_purchase=customer.last_purchase,
        last_success=customer.last_success,
        last_contact=customer.last_contact,
        contract_end=customer.contract_end,
        do_not_contact=customer.do_not_contact,
        churned=customer.status == "churned",
        previous_due=facts.previous_due,
        renewal_done_for=facts.renewal_done_for,
        purchase_gaps=facts.purchase_gaps,
        repurchase_done_for=facts.repurchase_done_for,
        dated_fields=tuple((k, str(v)) for k, v in customer.extra.items()),
        occasions_done=facts.occasions_done,
        model_next=facts.model_next if by_model else None,
        model_gone=facts.model_gone if by_model else None,
    )


@dataclass
class Scheduler:
    """The engine with this shop's rules, settings and closed days, loaded once per command."""

    rules: dict[str, Rule]
    settings: Settings
    is_closed: ClosedDay
    model_dates: bool = False  # the stored purchase model tells customers' next days apart

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Scheduler:
        settings = storage.load_settings(conn)
        try:
            scheduler = cls(storage.load_rules(conn), settings, closed_day_checker(settings))
        except RuleError as exc:
            raise FollowupError(str(exc)) from None
        if settings.by_model:
            import json

            from followup_cli.core.purchase_model import tells_customers_apart

            row = storage.purchase_model_row(conn)
            scheduler.model_dates = row is not None and tells_customers_apart(
                json.loads(row["params"])
            )
        return scheduler

    def next_for(self, state: CustomerState, today: date) -> Plan | None:
        try:
            return plan_next(state, self.rules, self.settings, today, self.is_closed)
        except RuleError as exc:
            raise FollowupError(str(exc)) from None

    def check_back(self, on: date) -> Plan:
        return plan_check_back(on, self.settings, self.is_closed)

    def retry_date(self, attempts: int, on: date) -> date | None:
        return after_no_answer(attempts, on, self.settings, self.is_closed)


REPLAN_BATCH = 500


def replan(
    conn: sqlite3.Connection,
    customer_ids: list[int],
    today: date,
    scheduler: Scheduler | None = None,
) -> int:
    """Plan a follow-up for each customer that has none open; returns how many were planned.
    Their records and planning facts are read 500 customers at a time."""
    scheduler = scheduler or Scheduler.load(conn)
    planned = []
    ids = list(dict.fromkeys(customer_ids))
    for start in range(0, len(ids), REPLAN_BATCH):
        chunk = ids[start : start + REPLAN_BATCH]
        facts = storage.plan_facts(conn, chunk)
        waiting = [cid for cid in chunk if not facts[cid].has_open]
        rows = storage.customer_rows_by_ids(conn, waiting)  # no spend or branch: not needed
        customers = {cid: storage.row_to_customer(row) for cid, row in rows.items()}
        for customer_id in waiting:
            customer = customers.get(customer_id) or storage.get_customer(conn, customer_id)
            state = customer_state(customer, facts[customer_id], scheduler.model_dates)
            plan = scheduler.next_for(state, today)
            if plan is not None:
                planned.append((customer_id, plan))
    storage.insert_followups(conn, planned)
    return len(planned)
