"""README.zh-CN.md pasted in order into a fresh folder: every command works.

The installation lines are what made this checkout's `.venv`; the test runs the same
`followup` with `.venv/bin` first on PATH, which is what the activate step does. The
PostgreSQL section needs a server and is where the run stops.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
INSTALLED = Path(sys.executable).parent  # the .venv/bin the activate step puts on PATH


def readme_commands() -> list[str]:
    """Every line of the sh blocks, in order, up to the PostgreSQL server's section."""
    text = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        if "postgresql://" in block:
            break
        lines += [line for line in block.splitlines() if line.strip()]
    return lines


def test_the_set_up_activates_the_venv_and_names_the_example_shop():
    first = readme_commands()[:5]
    assert first[0] == "python3 -m venv .venv && .venv/bin/pip install -q -e ."
    assert first[1].startswith(". .venv/bin/activate ")
    assert first[2].split()[:2] == ["export", "FOLLOWUP_DB=示例.db"]


def test_every_command_in_the_chinese_readme_works_pasted_in_order(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FOLLOWUP_", "LC_", "XDG_"))
    }
    env.update(
        LANG="zh_CN.UTF-8",
        COLUMNS="80",
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        PATH=f"{INSTALLED}{os.pathsep}{env.get('PATH', '')}",
    )
    outputs: dict[str, str] = {}
    for line in readme_commands():
        if line.startswith(("python3 -m venv", ". .venv/bin/activate")):
            continue  # done already: this checkout's .venv, first on PATH
        if line.startswith("export "):
            name, _, value = shlex.split(line, comments=True)[1].partition("=")
            env[name] = value
            continue
        run = subprocess.run(
            ["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, (line, run.stdout, run.stderr)
        outputs[line.split("#")[0].strip()] = run.stdout
    # The example shop's customers are found: 139-0013-9002 is 李娜, K001 is 王芳.
    assert "李娜" in outputs["followup log 139-0013-9002 未接通"]
    assert "王芳" in outputs["followup show K001"]
    assert (tmp_path / "示例.db").exists()
    assert not (tmp_path / "data").exists()  # no second, empty shop made in the data folder
