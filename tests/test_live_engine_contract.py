"""Pins the Schemathesis internals that ``auditor/live/schemathesis_adapter.py`` reads. The engine is not public
API in Schemathesis 4.x: when an upgrade changes any of these, this test says what moved."""

from __future__ import annotations

import dataclasses

import schemathesis
from conftest import ROOT
from schemathesis.core import failures
from schemathesis.engine import Status, events, recorder
from schemathesis.engine.run import Phase, PhaseName


def _fields(cls) -> set[str]:
    names = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    for klass in cls.__mro__:
        names |= set(getattr(klass, "__slots__", ()))
        names |= set(getattr(klass, "__annotations__", {}))
    return names


def test_pinned_version():
    pins = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    assert "schemathesis==4.32.5" in pins.splitlines()
    assert schemathesis.__version__ == "4.32.5"


def test_engine_entry_points():
    from schemathesis.engine import from_schema

    assert callable(from_schema)
    assert callable(schemathesis.Config.from_dict)
    assert callable(schemathesis.openapi.from_path) and callable(schemathesis.openapi.from_dict)
    cfg = schemathesis.Config.from_dict(
        {
            "base-url": "http://127.0.0.1:1",
            "seed": 1,
            "workers": 1,
            "continue-on-failure": True,
            "request-timeout": 1.0,
            "tls-verify": True,
            "headers": {"A": "b"},
            "cache": {"enabled": False},
            "generation": {"max-examples": 1, "database": "none"},
            "max-time": 1,
            "rate-limit": "10/s",
            "phases": {p: {"enabled": True} for p in ("examples", "coverage", "fuzzing", "stateful")},
            "output": {"sanitization": {"enabled": False}},
        }
    )
    assert cfg.seed == 1


def test_event_fields():
    assert {"phase"} <= _fields(events.PhaseStarted)
    assert {"phase", "status"} <= _fields(events.PhaseFinished)
    assert {"phase", "status", "recorder"} <= _fields(events.ScenarioFinished)
    assert {"info", "value", "phase", "label"} <= _fields(events.NonFatalError)
    assert {"exception"} <= _fields(events.FatalError)
    assert {"running_time", "stop_reason", "failures"} <= _fields(events.EngineFinished)
    assert {"name"} <= _fields(Phase)  # PhaseStarted/Finished.phase.name is a PhaseName
    assert {p.value for p in PhaseName} >= {"examples", "coverage", "fuzzing", "stateful"}
    assert {s.value for s in Status} >= {"success", "failure", "skip", "error"}


def test_recorder_fields():
    assert {"label", "cases", "checks", "interactions"} <= _fields(recorder.ScenarioRecorder)
    assert {"name", "status", "failure_info"} <= _fields(recorder.CheckNode)
    assert {"request", "response"} <= _fields(recorder.Interaction)
    assert {"curl"} <= _fields(recorder.ReproductionStep)
    assert {"failure", "code_sample", "steps"} <= _fields(recorder.CheckFailureInfo)


def test_failure_fields_and_codes():
    for name in ("code", "title", "message", "operation", "case_id", "_unique_key"):
        assert hasattr(failures.Failure, name) or name in _fields(failures.Failure), name
    from schemathesis.openapi import checks as oas

    codes = {
        cls.code
        for cls in (
            failures.ServerError,
            failures.ContentTypeServerError,
            failures.MalformedJson,
            failures.AcceptedNegativeData,
            failures.ResponseTimeExceeded,
            failures.CustomFailure,
            oas.UndefinedStatusCode,
            oas.MissingHeaders,
            oas.JsonSchemaError,
            oas.MissingContentType,
            oas.MalformedMediaType,
            oas.ContentDeserializationError,
            oas.DiscriminatorMismatch,
            oas.UndefinedContentType,
            oas.UseAfterFree,
            oas.EnsureResourceAvailability,
            oas.IgnoredAuth,
            oas.ObjectLevelAuthorizationViolation,
            oas.RejectedPositiveData,
            oas.MissingHeaderNotRejected,
            oas.UnsupportedMethodResponse,
            oas.AllowHeaderMismatch,
        )
    }
    from auditor.rules import load_builtin_rules

    claimed = {code for rule in load_builtin_rules() for code in rule.codes if code.startswith("ST")}
    assert claimed == codes - {"ST901"}  # every built-in failure has its rule; custom checks are contract/live-check


def test_request_response_fields():
    from schemathesis.core.transport import Response

    assert {"status_code", "headers", "content", "elapsed"} <= _fields(Response) | set(dir(Response))
    from schemathesis.engine.recorder import Request

    assert {"method", "uri", "headers", "body"} <= _fields(Request) | set(dir(Request))


def test_fields_read_for_every_exchange():
    """``_report_exchanges`` (used by `auditor audit`): case -> operation label and generation mode,
    and the coverage phase's `unexpected-methods` setting used by --read-only."""
    from schemathesis.config._phases import CoveragePhaseConfig
    from schemathesis.generation import GenerationMode
    from schemathesis.generation.case import Case
    from schemathesis.generation.meta import CaseMetadata, GenerationInfo

    assert {"cases"} <= _fields(recorder.ScenarioRecorder)
    assert "value" in _fields(recorder.CaseNode)
    assert {"operation", "meta"} <= _fields(Case) | set(dir(Case))
    assert "generation" in _fields(CaseMetadata) and "mode" in _fields(GenerationInfo)
    assert {m.value for m in GenerationMode} >= {"positive", "negative"}
    cfg = CoveragePhaseConfig.from_dict({"unexpected-methods": ["GET", "options"]})
    assert cfg.unexpected_methods == {"get", "options"}


def test_functions_the_adapter_wraps():
    """``_Saturation`` wraps ``validate_case`` and ends a scenario through its slice deadline;
    ``_SliceWatch`` wraps ``_run_operation`` and ``is_operation_slice_expired``."""
    import inspect

    import schemathesis.engine.run.unit as unit
    import schemathesis.engine.run.unit._case as unit_case
    from schemathesis.engine.context import EngineContext

    assert {"case", "response"} <= set(inspect.signature(unit_case.validate_case).parameters)
    assert {"ctx", "phase"} <= set(inspect.signature(unit._run_operation).parameters)
    assert isinstance(EngineContext.is_operation_slice_expired, property)
    assert isinstance(EngineContext.has_reached_time_limit, property)
    assert "slice_deadline" in inspect.getsource(EngineContext.take_operation_slice)
    # the work-conserving share reads the engine's own: the phase's reserve and the operations left
    assert {"_reserved_time", "_slice_budget"} <= set(EngineContext.__slots__)
    from schemathesis.engine.context import _SliceBudget

    assert "_remaining_operations" in _SliceBudget.__slots__
