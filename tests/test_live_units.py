"""The live run's pure parts: operation selection and header secrets (no network)."""

from __future__ import annotations

import pytest

from auditor.document.document import Document
from auditor.exceptions import UsageError
from auditor.live.secrets import MASK, parse_headers
from auditor.live.select import select
from fixtures.service import SPEC

ALL = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/v1/items"),
    ("POST", "/v1/items"),
    ("GET", "/v1/items/{itemId}"),
    ("PUT", "/v1/items/{itemId}"),
    ("PATCH", "/v1/items/{itemId}"),
    ("DELETE", "/v1/items/{itemId}"),
}


@pytest.mark.parametrize(
    "include, exclude, expected",
    [
        ([], [], None),
        (["GET"], [], {op for op in ALL if op[0] == "GET"}),
        (["/v1/*"], [], {op for op in ALL if op[1].startswith("/v1/")}),
        (["GET /v1/items/*"], [], {("GET", "/v1/items/{itemId}")}),
        (["/v1/items/*"], ["GET", "PUT", "PATCH"], {("DELETE", "/v1/items/{itemId}")}),
        (["tag:health"], [], {("GET", "/healthz"), ("GET", "/readyz")}),
        (["id:createItem", "id:deleteItem"], [], {("POST", "/v1/items"), ("DELETE", "/v1/items/{itemId}")}),
        ([], ["tag:health", "DELETE", "PUT", "PATCH"], {("GET", "/v1/items"), ("POST", "/v1/items"), ("GET", "/v1/items/{itemId}")}),
        (["* /v1/items"], ["POST"], {("GET", "/v1/items")}),
    ],
)
def test_select(include, exclude, expected):
    assert select(Document.load(str(SPEC)), include, exclude) == (frozenset(expected) if expected is not None else None)


def test_header_secrets_are_masked_by_value_and_by_name():
    headers, masker = parse_headers(
        ["Authorization: Bearer ${TOKEN}", "X-Tenant: acme-corp", "X-Api-Key: k-123456"],
        {"TOKEN": "t0k3n-value"},
    )
    assert headers == {"Authorization": "Bearer t0k3n-value", "X-Tenant": "acme-corp", "X-Api-Key": "k-123456"}
    curl = "curl -H 'Authorization: Bearer t0k3n-value' -H 'X-Api-Key: k-123456' -H 'X-Tenant: acme-corp' http://h/?t=t0k3n-value"
    masked = masker.text(curl)
    assert "t0k3n-value" not in masked and "k-123456" not in masked and "acme-corp" in masked and MASK in masked
    assert masker.headers({"Authorization": "Bearer anything", "Set-Cookie": "s=1", "Accept": "application/json"}) == {
        "Authorization": f"Bearer {MASK}",
        "Set-Cookie": MASK,
        "Accept": "application/json",
    }
    assert masker.deep({"a": ["x t0k3n-value y"]}) == {"a": [f"x {MASK} y"]}


@pytest.mark.parametrize("raw", ["NoColon", ": value", "Bad Name: v"])
def test_malformed_headers_are_usage_errors(raw):
    with pytest.raises(UsageError):
        parse_headers([raw], {})


def _result(message: str, status: int = 200):
    from auditor.live.model import Exchange
    from auditor.live.schemathesis_adapter import EngineResult, RawFailure

    exchange = Exchange("GET", "http://127.0.0.1:1/v1/items/7", {"Authorization": "Bearer t0k3n-value"}, None, status, {}, "{}", 1.5)
    failure = RawFailure(
        ("response_schema_conformance", "JsonSchemaError", "GET /v1/items/{itemId}", "properties/price/type"),
        "response_schema_conformance",
        "ST108",
        "Response violates schema",
        message,
        "GET /v1/items/{itemId}",
        "fuzzing",
        exchange,
        "curl -H 'Authorization: Bearer t0k3n-value' http://127.0.0.1:1/v1/items/7",
        [],
        3,
    )
    return EngineResult([failure], [], 6, 6, 10, 1.0, "completed", 1, {})


def test_live_finding_mapping_location_masking_and_stable_fingerprint():
    from auditor.config import load_pack
    from auditor.live.findings import to_findings
    from auditor.live.secrets import Masker
    from auditor.rules import load_builtin_rules

    spec, masker, registry = Document.load(str(SPEC)), Masker({"t0k3n-value"}), load_builtin_rules()
    config = load_pack(registry, "minimal")
    (a,) = to_findings(_result('"9.99" is not of type "number"'), spec, config, registry, masker)
    (b,) = to_findings(_result('"0.00" is not of type "number"'), spec, config, registry, masker)
    assert a.rule == "contract/response-schema" and a.source.value == "live" and str(a.operation) == "GET /v1/items/{itemId}"
    assert a.message == 'Response violates schema (200): "9.99" is not of type "number"'
    assert a.location.pointer == "/paths/~1v1~1items~1{itemId}/get" and a.location.line
    assert a.evidence["count"] == 3 and a.evidence["phase"] == "fuzzing" and a.evidence["response"]["status"] == 200
    assert "t0k3n-value" not in repr(a.to_dict()) and a.evidence["request"]["headers"]["Authorization"] == f"Bearer {MASK}"
    assert a.message != b.message and a.fingerprint == b.fingerprint  # generated values stay out of the identity


def test_max_repeats_counts_only_after_a_scenarios_first_failure():
    """The saturation rule, in the keep-going pass: a scenario runs in full until its first failure;
    then N error answers in a row without a new failure end its time slice (a 401 at once); news
    starts the count again. The first pass only learns the failures."""
    import threading
    from types import SimpleNamespace

    from schemathesis.engine import Status

    from auditor.live.schemathesis_adapter import _Saturation

    def node(key: str | None):
        failure = SimpleNamespace(operation="GET /a", _unique_key=key)
        return SimpleNamespace(name="check", status=Status.FAILURE if key else Status.SUCCESS, failure_info=SimpleNamespace(failure=failure) if key else None)

    saturation = _Saturation(3)
    recorder = SimpleNamespace(checks={}, interactions={})
    ctx = SimpleNamespace(_thread_local=threading.local())

    def answer(key: str | None, status: int = 400) -> bool:
        case_id = str(len(recorder.checks))
        recorder.checks[case_id] = [node(key)]
        recorder.interactions[case_id] = object()
        saturation.after(ctx, recorder, case_id, status)
        return getattr(ctx._thread_local, "slice_deadline", None) == 0.0

    def next_scenario() -> None:  # the same recorder object, its slice running again
        recorder.checks.clear()
        recorder.interactions.clear()
        ctx._thread_local.slice_deadline = None

    # the first pass (the CLI's run) only learns the failures: nothing is ever stopped there
    assert not any(answer("w") for _ in range(5))
    assert not saturation.finished(recorder)
    next_scenario()
    saturation.start_keeping_going({("check", "SimpleNamespace", "GET /a", "v")})  # and what the engine reported

    assert not any(answer(None) for _ in range(20))  # no failure yet: never stopped
    assert not answer("x")  # the first failure is news
    assert not answer("v") and not answer("w")  # two answers without news: the first pass's failures
    assert not answer("y")  # news: the count starts again
    assert not answer(None) and not answer("x", 201) and not answer(None)  # a success neither counts nor resets
    assert answer("x")  # three error answers in a row without news
    assert saturation.finished(recorder) and not saturation.finished(recorder)

    # a 401 without news ends the scenario at once; with news it is counted as news
    next_scenario()
    assert not answer("x") and not answer("z", 401)
    assert answer("z", 401)
    assert saturation.finished(recorder)

    # the next scenario's recorder may get the finished one's id (CPython reuses freed memory):
    # it starts with a clean slate, and runs in full until its own first failure
    next_scenario()
    assert not any(answer(None) for _ in range(20))
    assert not saturation.finished(recorder)


def test_generated_requests_do_not_depend_on_the_modules_the_process_loaded(tmp_path, monkeypatch):
    """Hypothesis mixes literals from the process's "local" modules (outside site-packages) into
    what it generates: the requests a seed produced changed with what happened to be imported
    (auditor's own source, in an editable install). The engine generates from schema and seed alone."""
    import importlib
    import sys

    from auditor.live.schemathesis_adapter import EngineSettings, FuzzSession

    spec = tmp_path / "free.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /things:\n    post:\n"
        "      requestBody: {required: true, content: {application/json: {schema: {type: object}}}}\n"
        "      responses: {'201': {description: created}}\n"
    )

    def bodies() -> list[bytes | None]:
        settings = EngineSettings(spec_path=str(spec), spec_data=None, base_url="http://127.0.0.1:9", seed=7)
        with FuzzSession(settings) as session:
            return [b.body for b in session.positive_requests("POST /things", 60)]

    before = bodies()
    literals = tmp_path / "lots_of_literals"
    literals.mkdir()
    (literals / "canary_module.py").write_text("WORDS = [" + ", ".join(f"'canary{i}'" for i in range(300)) + "]\n")
    monkeypatch.syspath_prepend(str(literals))
    importlib.import_module("canary_module")
    try:
        after = bodies()
    finally:
        sys.modules.pop("canary_module", None)  # its literals must not reach later tests' Hypothesis
    assert not any(b"canary" in (b or b"") for b in after)
    assert after == before and len({b for b in before}) > 10


def test_a_budget_spent_in_the_keep_going_pass_names_what_it_did_not_reach():
    """The second pass runs only the scenarios the first stopped at a failure; when the budget
    ends it, the ones it did not reach are named as cut short, under their own pass."""
    from auditor.live.schemathesis_adapter import KEEP_GOING, _Collector, _SliceWatch

    watch = _SliceWatch()
    collector = _Collector(None, {"GET /a", "GET /b"}, watch)
    collector.second_pass({("coverage", "GET /a"), ("fuzzing", "GET /b")})
    with watch.only({("coverage", "GET /a"), ("fuzzing", "GET /b")}):
        watch.ran.add(("coverage", "GET /a"))
        collector.stop_reason = "max_time"
        assert collector.result(1).cut_short == [f"{KEEP_GOING} fuzzing GET /b"]
    collector.stop_reason = "completed"
    assert collector.result(1).cut_short == []


def test_the_keep_going_pass_is_answered_from_the_first_for_a_request_it_already_sent():
    """A request the first pass sent in the same scenario is answered from it (headers read from
    the same raw response, the new request attached); another request, another scenario, a
    scenario forgotten (it did not fail) or an answer over the size kept are sent."""
    import requests

    from auditor.live.schemathesis_adapter import _Replay, _SliceWatch

    sent: list[str] = []

    class Adapter:
        def send(self, request, **kwargs):
            sent.append(request.url)
            response = requests.Response()
            response.status_code, response._content, response.raw = 500, b"x" * (10 if "small" in request.url else _Replay.KEEP_MOST + 1), object()
            response._content_consumed = True  # as auditor's bounded adapter leaves it
            return response

    def request(url: str, case_id: str):
        return requests.Request("POST", url, json={"a": 1}, headers={"X-Schemathesis-TestCaseId": case_id}).prepare()

    watch, adapter = _SliceWatch(), Adapter()
    replay = _Replay(watch)
    replay.wrap(adapter)
    watch.local.scenario = ("coverage", "POST /small")
    first = adapter.send(request("http://h/small", "1"))
    adapter.send(request("http://h/large", "2"))
    watch.local.scenario = ("fuzzing", "POST /small")
    adapter.send(request("http://h/small", "3"))
    replay.forget(("fuzzing", "POST /small"))
    with replay.serving():
        watch.local.scenario = ("coverage", "POST /small")
        again = adapter.send(request("http://h/small", "4"))
        adapter.send(request("http://h/large", "5"))
        adapter.send(request("http://h/small?other", "6"))
        watch.local.scenario = ("fuzzing", "POST /small")
        adapter.send(request("http://h/small", "7"))
    assert again is not first and again.raw is first.raw and again.status_code == 500
    assert again.request.headers["X-Schemathesis-TestCaseId"] == "4"
    assert replay.replayed == {"4"}
    assert sent == ["http://h/small", "http://h/large", "http://h/small", "http://h/large", "http://h/small?other", "http://h/small"]
    assert replay.answers == {} and replay.kept == 0  # dropped once the second pass is over
