"""What an import came to, and the signals its stages pass back to the run.

`ImportResult` is filled by every stage (the rows read and rejected by the cleaning, the
customers matched, the counts the write makes) and returned to the command; it lives
here, below run.py, match.py and write.py, so those three import it without circling.
`Stale` and `Rollback` are how the match and the write tell the run to plan again or to
keep nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from followup_cli.errors import EXIT_NOTHING_IMPORTED, EXIT_PARTIAL_IMPORT
from followup_cli.imports.clean import Rejection

Progress = Callable[[int], None]


def phase(tick: Progress | None, label: str, steps: int | None = None) -> None:
    """Tell the person watching what the import does now: `steps` ticks of it to come, or
    None for one step of unknown length. Nothing when no bar is shown (no terminal)."""
    switch = getattr(tick, "phase", None)
    if switch is not None:
        switch(label, steps)


@dataclass
class ImportResult:
    """One import's counts and findings, as `import` prints them and the history keeps them."""

    file: str
    encoding: str
    import_id: int | None = None
    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    dry_run: bool = False
    refused: bool = False
    header: list[str] = field(default_factory=list)
    spread: dict[str, Any] | None = None  # a first import's calls spread over the coming days
    header_line: int = 1
    layout: str | None = None  # the known export the file was read as
    merged: int = 0  # rows for a customer (or order) already read from this file
    named: int = 0  # customers named from their nickname, e-mail or phone
    phones_left_out: int = 0
    shared_phones: int = 0  # second customers on a phone another customer has
    skipped_totals: int = 0
    skipped_placeholders: int = 0  # rows named `.` or `-` with nothing else: nobody
    skipped_unpaid: int = 0
    skipped_walk_ins: int = 0  # sales to nobody the file names (散客, no member key)
    skipped_masked: int = 0  # orders whose only key is a phone the marketplace hid
    skipped_keyless: int = 0  # contacts with no phone or e-mail (企业微信 keeps its own key)
    buyers_added: int = 0  # customers a purchases file named and the shop did not know
    new_buyers: dict[int, dict[str, Any]] = field(default_factory=dict)  # placeholder -> buyer
    bought: list[int] = field(default_factory=list)  # whose purchases changed (internal ids)
    unknown_levels: dict[str, int] = field(default_factory=dict)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # the file's column -> our field
    kept_columns: list[str] = field(default_factory=list)  # columns kept as other fields

    @property
    def used(self) -> bool:
        return bool(
            self.added
            or self.updated
            or self.unchanged
            or self.merged
            or self.skipped_walk_ins
            or self.skipped_masked
            or self.skipped_keyless
        )

    @property
    def exit_code(self) -> int:
        if not self.rejected:
            return 0
        return EXIT_PARTIAL_IMPORT if self.used and not self.refused else EXIT_NOTHING_IMPORTED

    def summary(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "file": self.file,
            "encoding": self.encoding,
            "read": self.read,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "dry_run": self.dry_run,
            "written": self.import_id is not None,
            "spread": self.spread,
            "layout": self.layout,
            "header_line": self.header_line,
            "merged": self.merged,
            "named_from_contact": self.named,
            "phones_left_out": self.phones_left_out,
            "shared_phones": self.shared_phones,
            "skipped_totals": self.skipped_totals,
            "skipped_placeholders": self.skipped_placeholders,
            "skipped_unpaid": self.skipped_unpaid,
            "skipped_walk_ins": self.skipped_walk_ins,
            "skipped_masked": self.skipped_masked,
            "skipped_keyless": self.skipped_keyless,
            "buyers_added": self.buyers_added,
            "unknown_levels": dict(sorted(self.unknown_levels.items())),
            "warnings": len(self.warnings),
            "columns": self.columns,
            "kept_columns": self.kept_columns,
        }


class Stale(Exception):
    """Someone changed what the plan was made from: make it again."""


class Rollback(Exception):
    """The written import is not kept (a dry run, --strict with a rejected row, nothing
    usable): raised inside the write transaction, caught outside it."""
