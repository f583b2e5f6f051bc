"""Every test runs the real CLI against its own temporary database file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from followup_cli.cli import app


@pytest.fixture(autouse=True)
def isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test can touch a real user's file: FOLLOWUP_DB always points into tmp_path."""
    db = tmp_path / "followup.db"
    monkeypatch.setenv("FOLLOWUP_DB", str(db))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("FOLLOWUP_DEBUG", raising=False)
    return db


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
