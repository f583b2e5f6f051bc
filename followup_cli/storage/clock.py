"""The clock for write time stamps: reading the time is storage's job, never the engine's.

The engine and the commands take "today" as an argument; the stamp on a written row (when it
was written) is the one moment that is read from the system clock, here.
"""

from __future__ import annotations

from datetime import UTC, datetime


def write_stamp() -> str:
    """A write's time stamp; to the microsecond, so that `imports undo` can tell an import's
    own writes from anything done after it."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
