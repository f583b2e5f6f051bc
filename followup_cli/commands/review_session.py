"""The morning session's logic, without the screen: today's list, one action at a time, undo.

`followup review` (review.py) draws this; everything it writes goes through the functions
`log` and `snooze` use, each in its own transaction, so quitting or losing the terminal never
loses an action already confirmed. No Textual here: this module is plain domain code.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from followup_cli import storage
from followup_cli.commands.contacts import LoggedContact, LogResult, log_outcome, undo_log
from followup_cli.commands.due import DueItem, due_list
from followup_cli.commands.lookup import show_customer
from followup_cli.commands.snooze import parse_until, snooze, undo_snooze
from followup_cli.commands.templates import Templates
from followup_cli.i18n import _
from followup_cli.planner.replan import Scheduler

# Summary order, and the words for each count.
ACTION_ORDER = ("reached", "no-answer", "complaint", "converted", "lost", "opt-out", "snoozed")


def _count_phrase(action: str, count: int) -> str:
    phrases = {
        "reached": _("{count} reached"),
        "no-answer": _("{count} no answer"),
        "complaint": _("{count} complaint"),
        "converted": _("{count} converted"),
        "lost": _("{count} lost"),
        "opt-out": _("{count} opt-out"),
        "snoozed": _("{count} snoozed"),
    }
    return phrases[action].format(count=count)


@dataclass
class Action:
    """One thing done in this session, enough to take it back."""

    kind: str  # an outcome, or "snoozed"
    customer_id: str
    name: str
    contact_id: int
    logged: LoggedContact | None = None  # a log: what its undo checks is still there


@dataclass
class Pending:
    """A note and a satisfaction score typed for a customer, written with the next outcome."""

    note: str | None = None
    score: int | None = None


@dataclass
class ReviewSession:
    """Today's list for one sitting: the same order and filters as `followup today`."""

    conn: sqlite3.Connection
    day: date
    owner: str | None = None
    limit: int | None = None
    channel: str | None = None  # how the owner contacts people this sitting, logged with each
    done: list[Action] = field(default_factory=list)
    pending: dict[str, Pending] = field(default_factory=dict)
    printed: list[str] = field(default_factory=list)
    branches: list[str] | None = None  # one branch of a chain (its stored spellings)

    def __post_init__(self) -> None:
        self.templates = Templates.load(self.conn)
        self.scheduler = Scheduler.load(self.conn)

    def items(self) -> list[DueItem]:
        return due_list(self.conn, self.day, self.owner, self.limit, self.branches)

    # --- actions: each one transaction, through the same functions as the commands ---------

    def log(self, item: DueItem, outcome: str) -> LogResult:
        typed = self.pending.get(item.customer_id, Pending())
        result = log_outcome(
            self.conn,
            item.customer_id,
            outcome,
            self.day,
            typed.note,
            self.channel,
            typed.score,
            refuse_same_day=True,  # another session may have logged them a moment ago
        )
        self.pending.pop(item.customer_id, None)
        self.done.append(
            Action(outcome, item.customer_id, item.name, result.contact_id or 0, result.identity())
        )
        return result

    def snooze(self, item: DueItem, until_text: str) -> dict[str, Any]:
        until = parse_until(until_text.strip(), self.day)
        typed = self.pending.get(item.customer_id, Pending())
        done = snooze(self.conn, item.customer_id, until, self.day, typed.note)
        if typed.note:
            typed.note = None  # written with the snooze; a score waits for an outcome
        self.done.append(Action("snoozed", item.customer_id, item.name, done["contact_id"]))
        return done

    def undo(self) -> Action | None:
        """Take back the last action of this session (None when there is none left)."""
        if not self.done:
            return None
        action = self.done[-1]
        if action.kind == "snoozed":
            undo_snooze(self.conn, action.contact_id)
        else:
            undo_log(self.conn, action.contact_id, self.day, expected=action.logged)
        self.done.pop()
        return action

    def set_note(self, item: DueItem, note: str) -> None:
        self.pending.setdefault(item.customer_id, Pending()).note = note.strip() or None

    def set_score(self, item: DueItem, score: int) -> None:
        self.pending.setdefault(item.customer_id, Pending()).score = score

    def keep_to_print(self, item: DueItem) -> str:
        text = self.message(item)[1]
        self.printed.append(f"{item.customer_id} {item.name} {item.phone or ''}\n{text}")
        return text

    # --- what the screen shows -----------------------------------------------------------

    def message(self, item: DueItem) -> tuple[str, str]:
        return self.templates.message(item, self.day)

    def still_here(self, item: DueItem) -> bool:
        """Whether the customer is still in the shop under this id (not forgotten, nor merged
        into another from another shell since the list was read)."""
        return storage.customer_by_ref(self.conn, item.customer_id) is not None

    def card(self, item: DueItem) -> dict[str, Any] | None:
        """Everything the owner needs before calling: who, why, what happened last, what next
        (None: the customer is gone since the list was read)."""
        if not self.still_here(item):
            return None
        record = show_customer(self.conn, item.customer_id)
        retry_on = self.scheduler.retry_date(item.attempts + 1, self.day)
        key, text = self.message(item)
        typed = self.pending.get(item.customer_id, Pending())
        return {
            "item": item,
            "spend": record["spend"],
            "last_purchase": record["last_purchase"],
            "retry_on": retry_on.isoformat() if retry_on else None,
            "attempt": item.attempts + 1,
            "max_attempts": self.scheduler.settings.max_attempts,
            "template": key,
            "message": text,
            "note": typed.note,
            "score": typed.score,
        }

    def summary(self) -> str:
        counts = {kind: 0 for kind in ACTION_ORDER}
        for action in self.done:
            counts[action.kind] = counts.get(action.kind, 0) + 1
        parts = [_count_phrase(kind, n) for kind, n in counts.items() if n]
        if not parts:
            return _("Nothing logged in this session.")
        return _("This session: {counts}.").format(counts=_(", ").join(parts))
