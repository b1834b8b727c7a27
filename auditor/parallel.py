"""Independent work shared by two processes, for large documents on multi-core machines.

The engine runs groups of rules that share nothing but the loaded ``Document`` (which they only
read, and caches they can rebuild). On a document with many paths the parent forks once; the
parent and the child then take the next group from a queue (a pipe holding one byte per
group, read one byte at a time: each group goes to exactly one of them), so whichever is free
takes the next one and neither waits for a fixed half. Heavy groups come first. The child
writes each result, pickled, to a shared temporary file as soon as it has it; the output is
the same as one process gives, in the same order (a test compares). A group that fails in the
child is run again in the parent, so an error surfaces exactly as it would without the split. ``AUDITOR_JOBS=1`` turns it off, and so
do ``--jobs 1`` and the workers of a run over several documents (``set_limit``, see
``auditor.catalogue``); small documents never fork (the fork and the pickling would cost more
than they save).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_WEIGHT = 100  # paths in the document
MAX_ITEMS = 255  # one byte per item in the queue


_LIMIT: list[int | None] = [None]


def set_limit(processes: int | None) -> int | None:
    """At most ``processes`` processes for a split from now on (None: no limit); returns the
    limit it replaces."""
    previous, _LIMIT[0] = _LIMIT[0], processes
    return previous


def jobs() -> int:
    value = os.environ.get("AUDITOR_JOBS", "")
    if value:
        try:
            n = max(1, int(value))
        except ValueError:
            n = 1
    else:
        n = min(2, os.cpu_count() or 1)
    limit = _LIMIT[0]
    return n if limit is None else min(n, limit)


def map_split(items: Iterable[T], fn: Callable[[T], R], *, weight: int, prepare: Callable[[], None] | None = None) -> list[R]:
    """``[fn(x) for x in items]``, shared with a forked child when the machine has two cores or
    more and the work is heavy enough. ``prepare`` runs first, only when forking: what both
    processes would otherwise build for themselves (shared caches) is built once, before."""
    items = list(items)
    if jobs() < 2 or weight < MIN_WEIGHT or not 2 <= len(items) <= MAX_ITEMS or not hasattr(os, "fork"):
        return [fn(x) for x in items]
    import tempfile  # only when splitting

    if prepare is not None:
        prepare()
    queue_read, queue_write = os.pipe()
    os.write(queue_write, bytes(range(len(items))))
    os.close(queue_write)  # empty queue = end of file for both
    # the child's results, one pickle per item as soon as it is done (pickling overlaps the
    # parent's work; a file, unlike a pipe, never blocks the writer until the parent reads)
    results_file = tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:  # the child: take items until the queue is empty, leave at once
        code = 0
        try:
            for i in _take(queue_read):
                try:
                    done: tuple[int, bool, object] = (i, True, fn(items[i]))
                except BaseException:  # noqa: BLE001 - the parent runs it again and sees the error
                    done = (i, False, None)
                pickle.dump(done, results_file, protocol=pickle.HIGHEST_PROTOCOL)
            results_file.flush()
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    results: dict[int, R] = {}
    with results_file:
        try:
            for i in _take(queue_read):
                results[i] = fn(items[i])
        finally:
            os.close(queue_read)
            _, status = os.waitpid(pid, 0)
        child = _read_results(results_file) if status == 0 else {}
    for i in range(len(items)):
        if i not in results:
            ok, value = child.get(i, (False, None))
            results[i] = value if ok else fn(items[i])  # type: ignore[assignment]
    return [results[i] for i in range(len(items))]


def _read_results(fh) -> dict[int, tuple[bool, object]]:
    """What the child wrote; a truncated file gives what it holds (the rest is run here)."""
    fh.seek(0)
    out: dict[int, tuple[bool, object]] = {}
    while True:
        try:
            i, ok, value = pickle.load(fh)
        except Exception:  # noqa: BLE001 - the end (EOFError), or a torn record: the rest runs here
            return out
        out[i] = (ok, value)


def _take(queue: int) -> Iterable[int]:
    """Item numbers from the shared queue until it is empty (a pipe read of one byte is atomic)."""
    while True:
        got = os.read(queue, 1)
        if not got:
            return
        yield got[0]
