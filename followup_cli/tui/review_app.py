"""`followup review`: today's list full-screen, one key per outcome, the words to say beside it.

Only the `review` command imports this module (Textual costs start-up time no other command
should pay). What happens on each key is in review_session.py; this module draws and listens.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import date
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from followup_cli import wording
from followup_cli.commands.due import DueItem
from followup_cli.commands.review_session import ReviewSession
from followup_cli.errors import FollowupError
from followup_cli.i18n import _

OUTCOME_KEYS = {
    "r": "reached",
    "n": "no-answer",
    "c": "complaint",
    "v": "converted",
    "l": "lost",
    "o": "opt-out",
}
_STATUS_MARKUP = {"late": "[bold red]{}[/]", "overdue": "[yellow]{}[/]"}  # as `today` shows them
NAME_WIDTH = 12  # display cells: six Chinese characters or twelve Latin letters


def key_hints() -> list[str]:
    """The footer: every key, always on screen, in two lines that fit 80 columns."""
    return [
        _("r reached  n no answer  c complaint  v converted  l lost  o opt-out  s snooze"),
        _("e note  1-5 score  u undo  y copy message  p print on quit  ? help  q quit"),
    ]


def help_text() -> str:
    return "\n".join(
        [
            _("Each outcome key logs at once, as 'followup log' does, and the list moves on."),
            "",
            _("r  reached: contact made; the next follow-up is planned by the rule"),
            _("n  no answer: shown again after the retry gap; missed after the last try"),
            _("c  complaint: counts as reached; a check-back is planned"),
            _("v  converted: a prospect bought; they become a new customer"),
            _("l  lost: the customer has gone; nothing more is planned"),
            _("o  opt-out: never contact again"),
            _("s  snooze: +3d, +1w or a date; not a miss"),
            _("e  a note, and 1-5 a satisfaction score, written with the next outcome"),
            _("u  undo the last action of this session"),
            _("y  copy the message (the terminal must allow OSC 52); p print it on quit"),
            _("up/down  choose a customer;  q  quit with a summary"),
            "",
            _("Press any key to go back."),
        ]
    )


def card_text(card: dict[str, Any] | None, day: date) -> str:
    """The selected customer's card, as plain text (names are never read as markup)."""
    if card is None:
        return _("Nothing due on {day}. Press q to quit.").format(day=day.isoformat())
    item: DueItem = card["item"]
    lines = [
        f"{item.name}  {item.customer_id} · {wording.tier(item.tier)} · "
        f"{item.phone or _('no phone')}",
        _due_line(item),
        _("Why: {reason}").format(reason=wording.reason(item.reason)),
    ]
    if item.last_outcome:
        last = _("Last: {outcome} on {day}").format(
            outcome=wording.outcome(item.last_outcome), day=item.last_contact or "-"
        )
        if item.last_note:
            last += f' · "{item.last_note}"'
        lines.append(last)
    else:
        lines.append(_("Last: never contacted"))
    if card["last_purchase"]:
        bought = _("Last purchase: {day}").format(day=card["last_purchase"])
        if card["spend"] is not None:
            bought += " · " + _("spend {amount:,.2f}").format(amount=card["spend"])
        lines.append(bought)
    else:
        lines.append(_("No purchase yet"))
    if item.rule:
        lines.append(_("Rule: {rule}").format(rule=wording.reason(item.rule)))
    if card["retry_on"]:
        lines.append(
            _("No answer: again on {day} (try {attempt} of {tries})").format(
                day=card["retry_on"], attempt=card["attempt"], tries=card["max_attempts"]
            )
        )
    else:
        lines.append(_("No answer: last try, the follow-up is missed"))
    lines += ["", _("Message ({template}):").format(template=card["template"]), card["message"]]
    if card["note"] or card["score"]:
        lines.append("")
        if card["note"]:
            lines.append(_("Note to log: {note}").format(note=card["note"]))
        if card["score"]:
            lines.append(_("Satisfaction to log: {score}").format(score=card["score"]))
    return "\n".join(lines)


def _due_line(item: DueItem) -> str:
    if item.days_overdue == 0:
        return _("Due today, {due}").format(due=item.due_date)
    if item.days_overdue == 1:
        return _("Due {due} ({status}, 1 day over)").format(
            due=item.due_date, status=wording.status(item.status)
        )
    return _("Due {due} ({status}, {days} days over)").format(
        due=item.due_date, status=wording.status(item.status), days=item.days_overdue
    )


def _cells(item: DueItem) -> tuple[str, str, str, str]:
    """One line of the list: the selection mark, id, name and status (as markup, escaped)."""
    status = _STATUS_MARKUP.get(item.status, "{}").format(escape(wording.status(item.status)))
    return "", escape(item.customer_id), escape(item.name), status


def _list_widths(items: list[DueItem]) -> tuple[int, int]:
    """The id column as wide as the longest id, the status as wide as the longest status
    word in the reader's language (严重逾期: 8), so neither is ever cut."""
    from followup_cli.text import text_width

    id_width = max([text_width(_("ID")), *(text_width(i.customer_id) for i in items)])
    statuses = ("due", "overdue", "late")
    status_width = max(text_width(_("Status")), *(text_width(wording.status(s)) for s in statuses))
    return id_width, status_width


class AskScreen(ModalScreen[str | None]):
    """One line of input: Enter gives it, Escape gives up."""

    BINDINGS: ClassVar[list[Any]] = [Binding("escape", "cancel", show=False)]
    DEFAULT_CSS = """
    AskScreen { align: center middle; }
    AskScreen > Vertical { width: 70; height: auto; border: round $accent; padding: 0 1; }
    """

    def __init__(self, question: str, value: str = "", replace: bool = False) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.replace = replace  # typing replaces the suggested value instead of adding to it

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(escape(self.question))
            yield Input(value=self.value, select_on_focus=self.replace)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Static { width: 78; height: auto; border: round $accent; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(help_text(), markup=False)

    def on_key(self) -> None:
        self.dismiss(None)


class ReviewApp(App[str]):
    """The list on the left, the card on the right, the keys at the bottom."""

    CSS = """
    #title { height: 1; background: $primary; color: $text; padding: 0 1; }
    #body { height: 1fr; }
    #list {
        width: 34; overflow-x: hidden; scrollbar-gutter: stable; scrollbar-size-vertical: 1;
    }
    #card { width: 1fr; padding: 0 1; }
    /* one line, cut with … at the edge: wrapped, a Chinese sentence (no spaces) after the
       customer's id went whole to a second line the status bar never shows */
    #status {
        height: 1; padding: 0 1; color: $warning; text-wrap: nowrap; text-overflow: ellipsis;
    }
    #keys { height: 2; background: $panel; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[Any]] = [
        *(Binding(key, f"log('{outcome}')", show=False) for key, outcome in OUTCOME_KEYS.items()),
        Binding("s", "snooze", show=False),
        Binding("e", "note", show=False),
        *(Binding(str(n), f"score({n})", show=False) for n in range(1, 6)),
        Binding("u", "undo", show=False),
        Binding("y", "copy", show=False),
        Binding("p", "print", show=False),
        Binding("question_mark", "help", show=False),
        Binding("q", "quit_review", show=False),
    ]

    ENABLE_COMMAND_PALETTE = False

    def __init__(self, session: ReviewSession) -> None:
        super().__init__()
        self.session = session
        self.failure: str | None = None
        self.items: list[DueItem] = []
        self.marked: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="title", markup=False)
        with Horizontal(id="body"):
            yield DataTable(id="list", cursor_type="row", zebra_stripes=False)
            with VerticalScroll(id="card"):
                yield Static(id="card-text", markup=False)
        yield Static(id="status", markup=False)
        yield Static("\n".join(key_hints()), id="keys", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#list", DataTable)
        items = self.session.items()
        id_width, status_width = _list_widths(items)
        table.add_column(" ", width=1, key="mark")
        table.add_column(_("ID"), width=id_width, key="id")
        table.add_column(_("Name"), width=NAME_WIDTH, key="name")
        table.add_column(_("Status"), width=status_width, key="status")
        # Each column has a cell of padding either side; the scrollbar has a gutter of its own
        # (1 cell), so it never draws over the status; 34 cells unless long ids need more.
        table.styles.width = max(34, 1 + id_width + NAME_WIDTH + status_width + 4 * 2 + 1)
        self.reload(items=items)
        table.focus()

    # --- drawing -----------------------------------------------------------------------------

    def reload(self, keep: int | None = None, items: list[DueItem] | None = None) -> None:
        """Read today's list again (or take the one just read) and redraw it whole."""
        table = self.query_one("#list", DataTable)
        row = table.cursor_row if keep is None else keep
        self.items = self.session.items() if items is None else items
        table.clear()
        self.marked = None
        for item in self.items:
            table.add_row(*_cells(item), key=item.customer_id)
        if self.items:
            table.move_cursor(row=min(max(row, 0), len(self.items) - 1))
        self.show_card()

    def put_back(self, customer_id: str) -> None:
        """After an undo the customer is on today's list again: in their place, selected."""
        table = self.query_one("#list", DataTable)
        fresh = self.session.items()
        order = {item.customer_id: n for n, item in enumerate(fresh)}
        known = {item.customer_id for item in self.items}
        back = [item for item in fresh if item.customer_id not in known]
        if [i.customer_id for i in back] != [customer_id] or len(fresh) != len(known) + 1:
            self.reload(order.get(customer_id), fresh)  # more has changed: redraw it all
            return
        table.add_row(*_cells(back[0]), key=customer_id)
        by_id = {escape(ref): n for ref, n in order.items()}
        table.sort("id", key=lambda cell: by_id[cell])
        self.items = fresh
        table.move_cursor(row=order[customer_id])
        self.show_card()

    def drop(self, item: DueItem) -> None:
        """Take one customer off the list after an action moved them off today's.

        Cheaper than reading the whole list again, which a shop with a backlog of thousands
        would feel on every key; the rest of the list cannot have changed.
        """
        self._remove(item)
        self.show_card()

    def _remove(self, item: DueItem) -> None:
        table = self.query_one("#list", DataTable)
        row = table.cursor_row
        self.items = [i for i in self.items if i.customer_id != item.customer_id]
        if self.marked == item.customer_id:
            self.marked = None
        table.remove_row(item.customer_id)
        if self.items:
            table.move_cursor(row=min(row, len(self.items) - 1))

    def show_card(self) -> None:
        item = self.selected()
        card = self.session.card(item) if item else None
        while item is not None and card is None:  # forgotten or merged from another shell
            self._remove(item)
            self.say(
                _("{name} ({id}) is no longer in the shop (forgotten or merged): left out.").format(
                    name=item.name, id=item.customer_id
                )
            )
            item = self.selected()
            card = self.session.card(item) if item else None
        self.mark(item)
        self.query_one("#card-text", Static).update(card_text(card, self.session.day))
        self.query_one("#title", Static).update(
            _("Review {day}: {left} to go, {done} done this session").format(
                day=self.session.day.isoformat(), left=len(self.items), done=len(self.session.done)
            )
        )

    def selected(self) -> DueItem | None:
        if not self.items:
            return None
        table = self.query_one("#list", DataTable)
        return self.items[min(table.cursor_row, len(self.items) - 1)]

    def mark(self, item: DueItem | None) -> None:
        """A › beside the selected customer: visible without colour, and in a text capture."""
        table = self.query_one("#list", DataTable)
        if self.marked is not None and self.marked in table.rows:
            table.update_cell(self.marked, "mark", "")
        self.marked = item.customer_id if item else None
        if self.marked is not None:
            table.update_cell(self.marked, "mark", "›")

    def say(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_card()

    def attempt(self, work) -> Any:
        """Run one action; a refusal (opted out meanwhile, nothing to undo) is shown, not raised."""
        try:
            return work()
        except FollowupError as exc:
            self.say(_("Not done: {reason}").format(reason=" ".join(exc.format_message().split())))
        except sqlite3.Error as exc:
            self.say(_("Not done: database problem: {reason}").format(reason=exc))
        return None

    # --- keys -------------------------------------------------------------------------------

    def action_log(self, outcome: str) -> None:
        item = self.selected()
        if item is None:
            return
        if not self.session.still_here(item):
            self.show_card()  # gone since the card was drawn: leave them out, go on
            return
        result = self.attempt(lambda: self.session.log(item, outcome))
        if result is None:
            return
        nxt = (
            _("next {day}").format(day=result.next_due) if result.next_due else _("nothing planned")
        )
        self.say(
            _("Logged {outcome} for {name} ({id}); {next}").format(
                outcome=wording.outcome(outcome), name=item.name, id=item.customer_id, next=nxt
            )
        )
        if result.next_due and result.next_due <= self.session.day.isoformat():
            self.reload()  # still to do today (a retry the same day): read the list again
        else:
            self.drop(item)

    def action_snooze(self) -> None:
        item = self.selected()
        if item is None:
            return

        def done(answer: str | None) -> None:
            if not answer:
                return
            result = self.attempt(lambda: self.session.snooze(item, answer))
            if result is not None:
                self.say(
                    _("Snoozed {name} ({id}) until {day}").format(
                        name=item.name, id=item.customer_id, day=result["until"]
                    )
                )
                self.drop(item)

        question = _("Snooze {name} until: +3d, +1w or a date (YYYY-MM-DD)").format(name=item.name)
        # the suggested answer in the reader's words (3天 in Chinese): Enter takes it as it is
        self.push_screen(AskScreen(question, _("+3d"), replace=True), done)

    def action_note(self) -> None:
        item = self.selected()
        if item is None:
            return
        current = self.session.pending.get(item.customer_id)

        def done(answer: str | None) -> None:
            if answer is not None:
                self.session.set_note(item, answer)
                self.show_card()

        question = _("Note for {name} (written with the next outcome key):").format(name=item.name)
        self.push_screen(AskScreen(question, (current.note if current else None) or ""), done)

    def action_score(self, score: int) -> None:
        item = self.selected()
        if item is not None:
            self.session.set_score(item, score)
            self.show_card()

    def action_undo(self) -> None:
        undone = self.attempt(self.session.undo)
        if undone is None:
            if not self.session.done:
                self.say(_("Nothing to undo in this session."))
            return
        self.say(
            _("Undone: {outcome} for {name} ({id})").format(
                outcome=wording.outcome(undone.kind), name=undone.name, id=undone.customer_id
            )
        )
        self.put_back(undone.customer_id)

    def action_copy(self) -> None:
        item = self.selected()
        if item is not None:
            self.copy_to_clipboard(self.session.message(item)[1])
            self.say(_("Message copied (where the terminal allows it)."))

    def action_print(self) -> None:
        item = self.selected()
        if item is not None:
            self.session.keep_to_print(item)
            self.say(
                _("The message for {name} will be printed when you quit.").format(name=item.name)
            )

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_quit_review(self) -> None:
        self.exit(self.session.summary())

    def _fatal_error(self) -> None:
        """Textual's own prints a traceback with local variables (customer data): keep one
        line for the command to report instead, as every other command does."""
        if os.environ.get("FOLLOWUP_DEBUG"):
            super()._fatal_error()
            return
        error = self._exception
        self.failure = _(
            "unexpected {kind}: {error} (run with FOLLOWUP_DEBUG=1 and report it)"
        ).format(kind=type(error).__name__, error=error)
        self._close_messages_no_wait()


def screen_lines(app: App[Any]) -> list[str]:
    """The screen as plain text, one string per row (for tests and the README capture)."""
    return [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]


def run_review(
    conn: sqlite3.Connection,
    day: date,
    owner: str | None,
    limit: int | None,
    channel: str | None = None,
    branches: list[str] | None = None,
) -> tuple[str, list[str]]:
    """Run the session on this terminal; returns the summary and the messages kept to print."""
    session = ReviewSession(conn, day, owner, limit, channel, branches=branches)
    app = ReviewApp(session)
    summary = app.run()
    if app.failure:
        raise FollowupError(f"{app.failure}; {session.summary()}")
    return summary or session.summary(), session.printed
