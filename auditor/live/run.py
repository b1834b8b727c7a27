"""``fuzz()``: the library function behind ``auditor fuzz``. Loads the spec, checks the options
and that the service is reachable, runs the engine adapter and returns a ``Report`` (command
``fuzz``) whose findings are ``source: live`` and whose ``stats`` hold the run's figures."""

from __future__ import annotations

import os
import random
import re
import socket
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from auditor import __version__
from auditor.exceptions import InputError, UsageError
from auditor.live.schemathesis_adapter import ALL_PHASES, Tick
from auditor.live.secrets import Masker, parse_headers
from auditor.live.select import Shard, select
from auditor.model import Report

if TYPE_CHECKING:
    from auditor.api import LintOptions
    from auditor.document.document import Document
    from auditor.live.schemathesis_adapter import FuzzSession

RATE = re.compile(r"^\d+/(s|m|h)$")


@dataclass
class FuzzOptions:
    base_url: str
    max_examples: int = 25
    seed: int | None = None  # None: a random seed, reported in stats
    max_time: float | None = None
    workers: int = 1
    request_timeout: float = 10.0
    headers: list[str] = field(default_factory=list)  # "Name: value", ${VAR} from the environment
    auth: str | None = None  # "USER:PASS" for HTTP Basic, ${VAR} from the environment
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    shard: Shard | None = None  # --shard I/N: only this share of the selected operations
    phases: list[str] | None = None
    rate_limit: str | None = None
    tls_verify: bool = True
    read_only: bool = False  # only safe methods are sent (the caller excludes unsafe operations)
    max_repeats: int | None = 3  # answers in a row that only repeat known failures end an operation's phase
    config_file: str | None = None
    pack: str | None = None
    cwd: Path | None = None
    environ: Mapping[str, str] | None = None
    lint_options: LintOptions | None = None  # the ref policy and size cap, given by `audit`
    document: Document | None = None  # the document already loaded by `audit` (stdin and URLs are read once)


@dataclass
class Fuzzed:
    """A finished fuzz run whose engine session is still open (for the audit's own requests)."""

    report: Report
    session: FuzzSession | None  # None: no operation fell to this shard, nothing was sent
    document: Document
    headers: dict[str, str]
    masker: Masker
    selected: frozenset[tuple[str, str]] | None


def fuzz(spec_path: str, options: FuzzOptions, on_tick: Callable[[Tick], None] | None = None) -> Report:
    """Fuzz the service at ``options.base_url`` against the contract in ``spec_path``."""
    with fuzz_session(spec_path, options, on_tick) as fuzzed:
        return fuzzed.report


@contextmanager
def fuzz_session(spec_path: str, options: FuzzOptions, on_tick: Callable[[Tick], None] | None = None, on_exchange: Callable | None = None) -> Iterator[Fuzzed]:
    """Fuzz, then keep the engine's session open until the caller is done with it."""
    from auditor.api import LintOptions, checked_rules, document_info, load_document, load_effective_config
    from auditor.live.findings import to_findings
    from auditor.rules import load_builtin_rules

    lint_options = options.lint_options or LintOptions(config_file=options.config_file, pack=options.pack, cwd=options.cwd)
    config = load_effective_config(lint_options)
    phases = _check(options)
    headers, masker = parse_headers(options.headers, options.environ if options.environ is not None else os.environ, options.auth)
    document = options.document or load_document(spec_path, lint_options)
    selected = select(document, options.include, options.exclude, options.shard)
    shard = {"shard": str(options.shard)} if options.shard else {}
    if selected is not None and not selected:  # a shard that no operation falls to: nothing to send
        stats = {**shard, "operations_total": 0, "operations_tested": 0, "requests": 0, "stop_reason": "no operation in this shard"}
        yield Fuzzed(
            Report(command="fuzz", documents=(document_info(document),), stats=stats, tool_version=__version__), None, document, headers, masker, selected
        )
        return
    base_url = options.base_url.rstrip("/")
    check_reachable(base_url, min(options.request_timeout, 5.0))
    seed = options.seed if options.seed is not None else random.randrange(2**32)

    from auditor.live.schemathesis_adapter import EngineSettings, EngineSetupError, FuzzSession

    is_file = spec_path != "-" and Path(spec_path).is_file()
    settings = EngineSettings(
        spec_path=str(Path(spec_path).resolve()) if is_file else None,
        spec_data=None if is_file else document.data,
        base_url=base_url,
        headers=headers,
        selected=selected,
        max_examples=options.max_examples,
        seed=seed,
        max_time=options.max_time,
        workers=options.workers,
        request_timeout=options.request_timeout,
        phases=phases,
        rate_limit=options.rate_limit,
        tls_verify=options.tls_verify,
        read_only=options.read_only,
        saturation=options.max_repeats,
        on_exchange=on_exchange,
    )
    started = time.monotonic()
    try:
        session = FuzzSession(settings).__enter__()
    except EngineSetupError as exc:
        raise InputError(str(exc), where=spec_path, hint="run `auditor lint` on the document first") from None
    try:
        try:
            result = session.run(on_tick)
        except EngineSetupError as exc:
            raise InputError(str(exc), where=spec_path, hint="run `auditor lint` on the document first") from None
        wall = time.monotonic() - started
        if result.operations_tested == 0 and not result.failures and not result.errors:
            raise InputError(
                "nothing was tested: no operation produced a request",
                where=spec_path,
                hint="check that the document has operations, that --include/--exclude keep some, and that --phases "
                "can build requests (the examples phase needs examples in the document)",
            )
        findings = to_findings(result, document, config, load_builtin_rules(), masker)
        by_rule = Counter(f.rule for f in findings)
        stats = {
            **shard,
            "base_url": masker.text(base_url),
            "seed": seed,
            "operations_total": result.operations_total,
            "operations_tested": result.operations_tested,
            "requests": result.requests,
            "elapsed_s": round(wall, 2),
            "requests_per_second": round(result.requests / wall, 1) if wall > 0 else 0.0,
            "stop_reason": result.stop_reason,
            "phases": result.phases,
            "requests_by_phase": result.requests_by_phase,
            "repeats_by_phase": result.repeats_by_phase,
            "requests_by_operation": result.requests_by_operation,
            "cut_short": result.cut_short,
            "slowest_scenarios": [{"scenario": name, "seconds": round(sec, 2)} for name, sec in result.slowest],
            "saturated": result.saturated,
            "replayed": result.replayed,
            "max_repeats": options.max_repeats or 0,
            "findings_by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
        }
        report = Report(
            command="fuzz",
            documents=(document_info(document),),
            findings=tuple(findings),
            stats=stats,
            tool_version=__version__,
            checked=checked_rules(config, None, ("fuzz",)),
        )
        yield Fuzzed(report, session, document, headers, masker, selected)
    finally:
        session.__exit__(None, None, None)


def _check(o: FuzzOptions) -> tuple[str, ...]:
    url = urllib.parse.urlsplit(o.base_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise UsageError(f"invalid --base-url {o.base_url!r}", hint="give the service's root URL, e.g. http://127.0.0.1:8080")
    if o.max_examples < 1:
        raise UsageError("--max-examples must be at least 1", hint="e.g. --max-examples 25")
    if not 1 <= o.workers <= 64:
        raise UsageError("--workers must be from 1 to 64", hint="1 keeps a seeded run reproducible")
    if o.request_timeout <= 0:
        raise UsageError("--request-timeout must be positive (seconds)", hint="e.g. --request-timeout 10")
    if o.max_time is not None and o.max_time <= 0:
        raise UsageError("--max-time must be positive (seconds)", hint="e.g. --max-time 60")
    if o.rate_limit is not None and not RATE.match(o.rate_limit):
        raise UsageError(f"invalid --rate-limit {o.rate_limit!r}", hint="use N/s, N/m or N/h, e.g. 100/s")
    if o.seed is not None and o.seed < 0:
        raise UsageError("--seed must be a non-negative integer", hint="e.g. --seed 1")
    phases = tuple(p.strip().lower() for item in (o.phases or ALL_PHASES) for p in item.split(",") if p.strip())
    unknown = [p for p in phases if p not in ALL_PHASES]
    if unknown or not phases:
        raise UsageError(f"unknown phase(s): {', '.join(unknown) or '(none given)'}", hint=f"phases are {', '.join(ALL_PHASES)}")
    return phases


def check_reachable(base_url: str, timeout: float) -> None:
    """An input error (exit 2) when nothing listens at the base URL: better than hundreds of
    connection-error findings."""
    url = urllib.parse.urlsplit(base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"cannot reach the service at {base_url}: {reason}", hint="start the service, or check --base-url") from None
