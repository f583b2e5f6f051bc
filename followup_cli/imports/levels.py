"""The owner's level table: a till's member levels, tags and stages read as the shop's tiers.

Imports read it (known_layouts.LevelTable) to give a row a tier; these are the commands
that show and change it.
"""

from __future__ import annotations

import sqlite3

from followup_cli import storage, vocabulary, wording
from followup_cli.errors import FollowupError
from followup_cli.i18n import _


def levels_view(conn: sqlite3.Connection) -> list[dict[str, str]]:
    """The owner's level table, in the order the words were added."""
    return [{"level": word, "tier": tier} for word, tier in storage.load_levels(conn).items()]


def set_level(conn: sqlite3.Connection, word: str, tier: str) -> dict[str, str]:
    """Map a level, tag or stage (or any text containing it) to one of the shop's tiers."""
    word = " ".join(word.split())
    tier = vocabulary.tier(tier)  # 老客户 is regular, as everywhere a tier is typed
    if not word:
        raise FollowupError(_("a level needs some text"))
    with storage.transaction(conn):
        tiers = storage.load_rules(conn)
        if tier not in tiers:
            raise FollowupError(
                _("unknown tier {tier!r} (tiers: {tiers})").format(
                    tier=tier, tiers=wording.tier_choices(tiers)
                )
            )
        storage.save_level(conn, word.casefold(), tier)
    return {"level": word.casefold(), "tier": tier}


def remove_level(conn: sqlite3.Connection, word: str) -> None:
    with storage.transaction(conn):
        if not storage.remove_level(conn, " ".join(word.split()).casefold()):
            raise FollowupError(_("the level table has no {level!r}").format(level=word))
