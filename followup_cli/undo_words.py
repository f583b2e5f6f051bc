"""What `followup undo` says it took back, and whose it was."""

from __future__ import annotations

from typing import Any

from followup_cli import wording
from followup_cli.i18n import _


def undid_line(done: dict[str, Any]) -> str:
    """The first sentence: which contact, whose (its staff member and branch, when known)."""
    fields = {
        "contact_id": done["contact_id"],
        "outcome": wording.outcome(done["outcome"]),
        "ref": done["customer_id"],
        "name": done["name"],
        "date": done["date"],
        "owner": done.get("owner"),
        "branch": done.get("branch"),
    }
    if fields["owner"] and fields["branch"]:
        text = _(
            "Undid contact {contact_id} ({owner}'s, at {branch}): {outcome} for {ref} {name} "
            "on {date}."
        )
    elif fields["owner"]:
        text = _("Undid contact {contact_id} ({owner}'s): {outcome} for {ref} {name} on {date}.")
    elif fields["branch"]:
        text = _("Undid contact {contact_id} (at {branch}): {outcome} for {ref} {name} on {date}.")
    else:
        text = _("Undid contact {contact_id}: {outcome} for {ref} {name} on {date}.")
    return text.format(**fields)
