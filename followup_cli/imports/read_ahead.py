"""Reading and checking a big file's rows on the second core while this one writes.

An import spends about half its time in Python on each row (splitting, dates, phones, the
first plan) and half matching and writing. A forked child does the first half and streams
the results back through a pipe in batches, so the two halves overlap. The child only reads
the file: it never touches the parent's database connection, and it leaves with `os._exit`
so nothing the parent owns (connections, temp files, terminal) is closed or flushed twice.
Where `fork` does not exist (Windows) the rows are read in this process, as before.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import struct
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from followup_cli.errors import FollowupError
from followup_cli.i18n import _

try:
    import fcntl
except ImportError:  # Windows: no fork either
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")

BATCH = 250  # items per message: large enough that pickling is cheap, small enough to overlap
PIPE_BYTES = 1 << 20
_LENGTH = struct.Struct("<I")
_END, _ITEMS, _FAILED = 0, 1, 2


def can_fork() -> bool:
    return hasattr(os, "fork")


def in_background(
    produce: Callable[[], Iterator[T]],
    encode: Callable[[T], Any] = lambda item: item,
    decode: Callable[[Any], T] = lambda item: item,
) -> Iterator[T]:
    """The items of `produce()`, made in a forked child: the same items, in the same order.

    `encode` turns an item into something cheap to pickle (a tuple) in the child, `decode`
    turns it back in this process. A FollowupError raised in the child is raised here with
    its message and exit code; any other failure is raised here as a FollowupError naming it.
    """
    if not can_fork():
        yield from produce()
        return
    read_end, write_end = os.pipe()
    _widen(write_end)
    pid = os.fork()
    if pid == 0:  # the child: produce, send, and leave without running anyone's clean-up
        os.close(read_end)
        _child(produce, encode, write_end)
    os.close(write_end)
    finished = False
    try:
        with os.fdopen(read_end, "rb", buffering=1 << 16) as pipe:
            while True:
                kind, payload = _receive(pipe)
                if kind == _ITEMS:
                    for item in payload:
                        yield decode(item)
                elif kind == _FAILED:
                    message, exit_code = payload
                    raise FollowupError(message, exit_code)
                else:
                    finished = True
                    return
    finally:
        if not finished:  # the reader stopped early (an error, ctrl-c): stop the child too
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _widen(fd: int) -> None:
    """Room in the pipe for several batches, so that neither side waits for the other while
    it works (Linux allows 1 MB without privileges; elsewhere the default stays)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl else None
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, set_size, PIPE_BYTES)


def _child(produce: Callable[[], Iterator[Any]], encode: Callable[[Any], Any], fd: int) -> None:
    code = 0
    try:
        gc.freeze()  # the parent's objects are never collected here: don't touch their pages
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl-c is the parent's to handle
        with os.fdopen(fd, "wb", buffering=1 << 16) as pipe:
            try:
                batch: list[Any] = []
                for item in produce():
                    batch.append(encode(item))
                    if len(batch) >= BATCH:
                        _send(pipe, _ITEMS, batch)
                        batch = []
                if batch:
                    _send(pipe, _ITEMS, batch)
                _send(pipe, _END, None)
            except FollowupError as exc:
                _send(pipe, _FAILED, (exc.format_message(), exc.exit_code))
            except (BrokenPipeError, KeyboardInterrupt):
                code = 1  # the parent has gone or stopped reading: nothing to say
            except Exception as exc:  # a fault, not the user's: say what it was, in one line
                message = _("reading the file failed: {problem}").format(problem=repr(exc))
                _send(pipe, _FAILED, (message, 1))
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _send(pipe: Any, kind: int, payload: Any) -> None:
    data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_LENGTH.pack(len(data)))
    pipe.write(data)
    if kind != _ITEMS:
        pipe.flush()


def _receive(pipe: Any) -> tuple[int, Any]:
    head = pipe.read(_LENGTH.size)
    data = pipe.read(_LENGTH.unpack(head)[0]) if len(head) == _LENGTH.size else b""
    if not data:
        raise FollowupError(_(_STOPPED))
    return pickle.loads(data)


_STOPPED = (
    "reading the file failed: the process reading it stopped unexpectedly (out of memory?); "
    "nothing was written"
)
