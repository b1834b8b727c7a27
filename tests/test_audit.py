"""`auditor audit`: lint + fuzz + live policy checks and probes, against the bundled service run
for real on a free port. One seeded run per mode is shared by the tests (small --max-examples,
one worker); the burst probe runs in both against a low service rate limit."""

from __future__ import annotations

import json

import pytest
import requests
from conftest import run_cli

from fixtures.service import SPEC, TOKEN, running
from fixtures.service.drifts import DRIFTS

RATE_LIMIT = 1000  # requests per minute in the service; the burst probe sends up to BURST
BURST = "1500"
AUTH = f"Authorization: Bearer {TOKEN}"


def _audit(base_url: str, *extra: str):
    """A thorough audit (--max-repeats 0: no phase ends early): the drifted service has every drift
    at once, and some hide behind others (a crash on long names behind a schema drift on every
    201); the default's savings are tested in test_fuzz.py against the Schemathesis CLI.

    In the pytest process on purpose: the run must not depend on what the process imported (before
    the engine kept Hypothesis from mining local modules' literals, the test modules loaded here
    changed the stateful walk and it missed the use-after-free drift)."""
    return run_cli(
        [
            "audit",
            str(SPEC),
            "--base-url",
            base_url,
            "--header",
            AUTH,
            "--seed",
            "1",
            "--max-examples",
            "10",
            "--workers",
            "1",
            "--max-repeats",
            "0",
            "--format",
            "json",
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def drifted_audit(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit")
    console, html = out / "report.txt", out / "report.html"
    with running("drifted", token=TOKEN, rate_limit=RATE_LIMIT) as service:
        result = _audit(service.base_url, "--probe-rate-limit", BURST, "--output", f"console={console}", "--output", f"html={html}")
    return result, json.loads(result.out), console.read_text(encoding="utf-8"), html.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def conformant_audit():
    with running("conformant", token=TOKEN, rate_limit=RATE_LIMIT) as service:
        result = _audit(service.base_url, "--probe-rate-limit", BURST)
    return result, json.loads(result.out)


def _found(report) -> set[tuple[str, str, str]]:
    """(rule, operation, message) of every finding; one listing several operations counts for each."""
    out = set()
    for f in report["findings"]:
        labels = [f"{f['operation']['method']} {f['operation']['path']}"] if f["operation"] else (f["evidence"] or {}).get("operations") or []
        out |= {(f["rule"], label, f["message"]) for label in labels}
    return out


@pytest.mark.live
@pytest.mark.slow
@pytest.mark.parametrize("drift", list(DRIFTS.values()), ids=list(DRIFTS))
def test_every_seeded_drift_is_reported_by_audit(drifted_audit, drift):
    result, report, *_ = drifted_audit
    assert result.code == 1
    found = [message for rule, operation, message in _found(report) if (rule, operation) == (drift.rule, drift.operation)]
    elsewhere = sorted({operation for rule, operation, _ in _found(report) if rule == drift.rule})
    phases = report["stats"]["live"]["requests_by_phase"]
    assert [m for m in found if drift.says in m], f"{drift.name} ({drift.description}) not reported: {found}; {drift.rule} on {elsewhere}; requests {phases}"


@pytest.mark.live
@pytest.mark.slow
def test_conformant_service_has_no_error_finding(conformant_audit):
    result, report = conformant_audit
    errors = [(f["rule"], f["message"]) for f in report["findings"] if f["severity"] == "error"]
    assert errors == []
    assert result.code == 0
    # the burst was throttled properly (429 with Retry-After): no finding about it
    assert not [f for f in report["findings"] if f["rule"].startswith("ratelimit/")]
    assert any("429" in note for note in report["stats"]["live"]["notes"])


@pytest.mark.live
@pytest.mark.slow
def test_live_policy_findings_are_live_with_evidence(drifted_audit):
    _, report, *_ = drifted_audit
    replay = [f for f in report["findings"] if f["rule"] == "idempotency/replay"]
    assert {f["source"] for f in replay} == {"live"}
    second = next(f for f in replay if "second resource" in f["message"])
    assert second["evidence"]["response"]["status"] == 201 and second["evidence"]["curl"].startswith("curl ")
    assert second["location"]["pointer"] == "/paths/~1v1~1items/post"
    leak = next(f for f in report["findings"] if f["rule"] == "errors/live-no-leak" and "PostgreSQL" in f["message"])
    assert "psycopg2.errors.SyntaxError" in leak["evidence"]["leak"]["excerpt"]
    # secrets given on the command line never appear
    assert TOKEN not in json.dumps(report)


@pytest.mark.live
@pytest.mark.slow
def test_latency_table_and_operation_join_in_json_and_console(drifted_audit):
    _, report, console, _ = drifted_audit
    latency = report["stats"]["latency"]
    operations = {f"{op['method'].upper()} {op['path']}" for op in _spec_operations()}
    assert set(latency) == operations
    for row in latency.values():
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
    assert latency["GET /v1/items"]["sampled_p95_ms"] > 200  # the slow tail
    rows = {r["operation"]: r for r in report["stats"]["operations"]}
    assert set(rows) == operations
    assert rows["POST /v1/items"]["live"] >= 3 and rows["GET /v1/items"]["p95_ms"] == latency["GET /v1/items"]["p95_ms"]
    assert "operation                  static  live  p95 ms" in console
    assert "latency (ms)" in console and "sampled p95" in console


@pytest.mark.live
@pytest.mark.slow
def test_the_rules_that_ran_and_the_html_report(drifted_audit):
    _, report, _, html = drifted_audit
    checked = set(report["checked"])
    assert {"idempotency/replay", "reliability/latency-p95", "contract/status-code", "inputs/string-bounded"} <= checked
    assert {f["rule"] for f in report["findings"]} <= checked
    assert html.count('<li class="finding" ') == len(report["findings"])
    for label, row in report["stats"]["latency"].items():
        assert f'<th scope="row" data-sort="{label}">{label}</th>' in html
        assert f">{row['p95_ms']:.1f}</td>" in html
    assert report["stats"]["latency_budget_ms"] == 200.0 and "budget 200 ms" in html
    assert '<li class="principle fail" data-principle="budgets">' in html  # GET /v1/items is slow
    assert "principle untested" not in html  # lint and the live checks cover every principle
    assert TOKEN not in html and "Authorization: ***" in html


@pytest.mark.live
@pytest.mark.slow
def test_error_rate_is_honest_about_small_samples(conformant_audit):
    _, report = conformant_audit
    note = next(f for f in report["findings"] if f["rule"] == "reliability/error-rate")
    assert note["severity"] == "info" and "3000" in note["message"]


@pytest.mark.live
@pytest.mark.slow
def test_read_only_sends_only_safe_methods_and_says_so():
    """Also: the document from standard input is read once and serves lint and the live run."""
    with running("conformant", token=TOKEN) as service:
        result = run_cli(
            ["audit", "-", "--base-url", service.base_url, "--header", AUTH, "--seed", "1", "--max-examples", "5", "--read-only", "--format", "console"],
            stdin=SPEC.read_bytes(),
        )
        items = requests.get(service.base_url + "/v1/items", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).json()
    assert result.code == 0, result.out
    assert items == {"items": []}  # nothing was created
    assert "live: read-only: only GET, HEAD and OPTIONS were sent" in result.out
    assert "read-only" in result.err
    assert "idempotency/replay" not in result.out


@pytest.mark.live
@pytest.mark.slow
def test_a_run_that_loses_its_credentials_says_which_request_did_it_and_stops_probing_behind_them():
    """The service revokes the token at the first DELETE that succeeds (as Airflow lets the fuzzer
    delete the admin user it signs in as): one finding on that DELETE, and no probe or sample is
    sent to an operation that could only refuse it. The conformant audit, whose fuzzer also gets
    401s (requests sent without the token on purpose), has no such finding."""
    with running("conformant", token=TOKEN, revoke_on_delete=True) as service:
        result = _audit(service.base_url)
        after = requests.get(service.base_url + "/v1/items", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).status_code
    report = json.loads(result.out)
    assert after == 401 and result.code == 1
    (lost,) = [f for f in report["findings"] if f["rule"] == "contract/live-credentials"]
    assert lost["severity"] == "error" and lost["operation"] == {"method": "DELETE", "path": "/v1/items/{itemId}"}
    assert lost["evidence"]["response"]["status"] == 204 and lost["evidence"]["refused_answers"] > 0
    assert {r["before"] for r in lost["evidence"]["replayed"]} == {200} and {r["now"] for r in lost["evidence"]["replayed"]} == {401}
    assert "--exclude 'DELETE /v1/items/{itemId}'" in lost["message"]
    left_out = set(lost["evidence"]["operations_left_out"])
    assert {"GET /v1/items", "POST /v1/items", "PUT /v1/items/{itemId}"} <= left_out and "GET /healthz" not in left_out
    live = report["stats"]["live"]
    assert not {"inputs/live-injection", "idempotency/replay", "idempotency/put-repeatable"} & set(live["probe_requests_by_check"])
    assert not left_out & set(live["sampled_operations"]) and "GET /healthz" in live["sampled_operations"]


@pytest.mark.live
@pytest.mark.slow
def test_conformant_audit_keeps_its_credentials(conformant_audit):
    _, report = conformant_audit
    assert report["stats"]["live"]["probe_requests_by_check"]["contract/live-credentials"] == 1
    assert not [f for f in report["findings"] if f["rule"] == "contract/live-credentials"]


def test_audit_without_base_url_is_lint_with_the_operation_table(cli):
    result = cli(["audit", str(SPEC), "--format", "json"])
    report = json.loads(result.out)
    lint = json.loads(cli(["lint", str(SPEC), "--format", "json"]).out)
    assert report["command"] == "audit" and report["stats"]["live"] is None
    assert [f["fingerprint"] for f in report["findings"]] == [f["fingerprint"] for f in lint["findings"]]
    assert "the live checks did not run" in result.err


def test_unknown_live_setting_is_an_input_error(cli, write):
    pack = write("pack.yaml", "extends: recommended\nlive:\n  read-onyl: true\n")
    result = cli(["audit", str(SPEC), "--pack", str(pack)])
    assert result.code == 2
    assert "unknown `live` setting(s) read-onyl" in result.err


def _spec_operations():
    from auditor.api import LintOptions, load_document

    return [{"method": op.method, "path": op.path} for op in load_document(str(SPEC), LintOptions()).operations()]


@pytest.mark.live
@pytest.mark.slow
def test_fast_operations_are_decided_under_budget_early(conformant_audit):
    """Operations far under budget are decided after min-samples (20), not 59; the latency table
    shows the tolerance limit that decided them."""
    _, report = conformant_audit
    early = {op: row for op, row in report["stats"]["latency"].items() if "under_bound_ms" in row}
    assert early, report["stats"]["latency"]
    assert all(row["under_bound_ms"] <= 200 and 20 <= row["samples"] < 59 for row in early.values())
