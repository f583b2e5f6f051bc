"""The house's layers, read from the source: every import points down, no two modules import
each other round a circle, no module grows past 650 lines, and the libraries that draw, run the
full screen, parse the command line or speak SQL stay in their rooms.

The imports are read with `ast` (at the top of a module and inside functions alike), never
imported, so the test is quick and sees the imports that start-up speed hides in functions.
Each exception still in the tree is named below with its reason; an exception that no longer
occurs fails too, so the list only ever shrinks.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

# Source, not a database: once is enough (the engine fixture runs it on SQLite only).
pytestmark = pytest.mark.sqlite_only

PACKAGE = Path(__file__).resolve().parent.parent / "followup_cli"

# Bottom to top: an import may point down this list or stay in its room (ARCHITECTURE.md).
RANKS = {
    "base": 0,  # errors.py i18n.py text.py redact.py locales/ (and the package itself)
    "core": 1,
    "words": 2,  # wording.py vocabulary.py undo_words.py help_examples.py
    "storage": 3,
    "planner": 4,
    "imports": 5,
    "commands": 6,
    "output": 7,
    "views": 8,
    "tui": 9,
    "cli": 10,
    "launch": 11,
    "__main__": 12,
}
_BASE = {"errors", "i18n", "text", "redact", "locales"}
_WORDS = {"wording", "vocabulary", "undo_words", "help_examples"}

LONGEST = 650

# --- what is still there, and why (the merge of the rooms' splits shrinks these) -------------

# (importer, imported): an import that points up.
UPWARD_ALLOWED: set[tuple[str, str]] = set()
# Modules importing each other round a circle.
CIRCLES_ALLOWED: set[frozenset[str]] = set()
# Modules over LONGEST lines.
LONG_ALLOWED = {
    "followup_cli.locales.zh_CN": "a message catalogue, one entry per sentence: not code",
}

# Which rooms may import a library that draws, runs the screen or parses the command line.
LIBRARY_ROOMS = {
    "rich": {"output", "views", "tui", "cli", "launch"},
    "textual": {"tui"},
    "typer": {"cli", "launch"},
    "click": {"cli", "launch"},
    "sqlite_utils": {"storage"},
}
# One module below them measuring with a drawing library, and why.
LIBRARY_ALLOWED = {
    # a cell's width from rich.cells, the one width table every screen uses (see
    # docs/decisions/rich.md); text.py draws nothing
    ("followup_cli.text", "rich"),
}
# Outside storage/, sqlite3 names a connection's type and catches its errors; nothing else.
SQLITE_NAMES = {"Connection", "Row", "Error", "OperationalError", "DatabaseError", "IntegrityError"}
_EXECUTE = ("execute", "executemany", "executescript")
SQL_ALLOWED = {
    # reads the language setting before anything is imported (start-up speed; see its docstring)
    "followup_cli.launch",
}


# --- reading the source ------------------------------------------------------------------------


@cache
def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts).removesuffix(".__init__")] = path
    return found


def room(name: str) -> str:
    parts = name.split(".")
    if len(parts) == 1:  # the package's own __init__: its version
        return "base"
    head = parts[1]
    if head in _BASE:
        return "base"
    if head in _WORDS:
        return "words"
    return head


@dataclass(frozen=True)
class Facts:
    """What one module's source says, read in one walk of its tree."""

    imports: frozenset[str]  # the package's modules it imports, anywhere in it
    libraries: frozenset[str]  # top-level names of everything else it imports
    sql: tuple[str, ...]  # what goes past naming sqlite3's types and errors


@cache
def facts(name: str) -> Facts:
    known = modules()
    package = name if known[name].name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    libraries: set[str] = set()
    sql: list[str] = []
    for node in ast.walk(ast.parse(known[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top == "followup_cli":
                    found.add(alias.name)
                else:
                    libraries.add(top)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            if base.split(".")[0] != "followup_cli":
                libraries.add(base.split(".")[0])
                if base == "sqlite3":
                    sql.append(f"from sqlite3 import ... (line {node.lineno})")
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else base)
        elif isinstance(node, ast.Attribute):
            value = node.value
            if (
                isinstance(value, ast.Name)
                and value.id == "sqlite3"
                and node.attr not in SQLITE_NAMES
            ):
                sql.append(f"sqlite3.{node.attr} (line {node.lineno})")
        elif isinstance(node, ast.Call):
            called = node.func
            if isinstance(called, ast.Attribute) and called.attr in _EXECUTE:
                sql.append(f".{called.attr}() (line {node.lineno})")
    found.discard(name)
    return Facts(frozenset(found), frozenset(libraries), tuple(sql))


def imports(name: str) -> frozenset[str]:
    return facts(name).imports


def circles() -> set[frozenset[str]]:
    """Strongly connected groups of modules (Tarjan), each of two or more."""
    known = modules()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in imports(v):
            if w not in known:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                found.add(frozenset(group))

    for name in known:
        if name not in index:
            visit(name)
    return found


# --- the checks --------------------------------------------------------------------------------


def test_every_module_has_a_room():
    unknown = sorted(n for n in modules() if room(n) not in RANKS)
    assert not unknown, f"add these modules' rooms to RANKS (and ARCHITECTURE.md): {unknown}"


def test_every_import_points_down_or_stays_in_its_room():
    known = modules()
    upward = set()
    for name in known:
        for target in imports(name):
            assert target in known, f"{name} imports {target}, which is not in the package"
            if room(target) != room(name) and RANKS[room(target)] > RANKS[room(name)]:
                upward.add((name, target))
    new = sorted(upward - UPWARD_ALLOWED)
    assert not new, f"imports pointing up a layer: {new}"
    gone = sorted(UPWARD_ALLOWED - upward)
    assert not gone, f"fixed, take them off UPWARD_ALLOWED: {gone}"


def test_no_circle_of_imports():
    found = circles()
    new = [sorted(group) for group in found - CIRCLES_ALLOWED]
    assert not new, f"modules importing each other round a circle: {new}"
    gone = [sorted(group) for group in CIRCLES_ALLOWED - found]
    assert not gone, f"fixed, take them off CIRCLES_ALLOWED: {gone}"


def test_no_module_over_650_lines():
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST
    }
    new = {name: n for name, n in long.items() if name not in LONG_ALLOWED}
    assert not new, f"split these modules (over {LONGEST} lines): {new}"
    gone = sorted(set(LONG_ALLOWED) - set(long))
    assert not gone, f"short enough now, take them off LONG_ALLOWED: {gone}"


def test_drawing_screens_and_parsing_stay_in_their_rooms():
    wrong = sorted(
        (name, library)
        for name in modules()
        for library in facts(name).libraries & set(LIBRARY_ROOMS)
        if room(name) not in LIBRARY_ROOMS[library] and (name, library) not in LIBRARY_ALLOWED
    )
    assert not wrong, f"libraries imported outside their rooms: {wrong}"


def test_only_storage_speaks_sql():
    speaking = {
        name: found for name in modules() if room(name) != "storage" and (found := facts(name).sql)
    }
    new = {name: found for name, found in speaking.items() if name not in SQL_ALLOWED}
    assert not new, f"SQL outside storage/ (put it in a storage function): {new}"
    gone = sorted(SQL_ALLOWED - set(speaking))
    assert not gone, f"no SQL there any more, take them off SQL_ALLOWED: {gone}"
