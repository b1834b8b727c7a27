"""The adapter to Schemathesis: the ONLY module in auditor that imports it (or Hypothesis).

It runs Schemathesis' engine in-process with an explicit configuration (never an auto-discovered
``schemathesis.toml``), keep-going mode, every phase, no example database, no cache, Hypothesis'
storage in a temporary folder (the working directory stays clean) and ``SCHEMATHESIS_HOOKS``
scrubbed, and turns its event stream into plain data: ``RawFailure``, ``RawError`` and progress
``Tick``s. Nothing here knows about findings; ``auditor.live.findings`` maps the data.

The engine is internal API in Schemathesis 4.x, so the version is pinned exactly and
``tests/test_live_engine_contract.py`` pins every event and recorder field read below.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
BODY_EXCERPT = 2000


@dataclass
class EngineSettings:
    """Everything the engine needs; built by ``auditor.live.run`` from the command's options."""

    spec_path: str | None  # a file (external $refs resolved beside it) ...
    spec_data: dict | None  # ... or the parsed document (stdin / URL specs)
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    selected: frozenset[tuple[str, str]] | None = None  # (METHOD, path); None = every operation
    max_examples: int = 20
    seed: int = 0
    max_time: float | None = None
    workers: int = 1
    request_timeout: float = 10.0
    phases: tuple[str, ...] = ALL_PHASES
    rate_limit: str | None = None
    tls_verify: bool = True
    read_only: bool = False  # coverage sends no undocumented unsafe methods (select safe operations too)
    # called with (operation label, exchange, generation mode or None) for every answered request
    on_exchange: Callable[[str, Exchange, str | None], None] | None = None


@dataclass
class Exchange:
    """One recorded request and its response (None when the request got no answer)."""

    method: str
    url: str
    headers: dict[str, str]
    body: str | None
    status: int | None = None
    response_headers: dict[str, str] | None = None
    response_body: str | None = None
    elapsed_ms: float | None = None


@dataclass
class RawFailure:
    """One distinct failure (Schemathesis' identity: check, class, operation, unique key)."""

    key: tuple
    check: str
    code: str
    title: str
    message: str
    operation: str  # "METHOD /path" label, as in the spec
    phase: str
    exchange: Exchange | None
    curl: str
    steps: list[str]
    count: int = 1


@dataclass
class RawError:
    """A request or an operation that could not be tested: timeout, connection error, other."""

    kind: str  # "timeout" | "connection" | "other"
    operation: str
    phase: str
    title: str
    message: str
    exchange: Exchange | None
    count: int = 1


@dataclass
class Tick:
    """Progress: sent at phase boundaries and after every scenario."""

    phase: str
    event: str  # "phase-started" | "phase-finished" | "scenario"
    operations_done: int
    operations_total: int
    requests: int
    failures: int
    status: str = ""


@dataclass
class EngineResult:
    failures: list[RawFailure]
    errors: list[RawError]
    operations_total: int
    operations_tested: int
    requests: int
    elapsed: float
    stop_reason: str
    seed: int
    phases: dict[str, str]  # phase -> status (success, failure, skip, error)


def run_engine(settings: EngineSettings, on_tick: Callable[[Tick], None] | None = None) -> EngineResult:
    """Run the engine to completion and return what it found. Raises ``EngineSetupError`` when the
    spec cannot be loaded by Schemathesis or nothing could be tested."""
    with _isolated(), _bounded_sessions():
        import schemathesis
        from schemathesis.engine import events, from_schema

        config = schemathesis.Config.from_dict(_config_dict(settings))
        schema: Any
        try:
            if settings.spec_path is not None:
                schema = schemathesis.openapi.from_path(settings.spec_path, config=config)
            else:
                schema = schemathesis.openapi.from_dict(settings.spec_data or {}, config=config)
        except Exception as exc:  # schemathesis raises its own loader errors
            raise EngineSetupError(f"Schemathesis could not load the document: {_one_line(exc)}") from exc
        if settings.selected is not None:
            wanted = settings.selected
            schema = schema.include(lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in wanted)
        collector = _Collector(on_tick, _operation_labels(schema))
        collector.on_exchange = settings.on_exchange
        stream = from_schema(schema).execute()
        try:
            for event in stream:
                if isinstance(event, events.PhaseStarted):
                    collector.phase_started(event.phase.name.value)
                elif isinstance(event, events.PhaseFinished):
                    collector.phase_finished(event.phase.name.value, event.status.value)
                elif isinstance(event, events.ScenarioFinished):
                    collector.scenario(event)
                elif isinstance(event, events.NonFatalError):
                    collector.error(event)
                elif isinstance(event, events.FatalError):
                    raise EngineSetupError(f"the fuzzing engine stopped: {_one_line(event.exception)}")
                elif isinstance(event, events.EngineFinished):
                    collector.finished(event)
        finally:
            stream.stop()
            stream.generator.close()
        return collector.result(settings.seed)


class EngineSetupError(Exception):
    """The engine could not start (bad document for Schemathesis, bad setting)."""


def _config_dict(s: EngineSettings) -> dict[str, Any]:
    phases: dict[str, dict[str, Any]] = {name: {"enabled": name in s.phases} for name in ALL_PHASES}
    out: dict[str, Any] = {
        "base-url": s.base_url,
        "seed": s.seed,
        "workers": s.workers,
        "continue-on-failure": True,
        "request-timeout": s.request_timeout,
        "tls-verify": s.tls_verify,
        "headers": dict(s.headers),
        "cache": {"enabled": False},
        "generation": {"max-examples": s.max_examples, "database": "none"},
        "phases": phases,
        # we mask secrets ourselves (auditor.live.secrets); Schemathesis' own filter hides
        # useful non-secret values such as Idempotency-Key
        "output": {"sanitization": {"enabled": False}},
    }
    if s.max_time is not None:
        out["max-time"] = s.max_time
    if s.rate_limit:
        out["rate-limit"] = s.rate_limit
    if s.read_only:
        phases["coverage"]["unexpected-methods"] = ["get", "options"]
    return out


@contextmanager
def _isolated() -> Iterator[None]:
    """Hypothesis storage in a temporary folder, no SCHEMATHESIS_HOOKS; both restored after."""
    import hypothesis.configuration as hc

    hooks = os.environ.pop("SCHEMATHESIS_HOOKS", None)
    previous = getattr(hc, "__hypothesis_home_directory", None)
    with tempfile.TemporaryDirectory(prefix="auditor-hypothesis-") as home:
        hc.set_hypothesis_home_dir(home)
        try:
            yield
        finally:
            hc.set_hypothesis_home_dir(previous)
            if hooks is not None:
                os.environ["SCHEMATHESIS_HOOKS"] = hooks


@contextmanager
def _bounded_sessions() -> Iterator[None]:
    """Every session the engine makes reads bodies through ``auditor.live.bounded`` (size cap,
    total deadline, no proxies from the environment). Redirects: Schemathesis follows them only
    within the same scheme, host and port (its ``SameHostRedirectsSession``), never elsewhere."""
    import schemathesis.engine.context as engine_context

    from auditor.live.bounded import bound

    original = engine_context.make_session

    def make_session(*args: Any, **kwargs: Any) -> Any:
        return bound(original(*args, **kwargs))

    engine_context.make_session = make_session
    try:
        yield
    finally:
        engine_context.make_session = original


def _operation_labels(schema: Any) -> set[str]:
    labels = set()
    for result in schema.get_all_operations():
        op = result.ok() if hasattr(result, "ok") else None
        if op is not None:
            labels.add(op.label)
    return labels


class _Collector:
    """Folds the event stream into distinct failures and errors, with counts and progress."""

    def __init__(self, on_tick: Callable[[Tick], None] | None, labels: set[str]) -> None:
        self.on_tick = on_tick
        self.labels = labels
        self.operations_total = len(labels)
        self.failures: dict[tuple, RawFailure] = {}
        self.errors: dict[tuple, RawError] = {}
        self.operations: set[str] = set()
        self.requests = 0
        self.phase = ""
        self.phases: dict[str, str] = {}
        self.elapsed = 0.0
        self.stop_reason = "completed"
        self.scenarios_seen = False
        self.on_exchange: Callable[[str, Exchange, str | None], None] | None = None

    def _tick(self, event: str, status: str = "") -> None:
        if self.on_tick is not None:
            self.on_tick(Tick(self.phase, event, len(self.operations), self.operations_total, self.requests, len(self.failures) + len(self.errors), status))

    def phase_started(self, name: str) -> None:
        self.phase = name
        if name in ALL_PHASES:
            self._tick("phase-started")

    def phase_finished(self, name: str, status: str) -> None:
        self.phase = name
        if name in ALL_PHASES:
            self.phases[name] = status
            self._tick("phase-finished", status)

    def scenario(self, event: Any) -> None:
        from schemathesis.engine import Status

        self.scenarios_seen = True
        rec = event.recorder
        phase = event.phase.value
        if event.status != Status.SKIP and rec.label in self.labels:
            self.operations.add(rec.label)
        self.requests += sum(1 for i in rec.interactions.values() if i.response is not None)
        if self.on_exchange is not None:
            _report_exchanges(rec, self.on_exchange)
        for parent_id, nodes in rec.checks.items():
            for node in nodes:
                if node.status != Status.FAILURE or node.failure_info is None:
                    continue
                failure = node.failure_info.failure
                key = (node.name, type(failure).__name__, failure.operation, failure._unique_key)
                seen = self.failures.get(key)
                if seen is not None:
                    seen.count += 1
                    continue
                inter = rec.interactions.get(failure.case_id or parent_id)
                self.failures[key] = RawFailure(
                    key=key,
                    check=node.name,
                    code=failure.code,
                    title=failure.title,
                    message=failure.message,
                    operation=failure.operation or rec.label,
                    phase=phase,
                    exchange=_exchange(inter.request, inter.response) if inter is not None else None,
                    curl=node.failure_info.code_sample,
                    steps=[step.curl for step in node.failure_info.steps],
                )
        self._tick("scenario")

    def error(self, event: Any) -> None:
        import requests

        value = event.value
        if isinstance(value, requests.Timeout):
            kind = "timeout"
        elif isinstance(value, requests.ConnectionError):
            kind = "connection"
        else:
            kind = "other"
        if type(value).__name__ == "NoLinksFound":  # --include left no links: stateful skipped, not broken
            return
        phase = event.phase.value if event.phase is not None else ""
        title, message = event.info.title, event.info.message
        if type(value).__name__ == "ServerUnavailable":  # the engine's outage monitor stopped the run
            kind, title = "connection", "Service went away"
            message = (
                f"the service stopped accepting connections during the {phase} phase after {self.requests} answered "
                f"requests; the run stopped there, findings up to that point are kept\n\n{message}"
            )
        elif kind == "connection" and (reason := _network_reason(value)):
            message = f"{_one_line(message)} ({reason})\n\n{message}"
        key = (kind, event.label, title, _one_line(message))
        seen = self.errors.get(key)
        if seen is not None:
            seen.count += 1
            return
        request = getattr(value, "request", None)
        exchange = _exchange(request, None) if request is not None else None
        self.errors[key] = RawError(kind, event.label, phase, title, message, exchange)
        self._tick("scenario")

    def finished(self, event: Any) -> None:
        self.elapsed = event.running_time
        self.stop_reason = event.stop_reason.value if hasattr(event.stop_reason, "value") else str(event.stop_reason)
        for failure in event.failures:  # after_run checks: no request of their own
            key = ("after_run", type(failure).__name__, failure.operation, failure._unique_key)
            self.failures.setdefault(
                key, RawFailure(key, "after_run", failure.code, failure.title, failure.message, failure.operation or "", "after_run", None, "", [])
            )

    def result(self, seed: int) -> EngineResult:
        return EngineResult(
            failures=list(self.failures.values()),
            errors=list(self.errors.values()),
            operations_total=self.operations_total,
            operations_tested=len(self.operations),
            requests=self.requests,
            elapsed=self.elapsed,
            stop_reason=self.stop_reason,
            seed=seed,
            phases=self.phases,
        )


def _report_exchanges(rec: Any, on_exchange: Callable[[str, Exchange, str | None], None]) -> None:
    """Every answered request of a scenario, with its operation and generation mode."""
    for case_id, inter in rec.interactions.items():
        if inter.response is None:
            continue
        node = rec.cases.get(case_id)
        case = node.value if node is not None else None
        label = case.operation.label if case is not None else rec.label
        meta = getattr(case, "meta", None)
        mode = meta.generation.mode.value if meta is not None else None
        on_exchange(label, _exchange(inter.request, inter.response), mode)


def _exchange(request: Any, response: Any) -> Exchange:
    """From a recorded ``schemathesis`` Request (or a ``requests.PreparedRequest``) and Response."""
    headers = {k: (v[0] if isinstance(v, list) and v else str(v)) for k, v in dict(request.headers or {}).items()}
    uri = getattr(request, "uri", None) or getattr(request, "url", None) or ""
    out = Exchange(request.method, uri, headers, _excerpt(request.body))
    if response is not None:
        out.status = response.status_code
        out.response_headers = {k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in response.headers.items()}
        out.response_body = _excerpt(response.content)
        out.elapsed_ms = round(response.elapsed * 1000, 1)
    return out


def _excerpt(body: Any) -> str | None:
    if body is None:
        return None
    if isinstance(body, (bytes, bytearray)):
        text = bytes(body[: BODY_EXCERPT * 4]).decode("utf-8", errors="backslashreplace")
    else:
        text = str(body)
    if not text:
        return None
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # no lone surrogates
    return text if len(text) <= BODY_EXCERPT else text[:BODY_EXCERPT] + "…"


def _network_reason(exc: BaseException) -> str | None:
    """What happened on the wire, from the exception chain of a ``requests`` connection error."""
    seen: set[int] = set()
    pending: list[Any] = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionResetError):
            return "the service reset the connection"
        if isinstance(current, ConnectionRefusedError):
            return "the service refused the connection"
        if type(current).__name__ == "RemoteDisconnected":
            return "the service closed the connection without an answer"
        if type(current).__name__ == "IncompleteRead":
            return "the service closed the connection in the middle of the body"
        pending.extend((current.__cause__, current.__context__, getattr(current, "reason", None), *current.args))
    return None


def _one_line(value: Any) -> str:
    text = str(value).strip().splitlines()
    return text[0] if text else type(value).__name__
