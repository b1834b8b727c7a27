"""`--shard I/N` (a share of the operations for each job of a CI matrix) and `auditor merge` (the
shard reports joined into one report and one exit code).

The shards of a document partition its operations, evenly enough, and an operation keeps its
shard when others are added; a sharded fuzz run of the bundled service (for real, on a free port)
tests every operation exactly once and its merged report holds exactly the union of the shards'
findings. Bad input (a shard spec, a report set that cannot be merged) is one line and exit 2."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli, sample_documents

from auditor.baseline_file import STALE_RULE
from auditor.document.document import Document
from auditor.exceptions import UsageError
from auditor.live.select import Shard, select
from auditor.merge import ReportFile, join_stats, merge
from auditor.model import Finding, Operation, Severity, Source
from fixtures.service import SPEC, TOKEN, running

AUTH = f"Authorization: Bearer {TOKEN}"


def _operations(document: Document) -> set[tuple[str, str]]:
    return {(op.method.upper(), op.path) for op in document.operations()}


def _generated(write, name: str, paths: range) -> Document:
    ok = {"responses": {"200": {"description": "ok"}}}
    doc = {"openapi": "3.0.3", "info": {"title": "G", "version": "1.0.0"}, "paths": {f"/r{i}": {"get": ok, "post": ok, "delete": ok} for i in paths}}
    return Document.load(str(write(name, json.dumps(doc))))


# --- which operations a shard holds ----------------------------------------------------------


@pytest.mark.parametrize("path", [SPEC, *sample_documents()], ids=lambda p: p.name)
def test_the_shards_partition_the_operations(path):
    document = Document.load(str(path))
    every = _operations(document)
    assert select(document, [], []) is None  # no shard, no selector: every operation
    for count in (1, 2, 3, 5):
        shards = [select(document, [], [], Shard(i, count)) for i in range(1, count + 1)]
        assert set().union(*shards) == every
        assert sum(len(s) for s in shards) == len(every)  # each operation in exactly one shard


def test_the_shards_are_balanced_and_an_operation_keeps_its_shard_when_others_are_added(write):
    document = _generated(write, "a.json", range(400))
    grown = _generated(write, "b.json", range(-150, 550))  # 300 more paths, before and after
    every = _operations(document)
    sizes = []
    for i in range(1, 5):
        mine = select(document, [], [], Shard(i, 4))
        sizes.append(len(mine))
        assert select(grown, [], [], Shard(i, 4)) & every == mine
    assert sum(sizes) == 1200 and all(240 <= n <= 360 for n in sizes), sizes  # 300 each, give or take four standard deviations


def test_a_shard_is_taken_from_what_include_and_exclude_leave(write):
    document = _generated(write, "a.json", range(40))
    for i in (1, 2, 3):
        picked = select(document, ["GET", "POST"], ["/r1*"], Shard(i, 3))
        assert picked == select(document, ["GET", "POST"], ["/r1*"]) & select(document, [], [], Shard(i, 3))


@pytest.mark.parametrize("spec", ["3/2", "0/2", "1/0", "2", "a/b", "1/2/3", "-1/2", ""])
@pytest.mark.parametrize("command", ["fuzz", "audit"])
def test_a_bad_shard_is_one_line_with_a_hint(cli, command, spec):
    r = cli([command, str(SPEC), "--base-url", "http://127.0.0.1:9", "--shard", spec])
    assert r.code == 2
    first, hint = r.err.splitlines()
    assert first == f"auditor: error: invalid --shard {spec!r}" and hint.startswith("  hint: use I/N")
    with pytest.raises(UsageError):
        Shard.parse(spec)


def test_a_bad_shard_is_refused_by_audit_without_a_base_url(cli):
    r = cli(["audit", str(SPEC), "--shard", "3/2"])
    assert r.code == 2 and r.err.startswith("auditor: error: invalid --shard '3/2'")


def test_an_empty_shard_is_an_empty_report_and_sends_nothing(cli):
    document = Document.load(str(SPEC))
    index = next(i for i in range(1, 51) if not select(document, [], [], Shard(i, 50)))
    r = cli(["fuzz", str(SPEC), "--base-url", "http://127.0.0.1:9", "--shard", f"{index}/50", "-f", "json"])  # nothing listens there
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert report["findings"] == [] and report["stats"]["shard"] == f"{index}/50" and report["stats"]["operations_tested"] == 0


# --- a sharded fuzz run of the bundled service, merged ---------------------------------------


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    out = tmp_path_factory.mktemp("shards")
    common = ["--seed", "1", "--max-examples", "5", "--workers", "1", "--header", AUTH, "-f", "json"]
    with running("drifted") as service:
        whole = run_cli(["fuzz", str(SPEC), "--base-url", service.base_url, *common])
        shards = [
            run_cli(["fuzz", str(SPEC), "--base-url", service.base_url, "--shard", f"{i}/3", *common, "-o", str(out / f"shard-{i}.json")]) for i in (1, 2, 3)
        ]
    merged = run_cli(["merge", str(out / "shard-*.json"), "-f", "json", "-o", f"sarif={out / 'merged.sarif'}"])  # a glob, as a CI step gives it
    reports = [json.loads((out / f"shard-{i}.json").read_text(encoding="utf-8")) for i in (1, 2, 3)]
    return whole, shards, reports, merged, out


def test_the_shards_test_every_operation_once(sharded):
    whole, shards, reports, *_ = sharded
    assert whole.code == 1 and [r.code for r in shards] == [1 if rep["findings"] else 0 for rep in reports]
    document = Document.load(str(SPEC))
    assert sum(rep["stats"]["operations_tested"] for rep in reports) == json.loads(whole.out)["stats"]["operations_tested"] == len(_operations(document))
    for i, rep in enumerate(reports, 1):
        assert rep["stats"]["shard"] == f"{i}/3"
        mine = select(document, [], [], Shard(i, 3))
        assert {(f["operation"]["method"], f["operation"]["path"]) for f in rep["findings"] if f["operation"]} <= mine


def test_the_merged_report_is_the_union_of_the_shards(sharded):
    _, shards, reports, merged, out = sharded
    assert merged.code == 1, merged.err
    report = json.loads(merged.out)
    union = Counter(f["fingerprint"] for rep in reports for f in rep["findings"])
    assert Counter(f["fingerprint"] for f in report["findings"]) == union
    assert sorted(json.dumps(f, sort_keys=True) for f in report["findings"]) == sorted(
        json.dumps(f, sort_keys=True) for rep in reports for f in rep["findings"]
    )
    assert report["command"] == "fuzz" and report["documents"] == reports[0]["documents"]
    stats = report["stats"]
    assert stats["requests"] == sum(rep["stats"]["requests"] for rep in reports)
    assert stats["operations_tested"] == stats["operations_total"] == 8 and stats["seed"] == 1 and "shard" not in stats
    assert [s["stats"] for s in stats["shards"]] == [rep["stats"] for rep in reports]
    sarif = json.loads((out / "merged.sarif").read_text(encoding="utf-8"))
    assert len(sarif["runs"][0]["results"]) == len(report["findings"])


def test_merge_refuses_an_incomplete_or_mixed_set_of_shards(sharded, tmp_path):
    *_, out = sharded
    one, two, three = (str(out / f"shard-{i}.json") for i in (1, 2, 3))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**json.loads(Path(three).read_text(encoding="utf-8")), "stats": {"shard": "3/4"}}), encoding="utf-8")
    lint = tmp_path / "lint.json"
    run_cli(["lint", str(SPEC), "-f", "json", "-o", str(lint)])
    copy = shutil.copy(one, tmp_path / "again.json")
    for args, message in (
        ([one, two], "shard 3/3 missing: the merged report would leave operations untested"),
        ([one, two, str(other)], "the reports come from runs split 3 and 4 ways"),
        ([one, two, three, str(copy)], f"{copy}: shard 1/3 is also {one}"),
    ):
        r = run_cli(["merge", *args])
        assert r.code == 2 and r.err.splitlines()[0] == f"auditor: error: {message}" and "hint:" in r.err, r.err


def test_a_sharded_audit_merges_into_one_report_with_every_operation(tmp_path):
    args = ["--seed", "1", "--max-examples", "3", "--phases", "examples,coverage", "--header", AUTH, "-f", "json"]
    with running("drifted") as service:
        shards = [
            run_cli(["audit", str(SPEC), "--base-url", service.base_url, "--shard", f"{i}/2", *args, "-o", f"json={tmp_path / f'{i}.json'}"]) for i in (1, 2)
        ]
    assert [r.code for r in shards] == [1, 1], [r.err for r in shards]
    reports = [json.loads(r.out) for r in shards]
    assert [rep["stats"]["live"]["shard"] for rep in reports] == ["1/2", "2/2"]
    merged = run_cli(["merge", str(tmp_path / "1.json"), str(tmp_path / "2.json"), "-f", "json", "-o", f"console={tmp_path / 'merged.txt'}"])
    assert merged.code == 1, merged.err
    report = json.loads(merged.out)
    static = [f for f in reports[0]["findings"] if f["source"] == "lint"]
    assert static == [f for f in reports[1]["findings"] if f["source"] == "lint"]  # every shard lints the whole document ...
    assert Counter(f["fingerprint"] for f in report["findings"] if f["source"] == "lint") == Counter(f["fingerprint"] for f in static)  # ... kept once
    one, two = (Counter(f["fingerprint"] for f in rep["findings"] if f["source"] == "live") for rep in reports)
    assert Counter(f["fingerprint"] for f in report["findings"] if f["source"] == "live") == one | two  # a multiset union (health probes are in both)
    assert report["stats"]["live"]["operations_tested"] == 8
    assert {row["operation"] for row in report["stats"]["operations"]} == {f"{m} {p}" for m, p in _operations(Document.load(str(SPEC)))}
    console = (tmp_path / "merged.txt").read_text(encoding="utf-8")
    assert "operation " in console and "latency (ms)" in console


# --- merge: reports of separate runs, and bad input -------------------------------------------


@pytest.fixture
def lint_reports(cli, tmp_path):
    paths = []
    for name, spec in (("a.json", FIXTURES / "demo" / "openapi.yaml"), ("b.json", sample_documents()[0])):
        paths.append(tmp_path / name)
        assert cli(["lint", str(spec), "-f", "json", "-o", str(paths[-1])]).code == 1
    return paths


def test_merge_joins_the_documents_and_findings_of_separate_runs(cli, lint_reports, tmp_path):
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in lint_reports)
    r = cli(["merge", *map(str, lint_reports), "-f", "json"])
    assert r.code == 1
    merged = json.loads(r.out)
    assert merged["documents"] == a["documents"] + b["documents"]
    assert Counter(f["fingerprint"] for f in merged["findings"]) == Counter(f["fingerprint"] for f in a["findings"] + b["findings"])
    assert merged["summary"]["error"] == a["summary"]["error"] + b["summary"]["error"]
    assert cli(["merge", *map(str, lint_reports), "--fail-on", "never"]).code == 0
    again = shutil.copy(lint_reports[0], tmp_path / "again.json")  # the same findings twice are kept once
    twice = json.loads(cli(["merge", str(lint_reports[0]), str(again), "-f", "json"]).out)
    assert Counter(f["fingerprint"] for f in twice["findings"]) == Counter(f["fingerprint"] for f in a["findings"])


def _edited(path: Path, tmp_path: Path, **changes) -> str:
    data = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key == "tool_version":
            data["tool"]["version"] = value
        else:
            data[key] = value
    out = tmp_path / f"edited-{len(list(tmp_path.iterdir()))}.json"
    out.write_text(json.dumps(data), encoding="utf-8")
    return str(out)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("version", "auditor version '9.9.9' differs from '0.1.0' in {a}"),
        ("schema", "the report has schema_version 2; this auditor merges schema_version 1"),
        ("command", "command 'fuzz' differs from 'lint' in {a}"),
        ("glob", "no report matches '{dir}/nothing-*.json'"),
        ("missing", "report not found"),
        ("not-json", "not a JSON report"),
        ("not-a-report", "not an auditor JSON report (no `schema_version`, `tool` and `command`)"),
        ("malformed", "malformed report (KeyError: 'severity')"),
    ],
)
def test_reports_that_cannot_be_merged_are_one_line_with_a_hint(cli, lint_reports, tmp_path, case, message):
    a = str(lint_reports[0])
    other = {
        "version": lambda: _edited(lint_reports[1], tmp_path, tool_version="9.9.9"),
        "schema": lambda: _edited(lint_reports[1], tmp_path, schema_version=2),
        "command": lambda: _edited(lint_reports[1], tmp_path, command="fuzz"),
        "glob": lambda: str(tmp_path / "nothing-*.json"),
        "missing": lambda: str(tmp_path / "missing.json"),
        "not-json": lambda: str(shutil.copy(SPEC, tmp_path / "spec.json")),
        "not-a-report": lambda: _edited(lint_reports[1], tmp_path, tool={}),
        "malformed": lambda: _edited(lint_reports[1], tmp_path, findings=[{"rule": "x", "message": "m"}]),
    }[case]()
    r = cli(["merge", a, other])
    assert r.code == 2
    first, hint = r.err.splitlines()
    assert message.format(a=a, dir=tmp_path) in first and first.startswith("auditor: error: ") and hint.startswith("  hint: ")


def test_a_stale_baseline_entry_that_another_shard_matched_is_dropped():
    """Each shard sees only its own operations' live findings, so a baseline given to every
    shard calls the other shards' entries stale; merged, an entry is stale only if no shard
    matched it."""
    live = Finding("reliability/server-error", Severity.ERROR, "500", "h", Source.LIVE, Operation("GET", "/a"))
    stale = Finding(STALE_RULE, Severity.INFO, "stale", "h", evidence={"fingerprint": live.fingerprint})
    really_stale = Finding(STALE_RULE, Severity.INFO, "stale too", "h", evidence={"fingerprint": "0" * 20})

    def report(shard: str, findings=(), baselined=()):
        data = {"schema_version": 1, "tool": {"name": "auditor", "version": "0.1.0"}, "command": "fuzz", "documents": []}
        return {**data, "findings": [f.to_dict() for f in findings], "baselined": [f.to_dict() for f in baselined], "stats": {"shard": shard}}

    merged = merge([ReportFile("1.json", report("1/2", [stale, really_stale])), ReportFile("2.json", report("2/2", [really_stale], [live]))])
    assert merged.findings == (really_stale,) and merged.baselined == (live,)


def test_stats_add_up_and_wall_times_are_the_longest():
    fuzz = [
        {"shard": "1/2", "seed": 7, "requests": 10, "elapsed_s": 2.0, "phases": {"examples": "success"}, "findings_by_rule": {"a": 1}, "base_url": "u"},
        {"shard": "2/2", "seed": 8, "requests": 5, "elapsed_s": 3.5, "phases": {"examples": "failure"}, "findings_by_rule": {"a": 2, "b": 1}, "base_url": "u"},
    ]
    assert join_stats(fuzz) == {
        "requests": 15,
        "elapsed_s": 3.5,
        "phases": {"examples": "success, failure"},
        "findings_by_rule": {"a": 3, "b": 1},
        "base_url": "u",
    }
    audit = [
        {
            "operations": [{"operation": "GET /a", "static": 2, "live": 1, "p95_ms": 4.0}, {"operation": "GET /b", "static": 1, "live": 0}],
            "latency": {"GET /a": {"requests": 9, "p95_ms": 4.0}},
        },
        {
            "operations": [{"operation": "GET /a", "static": 2, "live": 0}, {"operation": "GET /b", "static": 1, "live": 3, "p95_ms": 6.0}],
            "latency": {"GET /b": {"requests": 4, "p95_ms": 6.0}},
        },
    ]
    assert join_stats(audit) == {
        "operations": [{"operation": "GET /a", "static": 2, "live": 1, "p95_ms": 4.0}, {"operation": "GET /b", "static": 1, "live": 3, "p95_ms": 6.0}],
        "latency": {"GET /a": {"requests": 9, "p95_ms": 4.0}, "GET /b": {"requests": 4, "p95_ms": 6.0}},
    }
