"""Many documents in one run: patterns expanded by auditor, `--jobs N` worker processes, one
report in a deterministic order (the same as `--jobs 1`), unreadable documents named on stderr
while the others are linted (exit 2)."""

from __future__ import annotations

import json
import os

import pytest
from conftest import CORPUS, FIXTURES

from auditor import catalogue, parallel

SPEC = """openapi: 3.0.3
info: {{title: {title}, version: 1.0.0}}
paths:
  /items:
    get:
      responses:
        "200": {{description: ok}}
"""
# a spread of real documents (YAML and JSON, 2.0 / 3.0 / 3.1, multi-file, large and small)
CORPUS_SAMPLE = [
    "OAI__OpenAPI-Specification/examples/v2.0/yaml/petstore-separate/spec/swagger.yaml",
    "APIs-guru__unofficial_openapi_specs/bufferapp.com/1/swagger.yaml",
    "twilio__twilio-oai/spec/yaml/twilio_bulkexports_v1.yaml",
    "sendgrid__sendgrid-oai/oas_v3.json",
    "opensearch-project__opensearch-api-specification/spec/namespaces/knn.yaml",
    "ga4gh__data-repository-service-schemas/openapi/data_repository_service.openapi.yaml",
    "Adyen__adyen-openapi/json/BinLookupService-v54.json",
]


def _specs(write, names: list[str]) -> None:
    for i, name in enumerate(names):
        write(name, SPEC.format(title=f"API {i}"))


def _paths(out: str) -> list[str]:
    return [d["path"] for d in json.loads(out)["documents"]]


def test_patterns_are_expanded_by_auditor_and_sorted(cli, write, tmp_path, monkeypatch):
    _specs(write, ["specs/b/two.yaml", "specs/a/one.yaml", "specs/a/deep/three.yaml", "specs/notes.txt", "top.yaml"])
    (tmp_path / "specs" / "dir.yaml").mkdir()  # a folder the pattern matches is not a document
    monkeypatch.chdir(tmp_path)
    r = cli(["lint", "specs/**/*.yaml", "top.yaml", "--pack", "minimal", "-f", "json"])
    assert r.code == 0, r.err
    assert _paths(r.out) == ["specs/a/deep/three.yaml", "specs/a/one.yaml", "specs/b/two.yaml", "top.yaml"]
    r = cli(["lint", "specs/*/*.yaml", "specs/a/*.yaml", "--pack", "minimal", "-f", "json"])  # each document once
    assert _paths(r.out) == ["specs/a/one.yaml", "specs/b/two.yaml"]


def test_a_pattern_that_matches_nothing_is_an_input_error(cli, write, tmp_path, monkeypatch):
    _specs(write, ["specs/a.yaml"])
    monkeypatch.chdir(tmp_path)
    r = cli(["lint", "specs/a.yaml", "specs/**/*.json"])
    assert r.code == 2 and r.out == ""
    assert r.err.startswith("auditor: error: specs/**/*.json: no file matches this pattern\n  hint: ")
    assert len(r.err.splitlines()) == 2


def test_a_file_whose_name_looks_like_a_pattern_is_taken_as_written(cli, write, tmp_path, monkeypatch):
    _specs(write, ["api[v1].yaml", "apiv.yaml"])
    monkeypatch.chdir(tmp_path)
    r = cli(["lint", "api[v1].yaml", "--pack", "minimal", "-f", "json"])
    assert _paths(r.out) == ["api[v1].yaml"]


@pytest.mark.corpus
@pytest.mark.slow
def test_jobs_2_gives_the_report_of_jobs_1(cli, write, tmp_path):
    """The same JSON report, byte for byte, with documents linted in worker processes, in the
    order given (not the order the workers finish: the largest documents start first)."""
    paths = [str(FIXTURES / "multifile" / "openapi.yaml"), str(FIXTURES / "demo" / "openapi.yaml")]
    paths += [str(CORPUS / p) for p in CORPUS_SAMPLE if (CORPUS / p).is_file()]
    paths.append(str(write("broken.yaml", "openapi: [")))
    paths.append(str(write("small.yaml", SPEC.format(title="small"))))
    one = cli(["lint", *paths, "-f", "json", "--jobs", "1"])
    two = cli(["lint", *paths, "-f", "json", "--jobs", "2"])
    assert one.code == two.code == 2  # broken.yaml
    assert one.out == two.out and one.err == two.err
    assert _paths(two.out) == [p for p in paths if not p.endswith("broken.yaml")]
    assert len(json.loads(one.out)["findings"]) > 100


def test_an_unreadable_document_among_several_is_named_and_the_others_are_linted(cli, write):
    good = write("good.yaml", SPEC.format(title="good"))
    broken = write("broken.yaml", "openapi: 3.0.3\ninfo: [")
    not_openapi = write("notes.yaml", "title: not an API\n")
    for jobs in ("1", "2"):
        r = cli(["lint", str(good), str(broken), str(not_openapi), "--pack", "minimal", "-f", "json", "--jobs", jobs])
        assert r.code == 2
        report = json.loads(r.out)
        assert _paths(r.out) == [str(good)]
        assert [e["path"] for e in report["errors"]] == [str(broken), str(not_openapi)]
        lines = r.err.splitlines()
        assert lines[0].startswith(f"auditor: error: {broken}: invalid YAML") and lines[1].startswith("  hint: ")
        assert lines[2] == f"auditor: error: {not_openapi}: not an OpenAPI document: no `openapi` or `swagger` key at the top"
        assert len(lines) == 4


def test_one_unreadable_document_alone_stops_as_before(cli, write):
    r = cli(["lint", str(write("broken.yaml", "openapi: [")), "-f", "json"])
    assert r.code == 2 and r.out == ""
    assert r.err.startswith("auditor: error: ") and "hint:" in r.err


def test_baseline_writes_nothing_when_a_document_cannot_be_read(cli, write, tmp_path):
    out = tmp_path / "baseline.json"
    r = cli(["baseline", str(write("good.yaml", SPEC.format(title="good"))), str(write("broken.yaml", "openapi: [")), "-o", str(out)])
    assert r.code == 2 and not out.exists()
    assert "broken.yaml: invalid YAML" in r.err and "no baseline written" in r.err


def test_standard_input_among_several_documents(cli, write):
    """`-` is read by the parent process (a worker's standard input is not the user's)."""
    path = write("a.yaml", SPEC.format(title="file"))
    r = cli(["lint", "-", str(path), "--pack", "minimal", "-f", "json", "--jobs", "2"], stdin=SPEC.format(title="stdin").encode())
    assert r.code == 0, r.err
    assert [d["title"] for d in json.loads(r.out)["documents"]] == ["stdin", "file"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="worker processes are forked")
def test_workers_never_split_a_document_and_jobs_1_runs_in_one_process():
    """The two levels of parallel work: inside a worker of several documents the in-document
    split is off; in a run of one document it is up to the machine; --jobs 1 turns it off."""
    parent = os.getpid()
    seen = catalogue.map_documents(["a", "b", "c"], lambda _: (os.getpid(), parallel.jobs()), jobs=2)
    assert all(pid != parent and jobs == 1 for pid, jobs in seen)
    assert catalogue.map_documents(["a"], lambda _: os.getpid(), jobs=2) == [parent]
    from auditor import api

    splits: list[int] = []
    original = parallel.map_split

    def spy(items, fn, **kwargs):
        splits.append(parallel.jobs())
        return original(items, fn, **kwargs)

    parallel.map_split = spy  # type: ignore[assignment]
    try:
        api.lint([str(FIXTURES / "demo" / "openapi.yaml")], api.LintOptions(jobs=1))
        api.lint([str(FIXTURES / "demo" / "openapi.yaml")], api.LintOptions(jobs=2))
    finally:
        parallel.map_split = original  # type: ignore[assignment]
    assert splits == [1, min(2, os.cpu_count() or 1)]
    assert parallel.jobs() == min(2, os.cpu_count() or 1)  # the limit is lifted after the run


def test_an_error_in_a_worker_stops_the_run_with_its_message():
    from auditor.exceptions import UsageError

    def fail(path: str) -> str:
        if path == "b":
            raise UsageError("bad option", hint="fix it")
        return path

    with pytest.raises(UsageError) as info:
        catalogue.map_documents(["a", "b", "c"], fail, jobs=2)
    assert (info.value.message, info.value.hint) == ("bad option", "fix it")
