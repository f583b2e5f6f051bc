"""A throwaway PostgreSQL server for the test session, started on first use and stopped at
the end: initdb and pg_ctl in a temporary folder, reached over a Unix socket only.

PostgreSQL refuses to run as root (CI runs as root), so there the server runs as the
`postgres` user (or `nobody`). `FOLLOWUP_TEST_PG=postgresql://…` uses a server of your own
instead; `FOLLOWUP_TEST_PG=off` runs the SQLite half only.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from urllib.parse import quote

_state: dict[str, object] = {}


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _as_user() -> list[str]:
    """The command prefix that runs the server as an ordinary user when we are root."""
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"]
    raise RuntimeError("running as root and no ordinary user to run PostgreSQL as")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start() -> None:
    chosen = os.environ.get("FOLLOWUP_TEST_PG", "").strip()
    if chosen.lower() in ("off", "0", "no"):
        _state["missing"] = "FOLLOWUP_TEST_PG=off"
        return
    try:
        import psycopg
    except ImportError:
        _state["missing"] = "psycopg is not installed (pip install -e '.[test]')"
        return
    if chosen:
        _state["url"] = chosen
        return
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not (initdb and pg_ctl):
        _state["missing"] = (
            "initdb/pg_ctl not found (install PostgreSQL 15, or set FOLLOWUP_TEST_PG)"
        )
        return
    try:
        _state["pg_ctl"], admin, folder = start_cluster(initdb, pg_ctl)
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        _state["missing"] = f"could not start PostgreSQL: {exc} {detail.decode(errors='replace')}"
        return
    _state["folder"] = folder
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE followup_test")
    _state["url"] = admin.replace("/postgres?", "/followup_test?")


def start_cluster(initdb: str, pg_ctl: str, durable: bool = False) -> tuple[list[str], str, str]:
    """initdb and start a server in a new temporary folder: (the pg_ctl command that stops
    it, with `stop` to add, the URL of its `postgres` database, the folder). Not `durable`:
    commits are not flushed (fast, but a crash loses the last ones)."""
    folder = tempfile.mkdtemp(prefix="followup-pg-")
    prefix = _as_user()
    if prefix:
        user = prefix[2]
        os.chown(folder, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
    data = os.path.join(folder, "data")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    subprocess.run(
        [
            *prefix,
            initdb,
            "-D",
            data,
            "-U",
            "followup",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        **quiet,
    )
    port = _free_port()
    flushing = "" if durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    settings = f"-k {folder} -p {port} -c listen_addresses='' {flushing}-c max_connections=100"
    log = os.path.join(folder, "log")
    subprocess.run([*prefix, pg_ctl, "-D", data, "-o", settings, "-l", log, "-w", "start"], **quiet)
    return (
        [*prefix, pg_ctl, "-D", data],
        f"postgresql://followup@/postgres?host={quote(folder)}&port={port}",
        folder,
    )


def private_server() -> tuple[str, list[str], str] | None:
    """A server of its own for a test that stops it, keeping every commit through a crash:
    (URL, pg_ctl command, folder), or None
    when the tests' server is not one they started."""
    if "folder" not in _state:
        return None
    command, url, folder = start_cluster(
        _binary("initdb") or "", _binary("pg_ctl") or "", durable=True
    )
    return url, command, folder


def base_url() -> str | None:
    if "started" not in _state:
        _state["started"] = True
        _start()
    return _state.get("url")  # type: ignore[return-value]


def missing_reason() -> str | None:
    return _state.get("missing")  # type: ignore[return-value]


def new_schema(name: str) -> str:
    """A URL whose connections see only a new, empty schema `name`."""
    import psycopg

    base = base_url()
    assert base is not None
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.execute(f"CREATE SCHEMA {name}")
    return f"{base}&options=-csearch_path%3D{name}"


def drop_schema(name: str) -> None:
    """End the test's leftover sessions (a CLI run in-process may still hold one) and drop
    its schema, so the server stays small over a whole run."""
    import psycopg

    with psycopg.connect(base_url(), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def stop() -> None:
    if "pg_ctl" in _state:
        subprocess.run(
            [*_state["pg_ctl"], "-m", "immediate", "stop"],  # type: ignore[misc]
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    if "folder" in _state:
        shutil.rmtree(str(_state["folder"]), ignore_errors=True)
    for key in ("pg_ctl", "folder", "url"):  # why it was missing stays, for the summary
        _state.pop(key, None)
