"""Every test runs the real CLI against its own temporary database, twice: on a SQLite file
and on a PostgreSQL schema of a throwaway server (tests/pg_server.py) — the engine a chain of
shops uses. A test about the file itself (backups, permissions, pages) is marked `sqlite_only`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pg_server
import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner

from followup_cli.cli.app import app

ENGINES = ("sqlite", "postgresql")
_schemas = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: about the SQLite file itself; not run on PostgreSQL"
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    pg_server.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if pg_server.missing_reason():
        terminalreporter.write_line(
            f"WARNING: the PostgreSQL half of the suite was SKIPPED: {pg_server.missing_reason()}",
            red=True,
            bold=True,
        )


@pytest.fixture(params=ENGINES, autouse=True)
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        if request.node.get_closest_marker("sqlite_only"):
            pytest.skip("about the SQLite file itself")
        if pg_server.base_url() is None:
            pytest.skip(f"PostgreSQL not available: {pg_server.missing_reason()}")
    return str(request.param)


@pytest.fixture
def server_url(engine: str) -> Iterator[str | None]:
    """A fresh, empty PostgreSQL schema for this test (None on SQLite)."""
    if engine != "postgresql":
        yield None
        return
    name = f"t{next(_schemas)}"
    yield pg_server.new_schema(name)
    pg_server.drop_schema(name)


@pytest.fixture(autouse=True)
def isolated_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server_url: str | None
) -> Path | str:
    """No test can touch a real user's data: FOLLOWUP_DB always points into tmp_path (or, on
    PostgreSQL, at a schema of the test server made for this test alone)."""
    db: Path | str = server_url or tmp_path / "followup.db"
    monkeypatch.setenv("FOLLOWUP_DB", str(db))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("FOLLOWUP_DEBUG", raising=False)
    return db


# Building the command line from `app` takes about 65 ms, several times what most commands
# then do; a shell builds it once per process, and so does the suite, keeping the built one
# for as long as it stays as built. A help page (which attaches the outcome words to `log`)
# or a language other than English (which gives the group its own context class) rewrites
# the texts in place (cli/helppage.py), so after such a run the next one builds afresh.
_built: dict[str, Any] = {}


def _as_built(group: Any) -> bool:
    return group.context_class is _built["context_class"] and not hasattr(
        group.commands["log"], "_examples_epilog"
    )


def _built_once(typer_app: Any) -> Any:
    if typer_app is not app:
        return typer.main.get_command(typer_app)
    if "app" not in _built or not _as_built(_built["app"]):
        _built["app"] = typer.main.get_command(app)
        _built["context_class"] = _built["app"].context_class
    return _built["app"]


typer.testing._get_command = _built_once  # type: ignore[attr-defined]


class Cli:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0) -> Any:
        result = self.runner.invoke(app, list(args), prog_name="followup")
        assert result.exit_code == code, (
            f"exit {result.exit_code} != {code}\nstdout: {result.stdout}\n"
            f"stderr: {result.stderr}\n{result.exception!r}"
        )
        if code not in (0, 3):
            assert "Traceback" not in result.stderr
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--format", "json").stdout)


@pytest.fixture
def cli() -> Cli:
    return Cli()


HEADER = "id,name,phone,email,tier,first_purchase,last_purchase,added,owner,notes\n"


@pytest.fixture
def csv_file(tmp_path: Path):
    def write(body: str, name: str = "customers.csv", header: str = HEADER) -> Path:
        path = tmp_path / name
        path.write_text(header + body, encoding="utf-8")
        return path

    return write
