"""Independent work split over two processes, for large documents on multi-core machines.

The engine runs each rule on its own (rules share nothing but the loaded ``Spec``, which they
only read, and caches they can rebuild), so on a document with many paths half of the rules run
in a forked child while the parent runs the other half. The child sends its results back
pickled; the output is the same as one process gives, in the same order (a test compares).
A rule that fails in the child is run again in the parent, so an error surfaces exactly as it
would without the split. ``AUDITOR_JOBS=1`` turns it off; small documents never fork (the fork
and the pickling would cost more than they save).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_WEIGHT = 100  # paths in the document


def jobs() -> int:
    value = os.environ.get("AUDITOR_JOBS", "")
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            return 1
    return min(2, os.cpu_count() or 1)


def map_split(items: Iterable[T], fn: Callable[[T], R], *, weight: int) -> list[R]:
    """``[fn(x) for x in items]``, with every other item computed in a forked child when the
    machine has two cores or more and the work is heavy enough."""
    items = list(items)
    if jobs() < 2 or weight < MIN_WEIGHT or len(items) < 2 or not hasattr(os, "fork"):
        return [fn(x) for x in items]
    mine, theirs = range(0, len(items), 2), range(1, len(items), 2)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute its share, send it, leave without running any cleanup
        code = 0
        try:
            os.close(read_fd)
            out: dict[int, tuple[bool, object]] = {}
            for i in theirs:
                try:
                    out[i] = (True, fn(items[i]))
                except BaseException:  # noqa: BLE001 - the parent runs it again and sees the error
                    out[i] = (False, None)
            with os.fdopen(write_fd, "wb") as fh:
                fh.write(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    results: dict[int, R] = {}
    try:
        for i in mine:
            results[i] = fn(items[i])
    finally:
        with os.fdopen(read_fd, "rb") as fh:
            payload = fh.read()
        _, status = os.waitpid(pid, 0)
    try:
        child = pickle.loads(payload) if status == 0 else {}
    except Exception:  # noqa: BLE001 - a truncated answer: compute it here
        child = {}
    for i in theirs:
        ok, value = child.get(i, (False, None))
        results[i] = value if ok else fn(items[i])  # type: ignore[assignment]
    return [results[i] for i in range(len(items))]
