"""The adapter to Schemathesis: the ONLY module in auditor that imports it (or Hypothesis).

It runs Schemathesis' engine in-process with an explicit configuration (never an auto-discovered
``schemathesis.toml``), in two passes (the Schemathesis CLI's own run, then keep-going; see
``FuzzSession``), every phase, no example database, no cache, Hypothesis' storage in a
temporary folder (the working directory stays clean) and ``SCHEMATHESIS_HOOKS`` scrubbed, and
turns its event stream into plain data: ``RawFailure``, ``RawError`` and progress ``Tick``s.
Nothing here knows about findings; ``auditor.live.findings`` maps the data.

The engine is internal API in Schemathesis 4.x, so the version is pinned exactly and
``tests/test_live_engine_contract.py`` pins every event and recorder field read below.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from auditor.live.model import Exchange, excerpt
from auditor.live.prober import Built

ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
UNIT_PHASES = ALL_PHASES[:3]
ELASTIC = ("fuzzing", "stateful")  # the phases the engine repeats to fill a time budget
KEEP_GOING = "keep-going"  # the second pass: the unit-phase scenarios the first stopped at a failure, run on past it


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
    # stop an operation's examples/coverage/fuzzing scenario after this many answers in a row
    # that only repeated failures already known (None: never)
    saturation: int | None = None
    # called with (operation label, exchange, generation mode or None) for every answered request
    on_exchange: Callable[[str, Exchange, str | None], None] | None = None


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
    # where the requests went: answered requests per phase and per operation, and how many of
    # them only repeated a failure already known (same check, operation and failure identity)
    requests_by_phase: dict[str, int] = field(default_factory=dict)
    requests_by_operation: dict[str, int] = field(default_factory=dict)
    repeats_by_phase: dict[str, int] = field(default_factory=dict)
    cut_short: list[str] = field(default_factory=list)  # "PHASE METHOD /path": scenarios the time budget ended
    slowest: list[tuple[str, float]] = field(default_factory=list)  # ("PHASE METHOD /path", seconds), the ten longest
    saturated: list[str] = field(default_factory=list)  # "PHASE METHOD /path": stopped after only repeating known failures
    replayed: int = 0  # keep-going cases answered with the first pass's answer to the same request (not sent again)


class FuzzSession:
    """One live run's Schemathesis schema, loaded once: ``run()`` fuzzes the service,
    ``positive_requests()`` draws valid requests for the audit's own probes. A context manager:
    Hypothesis' storage and the bounded sessions stay in place until it closes.

    ``run()`` makes two passes. The first is what the Schemathesis CLI runs with the same seed:
    every phase, each scenario stopped at its first failure. So every failure the CLI finds is
    found, on a service in the state the CLI's own requests leave it in (a failure that needs an id
    an earlier answer created, or a stateful walk, depends on that state). The second keeps going:
    the unit-phase scenarios the first stopped at a failure run again past it, in what is left of
    the budget, until ``--max-repeats`` answers in a row bring nothing new. Its requests are
    counted as the ``keep-going`` phase; a request the first pass already sent in the same scenario is
    not sent again (``_Replay``). The stateful phase runs once, in the first pass."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.schema: Any = None
        self._stack = ExitStack()

    def __enter__(self) -> FuzzSession:
        self._stack.enter_context(_isolated())
        self._stack.enter_context(_no_local_constants())
        self.slices = _SliceWatch()
        self.replay = _Replay(self.slices)
        self._stack.enter_context(_bounded_sessions(self.replay))
        self.saturation = _Saturation(self.settings.saturation) if self.settings.saturation else None
        if self.saturation is not None:
            self._stack.enter_context(self.saturation.installed())
        self._stack.enter_context(self.slices.installed())
        try:
            self.schema = self._load(_config_dict(self.settings, keep_going=False))
        except EngineSetupError:
            self._stack.close()
            raise
        return self

    def _load(self, config: dict[str, Any]) -> Any:
        """The document as a Schemathesis schema with ``config``, the selected operations only."""
        import schemathesis

        schema: Any
        engine_config = schemathesis.Config.from_dict(config)
        try:
            if self.settings.spec_path is not None:
                schema = schemathesis.openapi.from_path(self.settings.spec_path, config=engine_config)
            else:
                schema = schemathesis.openapi.from_dict(self.settings.spec_data or {}, config=engine_config)
        except Exception as exc:  # schemathesis raises its own loader errors
            raise EngineSetupError(f"Schemathesis could not load the document: {_one_line(exc)}") from exc
        wanted = self.settings.selected
        if wanted is not None:
            schema = schema.include(lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in wanted)
        return schema

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()

    def run(self, on_tick: Callable[[Tick], None] | None = None) -> EngineResult:
        """Run the engine's two passes to completion and return what they found."""
        collector = _Collector(on_tick, _operation_labels(self.schema), self.slices)
        collector.replay = self.replay
        collector.on_exchange = self.settings.on_exchange
        collector.saturation = self.saturation
        collector.enabled = self.settings.phases
        self._drive(self.schema, collector)
        again = collector.stopped_at_failure
        if not again or collector.stop_reason != "completed":
            return collector.result(self.settings.seed)
        left = None if self.settings.max_time is None else self.settings.max_time - collector.elapsed
        collector.second_pass(again)
        if left is not None and left < 1:
            collector.stop_reason = "max_time"  # nothing left for the second pass: all of it is cut short
            return collector.result(self.settings.seed)
        labels = {label for _, label in again}
        schema = self._load(_config_dict(self.settings, keep_going=True, max_time=None if left is None else math.floor(left)))
        schema = schema.include(lambda ctx: ctx.operation.label in labels)
        if self.saturation is not None:
            self.saturation.start_keeping_going(set(collector.failures))
        with self.slices.only(again), self.replay.serving():
            self._drive(schema, collector)
        return collector.result(self.settings.seed)

    def _drive(self, schema: Any, collector: _Collector) -> None:
        """One engine run over ``schema``, its events folded into ``collector``."""
        from schemathesis.engine import events, from_schema

        stream = from_schema(schema).execute()
        try:
            for event in stream:
                if isinstance(event, events.PhaseStarted):
                    name = event.phase.name.value
                    if name in ELASTIC and name in collector.started:
                        # with a time budget the engine repeats fuzzing and stateful until it is
                        # spent; auditor's budget is a ceiling: every phase once, then stop
                        collector.one_cycle = True
                        stream.stop()
                        continue
                    collector.phase_started(name)
                elif isinstance(event, events.PhaseFinished):
                    if not collector.one_cycle:  # not the repeat that was stopped
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

    def positive_requests(self, label: str, count: int) -> list[Built]:
        """Up to ``count`` valid requests for the operation ``label`` ("METHOD /path"), generated
        the way the fuzzer's positive phase does (patterns, formats, lengths honoured), seeded by
        the run's seed; the run's headers (credentials) win over generated ones."""
        from hypothesis import HealthCheck, Phase, given, seed, settings
        from schemathesis.generation import GenerationMode

        operation = next((op for result in self.schema.get_all_operations() if (op := _ok(result)) is not None and op.label == label), None)
        if operation is None or count < 1:
            return []
        cases: list[Any] = []

        @seed(self.settings.seed)
        @settings(max_examples=count, database=None, phases=[Phase.generate], deadline=None, suppress_health_check=list(HealthCheck))
        @given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def collect(case: Any) -> None:
            cases.append(case)

        try:
            collect()
        except Exception:  # noqa: BLE001 - a schema Hypothesis cannot satisfy: no generated requests
            return []
        return [_built(case, self.settings) for case in cases[:count]]


class _Saturation:
    """Spends the keep-going pass's requests on new information. Once an operation's scenario
    in a unit phase (examples, coverage, fuzzing) has failed, every later answer is weighed: one
    that fails in a way not seen before (check, failure class, operation and identity, from any
    phase and pass) is news; once ``limit`` error answers (4xx/5xx) in a row after a failure
    brought none, the scenario's time slice is ended, and the engine stops it as it stops an
    operation whose share of the budget is spent, keeping what it found. In the first pass it
    only learns (the engine stops each scenario at its first failure there, as the CLI does). A
    success neither counts nor resets: inputs the service accepts reach its
    own code (a crash on a long name hides behind a schema drift on every 201), while a wall of
    refusals (an auth error, a 501, the same 422 for every variant) says nothing new. A 401
    without news ends the scenario at once: the service refused the caller before it read the
    input, so no other input gets further (a service that lost the run's credentials answers
    every case so). The stateful phase is left alone."""

    def __init__(self, limit: int) -> None:
        import threading

        self.limit = limit
        self.active = False  # the first pass only learns the failures
        self.known: set[tuple] = set()
        # id(recorder) -> its scenario's streak, from its first failure until the scenario is
        # finished; the entry holds the recorder, so that no later scenario's recorder can get
        # the same id (and inherit the streak) while it is kept
        self.streaks: dict[int, _Streak] = {}
        self.lock = threading.Lock()

    @contextmanager
    def installed(self) -> Iterator[None]:
        import schemathesis.engine.run.unit._case as unit_case

        original = unit_case.validate_case

        def validate_case(ctx: Any, recorder: Any, **kwargs: Any) -> None:
            try:
                original(ctx, recorder, **kwargs)
            finally:
                self.after(ctx, recorder, kwargs["case"].id, kwargs["response"].status_code)

        unit_case.validate_case = validate_case
        try:
            yield
        finally:
            unit_case.validate_case = original

    def start_keeping_going(self, known: set[tuple]) -> None:
        """The second pass begins: it weighs answers against every failure the first found."""
        with self.lock:
            self.known |= known
            self.active = True

    def after(self, ctx: Any, recorder: Any, case_id: str, status: int = 500) -> None:
        from schemathesis.engine import Status

        keys = {_failure_key(node) for node in recorder.checks.get(case_id) or () if node.status == Status.FAILURE and node.failure_info is not None}
        with self.lock:
            news = bool(keys - self.known)
            self.known |= keys
            if not self.active:
                return
            streak = self.streaks.get(id(recorder))
            if streak is None:
                if not keys:
                    return  # no failure in this scenario yet: it runs on
                streak = self.streaks[id(recorder)] = _Streak(recorder)  # its first failure: the count starts
            if news:
                streak.count = 0
                return
            if status < 400:
                return  # a success explores the service's own code: it neither counts nor excuses
            streak.count = self.limit if status == 401 else streak.count + 1
            if streak.count < self.limit:
                return
            streak.stopped = True
        ctx._thread_local.slice_deadline = 0.0  # the engine ends the scenario before its next case

    def finished(self, recorder: Any) -> bool:
        """Forget a finished scenario; whether it was stopped for bringing nothing new."""
        with self.lock:
            streak = self.streaks.pop(id(recorder), None)
        return streak is not None and streak.stopped


@dataclass
class _Streak:
    """One scenario's answers without news since its first failure."""

    recorder: Any  # kept alive until the scenario is finished: its id is the key
    count: int = 0
    stopped: bool = False


class _SliceWatch:
    """Sizes each operation's share of a phase's time, and says which scenarios the budget ended.

    With a time budget the engine splits what is left of a phase evenly over the operations still
    to run and ends a scenario whose share is spent. Even shares assume every operation costs the
    same: on a service where most scenarios take a tenth of their share, the few that need ten
    times it are cut although the run ends far under budget (more so on a loaded CI machine). So
    a share becomes work-conserving: an operation may use what the phase has left minus what the
    operations after it typically need (the median of the scenarios finished in this phase), and
    never less than the engine's even share. A slow operation still cannot starve the others:
    each later one keeps at least the typical time, or its even share when that is larger.

    The engine reports a cut only when not one request went out, so a scenario cut after its first
    cases would pass for a complete one. The watch marks every scenario whose share ran out or
    that was still running when the whole budget ran out (a saturation stop is not a budget cut),
    and times them all."""

    def __init__(self) -> None:
        import threading

        self.cut: list[tuple[str, str]] = []  # (phase, "METHOD /path"), in the order the scenarios ended; "keep-going PHASE" in the second pass
        self.seconds: dict[tuple[str, str], float] = {}  # every scenario run: (phase, "METHOD /path") -> seconds, summed over passes
        self.finished: dict[str, list[float]] = {}  # phase -> seconds of each scenario the budget did not cut
        self.wanted: set[tuple[str, str]] | None = None  # (phase, "METHOD /path") to run; None: all
        self.ran: set[tuple[str, str]] = set()  # the wanted scenarios that started
        self.local = threading.local()
        self.lock = threading.Lock()

    @contextmanager
    def only(self, wanted: set[tuple[str, str]]) -> Iterator[None]:
        """Run only the ``wanted`` scenarios: an operation's other phases are passed over."""
        self.wanted, self.ran = wanted, set()
        try:
            yield
        finally:
            self.wanted = None

    @contextmanager
    def installed(self) -> Iterator[None]:
        import time

        import schemathesis.engine.run.unit as unit
        from schemathesis.engine.context import EngineContext

        run_operation, take_slice = unit._run_operation, EngineContext.take_operation_slice
        expired: Any = EngineContext.__dict__["is_operation_slice_expired"]  # the property itself
        watch = self

        def watched_run(operation: Any, **kwargs: Any) -> None:
            watch.local.hit = False
            watch.local.phase = phase = kwargs["phase"].value
            if watch.wanted is not None:
                if (phase, operation.label) not in watch.wanted:
                    kwargs["ctx"].take_operation_slice()  # counted as dispatched: the others' shares stay right
                    return
                with watch.lock:
                    watch.ran.add((phase, operation.label))
            watch.local.scenario = (phase, operation.label)
            started = time.monotonic()
            try:
                run_operation(operation, **kwargs)
            finally:
                watch.local.scenario = None
                key, seconds = (phase, operation.label), time.monotonic() - started
                with watch.lock:
                    watch.seconds[key] = watch.seconds.get(key, 0.0) + seconds
                    if not (watch.local.hit or kwargs["ctx"].has_reached_time_limit):
                        watch.finished.setdefault(phase, []).append(seconds)
                    elif (cut := (phase if watch.wanted is None else f"{KEEP_GOING} {phase}", operation.label)) not in watch.cut:
                        watch.cut.append(cut)

        def sized_slice(ctx: Any) -> None:
            take_slice(ctx)  # the engine's even share (it also counts the operation as dispatched)
            even = ctx._thread_local.slice_deadline
            with watch.lock:
                done = sorted(watch.finished.get(getattr(watch.local, "phase", ""), ()))
            if even is None or not done:
                return
            typical = done[len(done) // 2]
            phase_end = ctx.control.deadline - ctx._reserved_time
            others = max(ctx._slice_budget._remaining_operations, 0)
            ctx._thread_local.slice_deadline = max(even, phase_end - others * typical)

        def watched_expired(ctx: Any) -> bool:
            value = bool(expired.fget(ctx))
            if value and getattr(ctx._thread_local, "slice_deadline", None) != 0.0:  # 0.0: a saturation stop
                watch.local.hit = True
            return value

        unit._run_operation = watched_run
        setattr(EngineContext, "is_operation_slice_expired", property(watched_expired))  # noqa: B010 - a property, not a method
        setattr(EngineContext, "take_operation_slice", sized_slice)  # noqa: B010
        try:
            yield
        finally:
            unit._run_operation = run_operation
            setattr(EngineContext, "take_operation_slice", take_slice)  # noqa: B010
            setattr(EngineContext, "is_operation_slice_expired", expired)  # noqa: B010


class _Replay:
    """The keep-going pass sends no request the first pass already sent in the same scenario (unit
    phase and operation): the first pass's answer to it is given again, and the engine checks it
    as before. So a scenario run again past its first failure pays only for the cases after it
    (the engine draws the same cases from the same seed; ids drawn from earlier answers may
    differ, and those are sent). A request is the same when its method, URL, headers (but
    Schemathesis' per-case id) and body are; a multipart body, whose boundary is random, never is.
    Replayed cases are not counted as requests, nor passed on as observed answers. Memory is
    bounded: only the answers of scenarios that failed are kept past their end, none over
    ``KEEP_MOST`` bytes, and at most ``KEEP_TOTAL`` bytes in all (past that, requests are sent)."""

    KEEP_MOST = 256 * 1024
    KEEP_TOTAL = 64 * 1024 * 1024

    def __init__(self, watch: _SliceWatch) -> None:
        import threading

        self.watch = watch
        self.answers: dict[tuple[str, str], dict[tuple, Any]] = {}  # scenario -> request key -> the first pass's requests.Response
        self.kept = 0  # bytes of body kept
        self.replayed: set[str] = set()  # ids of the cases answered from the first pass
        self.active = False
        self.lock = threading.Lock()

    def forget(self, scenario: tuple[str, str]) -> None:
        """A first-pass scenario that will not run again: its answers are not needed."""
        with self.lock:
            self.kept -= sum(len(r.content) for r in self.answers.pop(scenario, {}).values())

    @contextmanager
    def serving(self) -> Iterator[None]:
        self.active = True
        try:
            yield
        finally:
            self.active = False
            self.answers.clear()
            self.kept = 0

    def wrap(self, adapter: Any) -> None:
        """Route ``adapter.send`` through the replay."""
        import requests
        from schemathesis.core import SCHEMATHESIS_TEST_CASE_HEADER

        send = adapter.send

        def replaying_send(request: Any, **kwargs: Any) -> Any:
            scenario = getattr(self.watch.local, "scenario", None)
            if scenario is None:  # the stateful phase, or a probe: always sent
                return send(request, **kwargs)
            body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
            headers = tuple(sorted((k.lower(), v) for k, v in request.headers.items() if k.lower() != SCHEMATHESIS_TEST_CASE_HEADER.lower()))
            key = (request.method, request.url, headers, body)
            with self.lock:
                known = self.answers.get(scenario, {}).get(key) if self.active else None
                if known is not None:
                    self.replayed.add(request.headers.get(SCHEMATHESIS_TEST_CASE_HEADER, ""))
            if known is not None:
                answer = requests.Response()
                answer.__dict__.update(known.__dict__)  # raw too: Schemathesis reads the headers from it
                answer.request = request
                return answer
            response = send(request, **kwargs)
            size = len(response.content) if getattr(response, "_content_consumed", False) else None
            if not self.active and size is not None and size <= self.KEEP_MOST:
                with self.lock:
                    if self.kept + size <= self.KEEP_TOTAL:
                        self.answers.setdefault(scenario, {})[key] = response
                        self.kept += size
            return response

        adapter.send = replaying_send


def _failure_key(node: Any) -> tuple:
    """Schemathesis' identity of a failure (as its CLI de-duplicates): check, class, operation, key."""
    failure = node.failure_info.failure
    return (node.name, type(failure).__name__, failure.operation, failure._unique_key)


def run_engine(settings: EngineSettings, on_tick: Callable[[Tick], None] | None = None) -> EngineResult:
    """Run the engine to completion and return what it found. Raises ``EngineSetupError`` when the
    spec cannot be loaded by Schemathesis or nothing could be tested."""
    with FuzzSession(settings) as session:
        return session.run(on_tick)


def _ok(result: Any) -> Any:
    return result.ok() if hasattr(result, "ok") else None


def _built(case: Any, settings: EngineSettings) -> Built:
    """A generated case as a request under the base URL, with the run's headers on top."""
    import requests

    kwargs = case.as_transport_kwargs(base_url=settings.base_url)
    headers = {k: str(v) for k, v in dict(kwargs.pop("headers", None) or {}).items() if k.lower() not in ("x-schemathesis-testcaseid", "user-agent")}
    for name, value in settings.headers.items():
        headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
        headers[name] = value
    kwargs.pop("cookies", None)
    prepared = requests.Request(headers=headers, **{k: v for k, v in kwargs.items() if k in ("method", "url", "params", "json", "data", "files")}).prepare()
    body: Any = prepared.body
    body = body.encode("utf-8") if isinstance(body, str) else body
    return Built(str(prepared.method), str(prepared.url), {k: str(v) for k, v in prepared.headers.items() if k.lower() != "content-length"}, body)


class EngineSetupError(Exception):
    """The engine could not start (bad document for Schemathesis, bad setting)."""


def _config_dict(s: EngineSettings, *, keep_going: bool, max_time: float | None = None) -> dict[str, Any]:
    """The engine's configuration: the first pass (``keep_going`` false) is the Schemathesis CLI's
    own default run; the second goes on past failures, in the unit phases only."""
    phases: dict[str, dict[str, Any]] = {name: {"enabled": name in s.phases and not (keep_going and name == "stateful")} for name in ALL_PHASES}
    max_time = s.max_time if max_time is None else max_time
    out: dict[str, Any] = {
        "base-url": s.base_url,
        "seed": s.seed,
        "workers": s.workers,
        "continue-on-failure": keep_going,
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
    if max_time is not None:
        out["max-time"] = max(1, math.ceil(max_time))  # whole seconds
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
def _no_local_constants() -> Iterator[None]:
    """Generation from the schema and the seed alone. Hypothesis mixes string and number literals
    from the process's "local" modules (any outside site-packages) into what it draws: with
    auditor installed from a checkout (``pip install -e``) that was auditor's own source, so the
    requests a seed produced changed with which of its modules happened to be imported
    (``auditor fuzz`` and ``auditor audit`` sent different fuzzing phases to the same service)."""
    import hypothesis.internal.conjecture.providers as providers

    original = providers._get_local_constants
    none = providers.Constants()
    providers.CONSTANTS_CACHE.cache.clear()  # permitted constants computed with the local ones
    providers._get_local_constants = lambda: none
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()


@contextmanager
def _bounded_sessions(replay: _Replay) -> Iterator[None]:
    """Every session the engine makes reads bodies through ``auditor.live.bounded`` (size cap,
    total deadline, no proxies from the environment) and goes through ``replay``. Redirects:
    Schemathesis follows them only within the same scheme, host and port (its
    ``SameHostRedirectsSession``), never elsewhere."""
    import schemathesis.engine.context as engine_context

    from auditor.live.bounded import bound

    original = engine_context.make_session

    def make_session(*args: Any, **kwargs: Any) -> Any:
        session = bound(original(*args, **kwargs))
        for adapter in dict.fromkeys(session.adapters.values()):
            replay.wrap(adapter)
        return session

    engine_context.make_session = make_session
    try:
        yield
    finally:
        engine_context.make_session = original


def _operation_labels(schema: Any) -> set[str]:
    return {op.label for result in schema.get_all_operations() if (op := _ok(result)) is not None}


class _Collector:
    """Folds the event stream into distinct failures and errors, with counts and progress."""

    def __init__(self, on_tick: Callable[[Tick], None] | None, labels: set[str], slices: _SliceWatch) -> None:
        self.on_tick = on_tick
        self.slices = slices
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
        self.one_cycle = False  # stopped on purpose after every phase ran once
        self.saturation: _Saturation | None = None
        self.saturated: list[str] = []  # "PHASE METHOD /path": scenarios stopped for only repeating known failures
        self.by_phase: dict[str, int] = {}
        self.by_operation: dict[str, int] = {}
        self.repeats: dict[str, int] = {}
        self.started: set[str] = set()
        self.enabled: tuple[str, ...] = ALL_PHASES  # the phases the run asked for
        self.on_exchange: Callable[[str, Exchange, str | None], None] | None = None
        self.stopped_at_failure: set[tuple[str, str]] = set()  # first pass: (unit phase, "METHOD /path") that failed
        self.replay: _Replay | None = None
        self.keeping_going: set[tuple[str, str]] | None = None  # the second pass's scenarios, once it began

    @property
    def replayed(self) -> set[str]:
        """Ids of the cases answered from the first pass (not sent)."""
        return self.replay.replayed if self.replay is not None else set()

    def second_pass(self, scenarios: set[tuple[str, str]]) -> None:
        """The keep-going pass begins: its requests count as their own phase."""
        self.keeping_going = scenarios
        self.started, self.one_cycle = set(), False

    def _tick(self, event: str, status: str = "") -> None:
        if self.on_tick is not None:
            phase = self.phase if self.keeping_going is None else f"{KEEP_GOING} {self.phase}"
            self.on_tick(Tick(phase, event, len(self.operations), self.operations_total, self.requests, len(self.failures) + len(self.errors), status))

    def phase_started(self, name: str) -> None:
        self.phase = name
        self.started.add(name)
        if name in ALL_PHASES:
            self._tick("phase-started")

    def phase_finished(self, name: str, status: str) -> None:
        self.phase = name
        if name in ALL_PHASES:
            if self.keeping_going is None:  # a phase's status is the first pass's (the CLI's run)
                self.phases[name] = status
            self._tick("phase-finished", status)

    def scenario(self, event: Any) -> None:
        from schemathesis.engine import Status

        self.scenarios_seen = True
        rec = event.recorder
        phase = event.phase.value
        if event.status != Status.SKIP and rec.label in self.labels:
            self.operations.add(rec.label)
        answered = [case_id for case_id, i in rec.interactions.items() if i.response is not None and case_id not in self.replayed]
        bucket = phase if self.keeping_going is None else KEEP_GOING
        self.requests += len(answered)
        self.by_phase[bucket] = self.by_phase.get(bucket, 0) + len(answered)
        for case_id in answered:
            node = rec.cases.get(case_id)
            label = node.value.operation.label if node is not None else rec.label
            self.by_operation[label] = self.by_operation.get(label, 0) + 1
        if self.on_exchange is not None:
            _report_exchanges(rec, self.on_exchange, self.replayed)
        new_keys: set[str] = set()  # case ids that found something not known before
        failed: set[str] = set()
        for parent_id, nodes in rec.checks.items():
            for node in nodes:
                if node.status != Status.FAILURE or node.failure_info is None:
                    continue
                failure = node.failure_info.failure
                key = _failure_key(node)
                case_id = failure.case_id or parent_id
                failed.add(case_id)
                seen = self.failures.get(key)
                if seen is not None:
                    seen.count += 1
                    continue
                new_keys.add(case_id)
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
        self.repeats[bucket] = self.repeats.get(bucket, 0) + len(failed - new_keys - self.replayed)
        if phase in UNIT_PHASES and self.keeping_going is None:
            if failed:
                self.stopped_at_failure.add((phase, rec.label))
            elif self.replay is not None:
                self.replay.forget((phase, rec.label))
        if self.saturation is not None and self.saturation.finished(rec):
            self.saturated.append(f"{phase} {rec.label}")
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
        self.elapsed += event.running_time
        self.stop_reason = event.stop_reason.value if hasattr(event.stop_reason, "value") else str(event.stop_reason)
        if self.one_cycle and self.stop_reason == "interrupted":
            self.stop_reason = "completed"
        for failure in event.failures:  # after_run checks: no request of their own
            key = ("after_run", type(failure).__name__, failure.operation, failure._unique_key)
            self.failures.setdefault(
                key, RawFailure(key, "after_run", failure.code, failure.title, failure.message, failure.operation or "", "after_run", None, "", [])
            )

    def _cut_short(self) -> list[str]:
        """Scenarios the budget ended (the watch saw them), then, when it ran out, what it never
        reached: the operations a started unit phase did not get to, and a stateful phase it
        stopped or never started."""
        cut = list(self.slices.cut)
        if self.stop_reason == "max_time" and self.keeping_going is not None:
            cut += [(f"{KEEP_GOING} {phase}", label) for phase, label in sorted(self.keeping_going - self.slices.ran)]
        elif self.stop_reason == "max_time":
            for phase in UNIT_PHASES:
                if phase in self.started and self.phases.get(phase) != "skip":  # a phase not asked for finishes as a skip
                    cut += [(phase, label) for label in sorted(self.labels) if (phase, label) not in self.slices.seconds]
            if "stateful" in self.enabled and self.phases.get("stateful") != "skip":
                cut.append(("stateful", ""))
        return [f"{phase} {label}".strip() for phase, label in dict.fromkeys(cut)]

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
            requests_by_phase=self.by_phase,
            requests_by_operation=dict(sorted(self.by_operation.items(), key=lambda kv: -kv[1])),
            repeats_by_phase=self.repeats,
            cut_short=self._cut_short(),
            slowest=[(f"{phase} {label}", sec) for (phase, label), sec in sorted(self.slices.seconds.items(), key=lambda kv: -kv[1])[:10]],
            saturated=self.saturated,
            replayed=len(self.replayed),
        )


def _report_exchanges(rec: Any, on_exchange: Callable[[str, Exchange, str | None], None], replayed: set[str]) -> None:
    """Every answered request of a scenario (not those answered from the first pass), with its
    operation and generation mode."""
    for case_id, inter in rec.interactions.items():
        if inter.response is None or case_id in replayed:
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
    out = Exchange(request.method, uri, headers, excerpt(request.body))
    if response is not None:
        out.status = response.status_code
        out.response_headers = {k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in response.headers.items()}
        out.response_body = excerpt(response.content)
        out.keep_error_body(response.content)
        out.elapsed_ms = round(response.elapsed * 1000, 1)
    return out


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
