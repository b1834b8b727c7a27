"""The one place that turns a ``Report`` into files, stdout and an exit code, and the small
helpers around it (``--fail-on`` and ``--output`` checks, atomic writes, colour, the GC-free
batch context)."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from auditor.exceptions import UsageError
from auditor.model import Report

FAIL_ON = ("error", "warn", "info", "never")


@contextmanager
def batch_gc() -> Iterator[None]:
    """Runs a batch command (lint, baseline) without the cyclic garbage collector. A lint run
    makes millions of short-lived objects that reference counting frees; the collector kept
    rescanning the whole document tree for cycles that are not there (15% of the time on a
    3 MB spec). Restored afterwards: the tests run commands in-process."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_fail_on(fail_on: str) -> str:
    value = fail_on.lower()
    if value not in FAIL_ON:
        raise UsageError(f"invalid --fail-on {fail_on!r}", hint=f"use one of: {', '.join(FAIL_ON)}")
    return value


def parse_outputs(fmt: str | None, outputs: list[str] | None) -> tuple[str, Path | None, list[tuple[str, Path]]]:
    """(stdout format, file that replaces stdout or None, extra (format, file) pairs)."""
    from auditor.report import FORMATS

    stdout_fmt = (fmt or "console").lower()
    if stdout_fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint=f"available: {', '.join(FORMATS)}")
    main_file: Path | None = None
    extra: list[tuple[str, Path]] = []
    for item in outputs or []:
        name, sep, file = item.partition("=")
        if sep and name.lower() in FORMATS:
            extra.append((name.lower(), Path(file)))
        elif sep and "/" not in name and "." not in name:
            raise UsageError(f"unknown format {name!r} in --output {item!r}", hint=f"available: {', '.join(FORMATS)}")
        else:
            if main_file is not None:
                raise UsageError("--output FILE given twice", hint="use FORMAT=FILE to write several formats")
            main_file = Path(item)
    for _, path in ([("", main_file)] if main_file else []) + extra:
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise UsageError(f"cannot write {path}: folder {parent} does not exist", hint="create the folder first")
    return stdout_fmt, main_file, extra


def emit(report: Report, fmt: str | None, outputs: list[str] | None, fail_on: str, summary_only: bool = False) -> int:
    """Render and write every requested output, then return the exit code. ``summary_only``
    shortens the console on standard output (files keep every finding)."""
    from auditor.report import RenderOptions, render

    fail_on = check_fail_on(fail_on)
    stdout_fmt, main_file, extra = parse_outputs(fmt, outputs)
    color = main_file is None and stdout_fmt == "console" and use_color(sys.stdout)
    base_dir = os.getcwd()  # CI runs from the repository root: paths in CI formats are relative to it
    plain = RenderOptions(color=False, fail_on=fail_on, base_dir=base_dir)
    # render everything first: nothing is written if any renderer fails (no partial outputs)
    rendered = [(path, render(report, name, plain)) for name, path in extra]
    main_text = render(report, stdout_fmt, RenderOptions(color=color, fail_on=fail_on, base_dir=base_dir, summary_only=summary_only and main_file is None))
    for path, text in rendered:
        write_atomic(path, text)
    if main_file is not None:
        write_atomic(main_file, main_text)
    else:
        sys.stdout.write(main_text)
        sys.stdout.flush()
    say_errors(report)
    return report.exit_code(fail_on)


def say_error(message: str, hint: str) -> None:
    """An input or usage error, as every command prints one: a line, and the hint under it."""
    sys.stderr.write(f"auditor: error: {message}\n")
    if hint:
        sys.stderr.write(f"  hint: {hint}\n")


def say_errors(report: Report) -> None:
    """The documents of a run that could not be read (the run exits 2)."""
    for error in report.errors:
        say_error(f"{error.path}: {error.message}", error.hint)


def use_color(stream) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` then rename: readers never see half a report.
    A path that exists and is not a regular file (``/dev/null``, ``/dev/stdout``, a FIFO) is
    written in place: renaming over it would replace the device with a plain file."""
    try:
        special = path.exists() and not path.is_file()
    except OSError:
        special = False
    if special:
        with open(path, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as fh:
            fh.write(text)
        return
    import tempfile  # only when a file is written (2 ms on every run otherwise)

    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, _mode_for(path))  # mkstemp's 0600 would make every report private
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _mode_for(path: Path) -> int:
    """The mode ``path`` keeps when it exists, else what ``open()`` would give it (0666 less the
    umask), as a shell redirection would."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
