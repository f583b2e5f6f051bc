"""The terminal a person watches: sentences on stdout and stderr, a Rich console, colour only
where it shows, and the progress bar of a big import."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from followup_cli.text import for_stream, strip_controls


def console(stderr: bool = False):
    """A Rich console that never colours or animates when not on a terminal."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    columns = os.environ.get("COLUMNS", "")
    width = None if stream.isatty() else int(columns) if columns.isdigit() else 80
    return Console(
        file=stream,
        width=width,
        no_color="NO_COLOR" in os.environ or not stream.isatty(),
        highlight=False,
        emoji=False,
    )


def colour_on(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never with NO_COLOR or TERM=dumb."""
    stream = stream or sys.stdout
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def message(text: str) -> None:
    """A sentence on stdout: broken to the terminal's width on a terminal, else one line."""
    print(for_stream(strip_controls(text), sys.stdout))


def warn(text: str) -> None:
    """A sentence on stderr: broken to the terminal's width on a terminal, else one line."""
    print(for_stream(strip_controls(text), sys.stderr), file=sys.stderr)


PROGRESS_MIN_ROWS = 20_000  # smaller files import in well under a second


@contextmanager
def progress(
    label: str, done_label: str | None = None, quiet: bool = False
) -> Iterator[Callable[[int], Callable[[int], None]] | None]:
    """A factory (total rows -> tick) for a progress bar: only for a person watching (both
    outputs on a terminal, no --quiet) and a big file. The bar is drawn by the ticks, with no
    thread of its own, so an import may fork its reading process at any time; once every row
    is counted it says `done_label` with no percentage, and each later phase of the import
    (writing, planning) says what it does, counted when it can be (see _PhasedBar)."""
    if (
        quiet
        or not (sys.stderr.isatty() and sys.stdout.isatty())
        or os.environ.get("TERM") == "dumb"
    ):
        yield None
        return
    import time

    from rich.markup import escape
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True, auto_refresh=False) as bar:

        def start(total: int) -> Callable[[int], None]:
            if total < PROGRESS_MIN_ROWS:
                return lambda _: None
            return _PhasedBar(bar, escape, time.monotonic, label, total, done_label)

        yield start


class _PhasedBar:
    """The bar of one import: its rows as they are read and matched, then each phase that
    follows (`phase`), counted in steps when it has them, else shown with no percentage
    (one long statement): never a bar parked at 100% while the work goes on."""

    def __init__(self, bar, escape, clock, label: str, rows: int, done_label: str | None):
        self.bar, self.escape, self.clock = bar, escape, clock
        self.task = bar.add_task(escape(label), total=rows)  # a file name is not markup
        self.steps: int | None = rows
        self.counted, self.drawn = 0, 0.0
        self.done_label = done_label  # what the bar says once every row is read

    def phase(self, description: str, steps: int | None = None) -> None:
        self.bar.remove_task(self.task)
        self.task = self.bar.add_task(self.escape(description), total=steps)
        self.steps, self.counted, self.done_label = steps, 0, None
        self.bar.refresh()
        self.drawn = self.clock()

    def __call__(self, rows: int) -> None:
        self.bar.advance(self.task, rows)
        self.counted += rows
        finished = self.steps is not None and self.counted >= self.steps
        if finished and self.done_label:
            self.phase(self.done_label)  # every row read: what follows has no percentage
            return
        now = self.clock()
        if finished or now - self.drawn >= 0.1:
            self.bar.refresh()
            self.drawn = now
