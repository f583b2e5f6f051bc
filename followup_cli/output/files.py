"""Writing an export to a file: owner-only (0600), whole or not at all, checked before any work.

A regular file is written under a temporary name in its folder and renamed over the target;
`-`, a FIFO or a device is written straight through.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def to_text_file(path: str, writer, *args: Any, bom: bool = False) -> None:
    """Write an export to a file whole: a half-written export is never left behind."""
    with open_output(path, bom=bom) as out:
        writer(*args, out=out)


def write_to(output: str | None, writer, *args: Any, bom: bool = False) -> None:
    """To the file named (whole, owner-only), or to stdout when none is named."""
    if output:
        to_text_file(output, writer, *args, bom=bom)
    else:
        writer(*args)


def check_output(path: str | None) -> None:
    """Refuse an output that cannot work before any work is done: a folder, or a file in a
    folder that does not exist."""
    from followup_cli.errors import FollowupError
    from followup_cli.i18n import _

    if not path or path == "-":
        return
    target = Path(path).expanduser()
    if target.is_dir():
        raise FollowupError(_("{path} is a folder: give a file name").format(path=path))
    if not target.resolve().parent.is_dir():
        raise FollowupError(_("folder {folder} does not exist").format(folder=target.parent))


def _written_directly(target: Path) -> bool:
    """`-`, a FIFO, a device or a terminal is written to as it is: replacing it with a file
    (or, as root, replacing /dev/null) would be wrong."""
    if str(target) == "-" or str(target).startswith(("/dev/", "/proc/")):
        return True
    try:
        mode = os.stat(target).st_mode  # follows links: what would be written to
    except FileNotFoundError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextmanager
def open_output(path: str, bom: bool = False, binary: bool = False) -> Iterator[Any]:
    """A handle to stream an export into, owner-only and never half-written.

    A regular file is written under an unpredictable name created exclusively in its folder
    (never through a link or file planted in advance) and renamed over the target at the end;
    any failure removes it. FIFOs, devices and `-` are written straight through.
    """
    import tempfile

    check_output(path)
    target = Path(path).expanduser()
    encoding = "utf-8-sig" if bom else "utf-8"
    if _written_directly(target):
        if str(target) == "-":
            sys.stdout.flush()
            if binary:
                yield sys.stdout.buffer
                sys.stdout.buffer.flush()
            else:
                sys.stdout.write("\ufeff" if bom else "")
                yield sys.stdout
            return
        fd = os.open(target, os.O_WRONLY)  # never creates a file under /dev
        with _fd_handle(fd, binary, encoding) as handle:
            yield handle
        return
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with _fd_handle(fd, binary, encoding) as handle:
            yield handle
        os.replace(partial, target)  # replaces a link itself, never the file it points at
    finally:
        Path(partial).unlink(missing_ok=True)
    _say_written(target)


def _say_written(target: Path) -> None:
    """A person at a terminal sees where the file went (`-o 客户.xlsx` said nothing); a script
    or cron job, whose stderr is no terminal, hears nothing."""
    if sys.stderr.isatty():
        from followup_cli.i18n import _

        print(_("Written: {file}").format(file=target), file=sys.stderr)


def _fd_handle(fd: int, binary: bool, encoding: str) -> Any:
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding=encoding, newline="")


def write_bytes(data: bytes, output: str | None) -> None:
    if output:
        with open_output(output, binary=True) as out:
            out.write(data)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
