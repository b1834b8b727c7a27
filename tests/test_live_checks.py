"""The live checks' own logic against small real services on loopback (the bundled service's
drifts are covered by test_audit.py): injection blamed only when the value changes the outcome,
health bodies judged by failure words, the sequential latency verdict, one cause one finding,
and the console's triage."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import run_cli

from auditor.live.sampling import decided
from auditor.model import Finding, Location, Operation, Severity, Source

SPEC = """
openapi: 3.0.3
info: {title: probes, version: 1.0.0}
paths:
  /search:
    get:
      parameters:
        - {name: q, in: query, required: true, schema: {type: string, maxLength: 20}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
        "400": {description: bad, content: {application/json: {schema: {type: object}}}}
        "501": {description: not there yet, content: {application/json: {schema: {type: object}}}}
        "500": {description: oops, content: {application/json: {schema: {type: object}}}}
  /items/{name}:
    get:
      parameters:
        - {name: name, in: path, required: true, schema: {type: string, maxLength: 20}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
  /later:
    get:
      parameters:
        - {name: q, in: query, required: true, schema: {type: string, maxLength: 20}}
      responses:
        "501": {description: not there yet, content: {application/json: {schema: {type: object}}}}
  /healthz:
    get:
      responses:
        "200": {description: alive, content: {application/json: {schema: {type: object}}}}
  /readyz:
    get:
      responses:
        "200": {description: ready, content: {application/json: {schema: {type: object}}}}
"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    health = {"/healthz": "ok", "/readyz": "ready"}

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        q = (parse_qs(url.query).get("q") or [""])[0]
        if url.path == "/search":
            self._json(500 if "'" in q else 200, {"q": q})  # the quote reaches SQL: a real injection bug
        elif url.path.startswith("/items/"):
            self._json(200, {"name": url.path})  # a path segment is just a key here
        elif url.path == "/later":
            self._json(501, {"title": "not implemented"})  # whatever it is sent
        elif url.path in self.health:
            self._json(200, {"status": self.health[url.path]})
        else:
            self._json(404, {"title": "not found"})

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def service():
    handler = type("Handler", (_Handler,), {"health": dict(_Handler.health)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def _audit(write, base_url: str, *extra: str) -> dict:
    spec = write("openapi.yaml", SPEC)
    result = run_cli(
        ["audit", str(spec), "--base-url", base_url, "--seed", "1", "-n", "3", "--phases", "examples,fuzzing", "--pack", "minimal", "-f", "json", *extra]
    )
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


def _of(report: dict, rule: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == rule]


@pytest.mark.live
def test_injection_is_blamed_only_when_the_value_changes_the_outcome(write, service):
    base_url, _ = service
    report = _audit(write, base_url)
    found = _of(report, "inputs/live-injection")
    assert [f["operation"]["path"] for f in found] == ["/search"]  # not /later, which answers 501 to anything
    (finding,) = found
    assert "'" in finding["message"] and "plain value answered 200" in finding["message"]
    assert finding["evidence"]["plain"]["status"] == 200 and finding["evidence"]["injected"]["status"] == 500
    # what it cost: /search a quote, then its plain request again to confirm (the fuzzer had its
    # 200); /later its plain request only (501: nothing to compare with); /items/{name} a quote
    # only: the fuzzer had the plain answer, and no NoSQL operator goes to a path segment
    assert report["stats"]["live"]["probe_requests_by_check"]["inputs/live-injection"] == 4


@pytest.mark.live
@pytest.mark.parametrize("word, flagged", [("ready", False), ("UP", False), ("pass", False), ("fail", True), ("DOWN", True), ("unhealthy", True)])
def test_health_bodies_are_judged_by_failure_words(write, service, word, flagged):
    base_url, handler = service
    handler.health["/readyz"] = word
    report = _audit(write, base_url, "--rule", "health/live-probe")
    messages = [f["message"] for f in _of(report, "health/live-probe")]
    assert any(word in m for m in messages) == flagged, messages


def test_latency_verdict_is_sequential_and_needs_ten_samples():
    assert decided(9, 9) is None  # too few for any verdict
    assert decided(10, 3) == "over" and decided(10, 2) is None
    assert decided(58, 0) is None and decided(59, 0) == "under"  # 0.95^59 < 5 %
    assert decided(100, 5) is None  # exactly at the share: undecided, the planned samples run out
    assert decided(100, 12) == "over"


def test_latency_far_under_budget_is_decided_after_min_samples():
    from auditor.live.sampling import Samples, settle, tolerance_limit

    fast = [40.0 + (i % 7) * 3 for i in range(20)]  # 40-58 ms
    assert 58 < tolerance_limit(fast) < 80
    found = Samples(fast[:19])
    settle(found, 200.0, 20)
    assert found.verdict is None  # fewer than min-samples
    found = Samples(fast)
    settle(found, 200.0, 20)
    assert found.verdict == "under" and found.bound_ms == round(tolerance_limit(fast), 1)
    slow_path = Samples([*fast[:19], 250.0], over=1)  # one of 20 over budget: a 15 % slow path is not ruled out
    settle(slow_path, 200.0, 20)
    assert slow_path.verdict is None
    more = [*fast, *fast[:9]]
    straggler = Samples([*more, 250.0], over=1)  # one of 30: a slow path that common would have shown more
    settle(straggler, 200.0, 20)
    assert straggler.verdict == "under" and 80 < straggler.bound_ms < 200
    twice = Samples([*more[:-1], 250.0, 250.0], over=2)  # two of 30: still possible
    settle(twice, 200.0, 20)
    assert twice.verdict is None
    near = Samples([150.0 + (i % 5) * 10 for i in range(20)])  # 150-190 ms: the limit is over 200
    settle(near, 200.0, 20)
    assert near.verdict is None and tolerance_limit(near.values) > 200


def _finding(rule: str, operation: str | None, message: str, source: Source = Source.LIVE, **evidence) -> Finding:
    op = Operation(*operation.split(" ", 1)) if operation else None
    return Finding(rule, Severity.WARN, message, "hint", source, op, Location("a.yaml", "/paths", 1, 1), evidence or {"count": 1})


def test_one_cause_one_finding():
    from auditor.live.findings import fold_confirmations, merge_operations
    from auditor.live.model import Issue
    from auditor.live.secrets import Masker
    from auditor.rules import load_builtin_rules

    registry = load_builtin_rules()
    static = [_finding("ratelimit/headers-documented", "GET /a", "200 response declares no rate-limit headers", Source.LINT)]
    issues = [
        (registry["ratelimit/live-headers"], Issue("2xx answers carry no rate-limit header", "GET /a", confirms="ratelimit/headers-documented")),
        (registry["ratelimit/live-headers"], Issue("2xx answers carry no rate-limit header", "GET /b", confirms="ratelimit/headers-documented")),
    ]
    left, updated = fold_confirmations(issues, static, Masker())
    assert [issue.operation for _, issue in left] == ["GET /b"]  # its contract declares the headers: a drift of its own
    assert updated[0].evidence["live"]["rule"] == "ratelimit/live-headers" and updated[0].evidence["live"]["operations"] == ["GET /a"]
    merged = merge_operations([_finding("contract/status-code", f"GET /{p}", "Undocumented status code (401)") for p in "cba"])
    assert len(merged) == 1 and merged[0].operation is None
    assert merged[0].evidence["operations"] == ["GET /a", "GET /b", "GET /c"] and merged[0].evidence["count"] == 3
    again = merge_operations([_finding("contract/status-code", f"GET /{p}", "Undocumented status code (401)") for p in "ab"])
    assert again[0].fingerprint == merged[0].fingerprint  # which operations, and how many, stay out of the identity


def test_console_starts_with_triage_and_summary_only_keeps_files_whole(write, tmp_path):
    spec = write(
        "openapi.yaml",
        "openapi: 3.0.3\ninfo: {title: t, version: 1.0.0}\npaths:\n"
        + "".join(f"  /p{i}: {{post: {{responses: {{'200': {{description: ok}}}}}}}}\n" for i in range(6)),
    )
    full = tmp_path / "full.txt"
    result = run_cli(["lint", str(spec), "--summary-only", "-o", f"console={full}"])
    assert result.out.startswith("triage\n  fail: ")
    assert "most findings: " in result.out and "operations with most: POST /p0" in result.out
    assert "hint:" not in result.out and result.out.rstrip().endswith("in 1 document")
    text = full.read_text()
    assert text.startswith("triage\n") and "hint:" in text
    # the same message on six operations reads once, with the other places on one line
    lines = text.splitlines()
    first = next(i for i, ln in enumerate(lines) if "declares no 429" in ln)
    assert "[POST /p0]" in lines[first] and "and 5 more with the same message" in lines[first + 1]
    assert "[POST /p1]" in lines[first + 1] and "[POST /p5]" in lines[first + 1]
    assert sum("declares no 429" in ln for ln in lines) == 1
