"""Many documents in one run: an organisation's catalogue of specs.

``expand`` turns the command-line arguments into documents. An argument with a pattern
character (``*``, ``?``, ``[``) that names no existing file is a pattern, expanded here (``**``
matches any number of folders) so that CI can quote it where the shell would not expand it;
its matches come sorted, and a pattern that matches no file is an input error.

``map_documents`` runs a function over the documents and returns the results in the order of
the documents. With several documents and ``jobs`` >= 2 they run in a pool of forked worker
processes, largest first (so that a big document does not start last and run alone), each
worker linting whole documents. The documents are independent: the results are the same as in
one process (a test compares the reports).

Two levels of parallel work: ``auditor.parallel`` splits the rule families of ONE large
document over two processes. Inside a worker of the pool it never does (every core already
lints a document; a split would only add forks): a run of one document may split as before,
and ``--jobs 1`` runs everything in one process.
"""

from __future__ import annotations

import glob
import os
import signal
from collections.abc import Callable
from typing import Any, TypeVar

from auditor.exceptions import AuditorError, InputError

T = TypeVar("T")
_PATTERN = frozenset("*?[")


def expand(args: list[str]) -> list[str]:
    """The documents named by ``args``, patterns expanded, each once, in the order given."""
    out: dict[str, None] = {}
    for arg in args:
        if arg == "-" or "://" in arg or not _PATTERN & set(arg) or os.path.lexists(arg):
            out.setdefault(arg)
            continue
        matches = sorted(p for p in glob.glob(arg, recursive=True) if not os.path.isdir(p))
        if not matches:
            raise InputError(
                "no file matches this pattern",
                where=arg,
                hint="patterns are relative to the current folder; `*` stays within one folder, `**` matches any number of folders",
            )
        out.update(dict.fromkeys(matches))
    return list(out)


def map_documents(paths: list[str], fn: Callable[[str], T], jobs: int) -> list[T]:
    """``[fn(p) for p in paths]``, in worker processes when there are several documents and
    ``jobs`` >= 2 (and the platform can fork). Standard input (``-``) is read here, in the
    parent. An exception in ``fn`` stops the run as it would in one process."""
    if jobs < 2 or len(paths) < 2 or not hasattr(os, "fork"):
        return [fn(p) for p in paths]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    results: dict[int, T] = {i: fn(p) for i, p in enumerate(paths) if p == "-"}
    order = sorted((i for i in range(len(paths)) if i not in results), key=lambda i: -_size(paths[i]))
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(min(jobs, len(order)), mp_context=context, initializer=_start_worker, initargs=(fn, paths)) as pool:
            futures = {i: pool.submit(_run, i) for i in order}
            try:
                for i, future in futures.items():
                    results[i] = future.result()
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
    except BrokenProcessPool:
        raise AuditorError(
            "a worker process ended unexpectedly (killed, or out of memory)", hint="rerun with --jobs 1 to lint the documents one after the other"
        ) from None
    return [results[i] for i in range(len(paths))]


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except (OSError, ValueError):
        return 0


_WORK: tuple[Callable[[str], Any], list[str]] | None = None  # in a worker: (fn, paths)


def _start_worker(fn: Callable[[str], Any], paths: list[str]) -> None:
    """A new worker (forked: ``fn`` and ``paths`` are inherited, not pickled)."""
    from auditor import parallel

    global _WORK
    _WORK = (fn, paths)
    parallel.set_limit(1)
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))  # Ctrl-C reaches every process: the parent says it, once


def _run(i: int) -> Any:
    assert _WORK is not None
    fn, paths = _WORK
    return fn(paths[i])
