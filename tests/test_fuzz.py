"""`auditor fuzz` against the bundled service, run for real in its own process on a free port.

One seeded run per mode (small --max-examples, --workers 1) is shared by the tests of a module
fixture, so the whole file costs two short fuzzing runs plus the input-error cases.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import ROOT, TcpServer, run_cli

from auditor.report import FORMATS
from auditor.rules import load_builtin_rules
from fixtures.service import SPEC, running
from fixtures.service.drifts import DRIFTS

SEED = "1"
EXAMPLES = "10"
SECRET_TOKEN = "tok-5f1d9c-planted-secret"
SECRET_KEY = "key-8a2e77-planted-secret"


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _fuzz(base_url: str, *extra: str):
    return run_cli(["fuzz", str(SPEC), "--base-url", base_url, "--seed", SEED, "--max-examples", EXAMPLES, "--workers", "1", *extra])


@pytest.fixture(scope="module")
def drifted_run(tmp_path_factory):
    """Drifted service whose token is a secret given through ${VAR}; every format written."""
    out = tmp_path_factory.mktemp("fuzz-out")
    work = tmp_path_factory.mktemp("fuzz-cwd")
    before_root, before_work = _snapshot(ROOT), _snapshot(work)
    old_cwd = os.getcwd()
    os.environ["AUDITOR_TEST_TOKEN"] = SECRET_TOKEN
    os.chdir(work)
    try:
        with running("drifted", token=SECRET_TOKEN) as service:
            outputs = [f"{name}={out / ('report.' + name)}" for name in FORMATS]
            # thorough (no phase ends early): the drifted service's drifts hide behind each other
            args = ["--header", "Authorization: Bearer ${AUDITOR_TEST_TOKEN}", "--header", f"X-Api-Key: {SECRET_KEY}", "--max-repeats", "0", "--format", "json"]
            for o in outputs:
                args += ["--output", o]
            result = _fuzz(service.base_url, *args)
    finally:
        os.chdir(old_cwd)
        del os.environ["AUDITOR_TEST_TOKEN"]
    files = {name: (out / f"report.{name}").read_text(encoding="utf-8") for name in FORMATS}
    return result, json.loads(result.out), files, (before_root, _snapshot(ROOT)), (before_work, _snapshot(work))


@pytest.fixture(scope="module")
def conformant_run():
    with running("conformant") as service:
        result = _fuzz(service.base_url, "--header", "Authorization: Bearer demo-token", "--format", "json")
    return result, json.loads(result.out)


@pytest.mark.live
@pytest.mark.slow
@pytest.mark.parametrize("drift", [d for d in DRIFTS.values() if d.found_by == "fuzz"], ids=[d.name for d in DRIFTS.values() if d.found_by == "fuzz"])
def test_every_seeded_drift_is_reported_on_its_operation(drifted_run, drift):
    result, report, *_ = drifted_run
    assert result.code == 1, result.err
    found = {(f["rule"], f"{f['operation']['method']} {f['operation']['path']}") for f in report["findings"] if f["operation"]}
    assert (drift.rule, drift.operation) in found, f"{drift.name} ({drift.description}) not reported; got {sorted(found)}"


@pytest.mark.live
@pytest.mark.slow
def test_live_findings_carry_location_evidence_and_counts(drifted_run):
    _, report, *_ = drifted_run
    spec_lines = SPEC.read_text(encoding="utf-8").splitlines()
    for f in report["findings"]:
        assert f["source"] == "live" and f["message"] and f["hint"]
        loc = f["location"]
        method = f["operation"]["method"].lower()
        assert spec_lines[loc["line"] - 1].strip() == f"{method}:", f  # points at the operation's line
        ev = f["evidence"]
        assert ev["count"] >= 1 and ev["phase"]
        if f["rule"] != "contract/use-after-free":
            assert ev["request"]["method"] and ev["request"]["url"].startswith("http://127.0.0.1:")
            assert isinstance(ev["response"]["status"], int) and ev["response"]["elapsed_ms"] >= 0
        assert ev["curl"].startswith("curl ")
    stateful = next(f for f in report["findings"] if f["rule"] == "contract/use-after-free")
    assert len(stateful["evidence"]["steps"]) >= 2  # create/delete/read chain, one curl per step
    server_error = next(f for f in report["findings"] if f["rule"] == "reliability/server-error")
    assert server_error["evidence"]["response"]["status"] == 500


@pytest.mark.live
@pytest.mark.slow
def test_same_failure_many_times_is_one_finding(drifted_run):
    _, report, *_ = drifted_run
    keys = [(f["rule"], f["fingerprint"]) for f in report["findings"]]
    assert len(keys) == len(set(keys))
    assert any(f["evidence"]["count"] > 1 for f in report["findings"])


@pytest.mark.live
@pytest.mark.slow
def test_summary_and_stats(drifted_run):
    result, report, *_ = drifted_run
    stats = report["stats"]
    assert stats["operations_tested"] == stats["operations_total"] == 8
    assert stats["requests"] > 50 and stats["requests_per_second"] > 0 and stats["seed"] == int(SEED)
    assert sum(stats["findings_by_rule"].values()) == len(report["findings"])
    # the rules that ran: the fuzzer's live rules, not the static ones nor the audit's probes
    assert {"reliability/server-error", "contract/response-schema"} <= set(report["checked"])
    assert all(load_builtin_rules()[r].codes for r in report["checked"] if r != "contract/live-check")
    assert "tested 8/8 operations" in result.err and "findings by rule" in result.err
    for phase in ("examples", "coverage", "fuzzing", "stateful"):  # not a terminal: one plain line per phase
        assert f"fuzz: {phase} " in result.err


@pytest.mark.live
@pytest.mark.slow
def test_planted_secrets_appear_in_no_output_format(drifted_run):
    result, report, files, *_ = drifted_run
    assert any("***" in (f["evidence"].get("curl") or "") for f in report["findings"])
    for name, text in {**files, "stdout": result.out, "stderr": result.err}.items():
        assert SECRET_TOKEN not in text, name
        assert SECRET_KEY not in text, name


@pytest.mark.live
@pytest.mark.slow
def test_runs_leave_working_directories_unchanged(drifted_run):
    *_, (root_before, root_after), (work_before, work_after) = drifted_run
    assert work_after == work_before == set()
    assert {p for p in root_after - root_before if ".hypothesis" in p or ".schemathesis" in p} == set()


@pytest.mark.live
@pytest.mark.slow
def test_conformant_mode_has_no_error_findings(conformant_run):
    result, report = conformant_run
    errors = [(f["rule"], f["operation"], f["message"]) for f in report["findings"] if f["severity"] == "error"]
    assert errors == []
    assert result.code == 0
    assert report["stats"]["operations_tested"] == 8


@pytest.mark.live
def test_stray_schemathesis_toml_is_ignored(tmp_path, monkeypatch):
    (tmp_path / "schemathesis.toml").write_text('base-url = "http://127.0.0.1:9"\n[generation]\nmax-examples = 1\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCHEMATHESIS_HOOKS", "module_that_does_not_exist")
    with running("drifted", drifts=["content-type"]) as service:
        result = run_cli(
            ["fuzz", str(SPEC), "--base-url", service.base_url, "--seed", SEED, "-n", "2", "--include", "/readyz", "--phases", "coverage", "--format", "json"]
        )
    report = json.loads(result.out)
    assert [f["rule"] for f in report["findings"]] == ["contract/content-type"]
    assert report["stats"]["operations_tested"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schemathesis.toml"]
    assert os.environ["SCHEMATHESIS_HOOKS"] == "module_that_does_not_exist"  # restored


@pytest.mark.live
def test_unreachable_base_url_is_an_input_error(cli, free_port):
    r = cli(["fuzz", str(SPEC), "--base-url", f"http://127.0.0.1:{free_port}"])
    assert r.code == 2
    assert "cannot reach the service" in r.err and "hint:" in r.err and "Traceback" not in r.err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--include", "FETCH /x"], "invalid --include"),
        (["--include", "tag:nothing-has-this-tag"], "leave no operation"),
        (["--phases", "coverage,warmup"], "unknown phase"),
        (["--rate-limit", "fast"], "invalid --rate-limit"),
        (["--header", "no colon here"], "invalid --header"),
        (["--header", "Authorization: Bearer ${AUDITOR_UNSET_VAR_X}"], "AUDITOR_UNSET_VAR_X is not set"),
        (["--max-examples", "0"], "--max-examples"),
    ],
)
def test_bad_options_are_usage_errors(cli, free_port, args, message):
    r = cli(["fuzz", str(SPEC), "--base-url", f"http://127.0.0.1:{free_port}", *args])
    assert r.code == 2 and message in r.err, r.err


@pytest.fixture
def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.live
@pytest.mark.parametrize("behaviour, rule", [pytest.param("hang", "reliability/timeout", marks=pytest.mark.slow), ("close", "reliability/connection-error")])
def test_timeouts_and_connection_errors_are_findings(behaviour, rule):
    server = TcpServer(behaviour)
    try:
        result = run_cli(
            [
                "fuzz",
                str(SPEC),
                "--base-url",
                server.url,
                "--include",
                "id:createItem",
                "--phases",
                "examples",
                "--request-timeout",
                "0.5",
                "--seed",
                SEED,
                "-H",
                f"X-Api-Key: {SECRET_KEY}",
                "--format",
                "json",
            ]
        )
    finally:
        server.close()
    report = json.loads(result.out)
    assert result.code == 1, result.err
    found = [f for f in report["findings"] if f["rule"] == rule]
    assert found, report["findings"]
    f = found[0]
    assert f["operation"] == {"method": "POST", "path": "/v1/items"} and f["location"]["line"]
    assert f["evidence"]["request"]["url"].startswith(server.url) and f["evidence"]["curl"].startswith("curl ")
    assert SECRET_KEY not in result.out


@pytest.mark.live
def test_nothing_to_test_is_an_input_error(cli, write):
    spec = write("empty.yaml", 'openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths: {}\n')
    with running("conformant") as service:
        r = cli(["fuzz", str(spec), "--base-url", service.base_url, "-n", "1"])
    assert r.code == 2 and "nothing was tested" in r.err and "hint:" in r.err


def _failures(report: dict) -> set[tuple[str, str]]:
    """(failure code, operation) of every failure the engine reported, any phase."""
    out = set()
    for f in report["findings"]:
        if "code" not in f["evidence"]:
            continue
        ops = [f"{f['operation']['method']} {f['operation']['path']}"] if f["operation"] else f["evidence"].get("operations") or []
        out |= {(f["evidence"]["code"], op) for op in ops}
    return out


def _schemathesis_cli_run(base_url: str, folder: Path) -> tuple[set[tuple[str, str]], dict[str, int]]:
    """The Schemathesis CLI alone (the pinned version, its defaults: a scenario stops at its first
    failure) on the same service, seed and examples: (failure code, operation) of every failure,
    and the answered requests per phase. Launched as a module: its console script is a module
    outside site-packages, whose two literals Hypothesis would mix into the data; so launched, it
    generates exactly what auditor's engine does."""
    import subprocess
    import sys

    ndjson = folder / "st.ndjson"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            str(SPEC),
            "--url",
            base_url,
            "--seed",
            SEED,
            "-n",
            EXAMPLES,
            "--workers",
            "1",
            "--generation-database",
            "none",
            "-H",
            f"Authorization: Bearer {SECRET_TOKEN}",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(ndjson),
        ],
        cwd=folder,
        capture_output=True,
        timeout=300,
        check=False,
    )
    failures, requests = set(), {}
    for line in ndjson.read_text(encoding="utf-8").splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        answered = sum(1 for i in recorder.get("interactions", {}).values() if i.get("response") is not None)
        requests[finished["phase"]] = requests.get(finished["phase"], 0) + answered
        for nodes in recorder.get("checks", {}).values():
            for node in nodes:
                failure = (node.get("failure_info") or {}).get("failure")
                if node.get("status") == "failure" and failure:
                    failures.add((failure["code"], failure["operation"]))
    return failures, {phase: n for phase, n in requests.items() if n}


@pytest.mark.slow
@pytest.mark.live
def test_the_first_pass_is_the_schemathesis_cli_run_and_repeats_stop_the_second(drifted_run, tmp_path):
    """The first pass sends what the Schemathesis CLI alone sends on the same service and seed,
    phase by phase, stateful included, and so finds every failure it finds. The keep-going pass
    after it runs on past the first failure (what the first pass sent is answered from it);
    --max-repeats (default 3) ends an operation's phase there once that many error answers
    brought no new failure: fewer requests than never stopping (the module's run). The drifted
    PATCH answers 501 to everything."""
    _, everything, *_ = drifted_run
    with running("drifted", token=SECRET_TOKEN) as service:
        result = _fuzz(service.base_url, "--header", f"Authorization: Bearer {SECRET_TOKEN}", "--format", "json")
    with running("drifted", token=SECRET_TOKEN) as service:
        cli, cli_requests = _schemathesis_cli_run(service.base_url, tmp_path)
    report = json.loads(result.out)
    by_phase = report["stats"]["requests_by_phase"]
    assert {phase: n for phase, n in by_phase.items() if phase != "keep-going"} == cli_requests
    assert by_phase["keep-going"] > 0 and everything["stats"]["requests_by_phase"]["keep-going"] > by_phase["keep-going"]
    assert report["stats"]["replayed"] > 0  # requests the first pass sent are answered from it, not sent again
    assert cli and cli <= _failures(report), cli - _failures(report)
    assert report["stats"]["max_repeats"] == 3
    assert any("PATCH /v1/items/{itemId}" in s for s in report["stats"]["saturated"]), report["stats"]["saturated"]
    assert not everything["stats"]["saturated"]
    assert report["stats"]["requests"] < everything["stats"]["requests"]
