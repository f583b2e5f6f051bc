"""What each engine promises under faults, erasure and odd input (issue 24): `find` folds case
alike, secrets never reach a message, a server that goes away, a read-only file, erasure on
the server, and a big import that lets other branches write."""

from __future__ import annotations

import pytest


def found_ids(found: list[dict]) -> list[str]:
    return [c["customer_id"] for c in found]


# --- find: Unicode case folding, the same on both engines --------------------------------------


@pytest.fixture
def folded_names(cli):
    for name, phone in (
        ("Straße Müller", "+49 151 12345678"),
        ("İstanbul Kız", "+90 532 123 45 67"),
        ("Ana Lima", "+55 11 91234 5678"),
    ):
        cli("add", name, "--phone", phone, "--date", "2026-11-23")


def test_find_folds_sharp_s_and_dotted_capital_i_alike_on_both_engines(cli, folded_names):
    assert found_ids(cli.json("find", "straße")) == ["fu-1"]
    assert found_ids(cli.json("find", "STRASSE")) == ["fu-1"]
    assert found_ids(cli.json("find", "müller")) == ["fu-1"]
    assert found_ids(cli.json("find", "İstanbul")) == ["fu-2"]
    assert found_ids(cli.json("find", "istanbul")) == ["fu-2"]
    assert found_ids(cli.json("find", "KIZ")) == []  # dotless ı is its own letter
    assert found_ids(cli.json("find", "kız")) == ["fu-2"]
    assert found_ids(cli.json("find", "a")) == ["fu-3", "fu-1", "fu-2"]  # by name, in code point order
    assert cli.json("find", "a", "--limit", "1")[0]["customer_id"] == "fu-3"
