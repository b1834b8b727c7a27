"""Options shared by every command (format, output, fail-on, config) and the one place that
turns a ``Report`` into files, stdout and an exit code."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from auditor.errors import UsageError
from auditor.model import Report, Severity

FormatOpt = Annotated[
    Optional[str],
    typer.Option("--format", "-f", help="Output format for stdout: console, json, sarif, junit, github, gitlab, markdown. Default: console."),
]
OutputOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--output",
        "-o",
        help="Write the report to FILE instead of stdout, or FORMAT=FILE to also write that format (repeatable). Files are written atomically.",
    ),
]
FailOnOpt = Annotated[
    str,
    typer.Option("--fail-on", help="Exit 1 when a finding is at or above: error, warn, info, never."),
]
ConfigOpt = Annotated[Optional[str], typer.Option("--config", help="Project config file (default: auditor.yaml found upward).")]
PackOpt = Annotated[Optional[str], typer.Option("--pack", help="Policy pack: minimal, recommended, strict, or a pack file.")]
BaselineOpt = Annotated[
    Optional[str],
    typer.Option("--baseline", help="Hide the findings recorded in this baseline file (made by `auditor baseline`); entries that match nothing are reported as stale."),
]
SpecsArg = Annotated[list[str], typer.Argument(help="OpenAPI documents: file paths, '-' for stdin, or http(s):// URLs.")]
AllowRemoteRefsOpt = Annotated[bool, typer.Option("--allow-remote-refs", help="Follow http(s) $refs.")]
RefRootOpt = Annotated[Optional[str], typer.Option("--ref-root", help="Folder that file $refs may point into (default: the document's folder).")]
MaxSizeOpt = Annotated[int, typer.Option("--max-size", help="Largest document accepted, in MiB.")]
RuleOpt = Annotated[Optional[list[str]], typer.Option("--rule", help="Run only this rule (repeatable).")]

# live options, shared by `fuzz` and `audit` (same names, same meaning)
SpecArg = Annotated[str, typer.Argument(help="The OpenAPI document the service must follow: file path, '-' or http(s):// URL.")]
_BASE_URL = typer.Option("--base-url", help="Root URL of the running service, e.g. http://127.0.0.1:8080.")
BaseUrlOpt = Annotated[str, _BASE_URL]
OptionalBaseUrlOpt = Annotated[Optional[str], _BASE_URL]
MaxExamplesOpt = Annotated[int, typer.Option("--max-examples", "-n", help="Generated examples per operation and phase.")]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Seed: the same seed sends the same requests (with --workers 1). Default: random, printed in the summary.")]
MaxTimeOpt = Annotated[Optional[float], typer.Option("--max-time", help="Time budget for the whole run, in seconds (the fuzzer may use all of it).")]
WorkersOpt = Annotated[int, typer.Option("--workers", help="Concurrent workers.")]
RequestTimeoutOpt = Annotated[float, typer.Option("--request-timeout", help="Seconds to wait for each response; a slower one is a reliability/timeout finding.")]
HeaderOpt = Annotated[Optional[list[str]], typer.Option("--header", "-H", help="'Name: value' sent with every request (repeatable); ${VAR} is read from the environment. Secrets are masked in every output.")]
IncludeOpt = Annotated[Optional[list[str]], typer.Option("--include", help="Test only matching operations (repeatable): METHOD, /path-glob, 'METHOD /path-glob', tag:NAME, id:operationId.")]
ExcludeOpt = Annotated[Optional[list[str]], typer.Option("--exclude", help="Skip matching operations (repeatable); same syntax as --include.")]
PhasesOpt = Annotated[Optional[str], typer.Option("--phases", help="Comma-separated phases: examples, coverage, fuzzing, stateful (default: all).")]
RateLimitOpt = Annotated[Optional[str], typer.Option("--rate-limit", help="Most requests sent per second/minute/hour, e.g. 100/s.")]
TlsVerifyOpt = Annotated[bool, typer.Option("--tls-verify/--no-tls-verify", help="Verify the service's TLS certificate.")]


def fuzz_options(base_url, max_examples, seed, max_time, workers, request_timeout, header, include, exclude, phases,
                 rate_limit, tls_verify, config, pack):
    """The ``FuzzOptions`` for the live options above (one place for `fuzz` and `audit`)."""
    from auditor.live.run import FuzzOptions

    return FuzzOptions(
        base_url=base_url, max_examples=max_examples, seed=seed, max_time=max_time, workers=workers,
        request_timeout=request_timeout, headers=header or [], include=include or [], exclude=exclude or [],
        phases=[phases] if phases else None, rate_limit=rate_limit, tls_verify=tls_verify,
        config_file=config, pack=pack,
    )

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


def exit_code(report: Report, fail_on: str) -> int:
    if fail_on == "never":
        return 0
    threshold = Severity.parse(fail_on).rank
    return 1 if any(f.severity.rank >= threshold for f in report.findings) else 0


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


def emit(report: Report, fmt: str | None, outputs: list[str] | None, fail_on: str) -> int:
    """Render and write every requested output, then return the exit code."""
    from auditor.report import RenderOptions, render

    fail_on = check_fail_on(fail_on)
    stdout_fmt, main_file, extra = parse_outputs(fmt, outputs)
    color = main_file is None and stdout_fmt == "console" and use_color(sys.stdout)
    base_dir = os.getcwd()  # CI runs from the repository root: paths in CI formats are relative to it
    plain = RenderOptions(color=False, fail_on=fail_on, base_dir=base_dir)
    # render everything first: nothing is written if any renderer fails (no partial outputs)
    rendered = [(path, render(report, name, plain)) for name, path in extra]
    main_text = render(report, stdout_fmt, RenderOptions(color=color, fail_on=fail_on, base_dir=base_dir))
    for path, text in rendered:
        write_atomic(path, text)
    if main_file is not None:
        write_atomic(main_file, main_text)
    else:
        sys.stdout.write(main_text)
        sys.stdout.flush()
    return exit_code(report, fail_on)


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
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
