"""Baselines: `auditor baseline` records the findings, `lint --baseline` hides them (counted as
baselined) so only new findings fail; fingerprints survive unrelated edits; entries that no
longer match come back as `baseline/stale-entry` at their line in the baseline file."""

from __future__ import annotations

import json

from auditor.baseline_file import Baseline, Entry, apply
from auditor.model import Finding, Location, Report, Severity

SPEC = """openapi: 3.0.3
info:
  title: Baseline fixture
paths:
  /pets:
    get:
      operationId: listPets
      parameters:
        - {name: q, in: nowhere, schema: {type: string}}
      responses:
        "200": {description: ok}
  /owners:
    get:
      operationId: listOwners
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Owner"}
components:
  schemas:
    Pet: {type: object}
"""

# the same document after unrelated edits: comment and blank lines inserted above everything,
# paths reordered, keys inside operations and at the top level reordered, a new valid path added
EDITED = """# a comment block added at the top
# that moves every line down


openapi: 3.0.3
components:
  schemas:
    Pet: {type: object}
    Toy: {type: string}
info:
  title: Baseline fixture
paths:
  /toys:
    get:
      operationId: listToys
      responses:
        "200": {description: toys}
  /owners:
    get:
      responses:
        "200":
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Owner"}
          description: ok
      operationId: listOwners
  /pets:
    get:
      responses:
        "200": {description: ok}
      parameters:
        - {schema: {type: string}, in: nowhere, name: q}
      operationId: listPets
"""


def _baseline(cli, spec, out, *extra):
    r = cli(["baseline", str(spec), "-o", str(out), "--pack", "minimal", *extra])
    assert r.code == 0, r.err
    return json.loads(out.read_text())


def _lint(cli, spec, baseline, *extra):
    r = cli(["lint", str(spec), "--pack", "minimal", "-f", "json", "--baseline", str(baseline), *extra])
    return r.code, json.loads(r.out) if r.out else None, r.err


def test_baseline_records_findings_for_people_and_machines(cli, write, tmp_path):
    spec = write("openapi.yaml", SPEC)
    data = _baseline(cli, spec, tmp_path / "auditor-baseline.json")
    assert data["auditor_baseline"] == 1
    entries = data["entries"]
    assert {e["rule"] for e in entries} == {"contract/spec-valid", "contract/ref-resolvable"}
    for e in entries:
        assert e["fingerprint"] and e["file"].endswith("openapi.yaml") and e["pointer"].startswith("/") and e["message"]


def test_baseline_hides_recorded_findings(cli, write, tmp_path):
    spec = write("openapi.yaml", SPEC)
    before = cli(["lint", str(spec), "--pack", "minimal", "-f", "json"])
    assert before.code == 1
    found = json.loads(before.out)["findings"]
    bl = tmp_path / "bl.json"
    _baseline(cli, spec, bl)
    code, report, _ = _lint(cli, spec, bl)
    assert code == 0
    assert report["findings"] == [] and report["summary"]["baselined"] == len(found) > 0
    assert report["baselined"] == found  # the JSON report lists them, as it lists suppressed ones


def test_fingerprints_survive_unrelated_edits(cli, write, tmp_path):
    spec = write("openapi.yaml", SPEC)
    bl = tmp_path / "bl.json"
    recorded = _baseline(cli, spec, bl)["entries"]
    spec.write_text(EDITED, encoding="utf-8")
    code, report, err = _lint(cli, spec, bl)
    assert code == 0, (err, report)
    assert report["findings"] == []  # nothing new, nothing stale
    assert report["summary"]["baselined"] == len(recorded)


def test_new_problem_fails_and_removed_problem_is_stale(cli, write, tmp_path):
    spec = write("openapi.yaml", SPEC)
    bl = tmp_path / "bl.json"
    recorded = _baseline(cli, spec, bl)["entries"]
    fixed_and_new = SPEC.replace("in: nowhere", "in: query").replace("operationId: listOwners", "operationId: listPets")
    spec.write_text(fixed_and_new, encoding="utf-8")
    code, report, _ = _lint(cli, spec, bl)
    assert code == 1
    by_rule: dict[str, list] = {}
    for f in report["findings"]:
        by_rule.setdefault(f["rule"], []).append(f)
    new = by_rule["contract/spec-valid"]
    assert len(new) == 1 and "not unique" in new[0]["message"]  # the new one
    stale = by_rule["baseline/stale-entry"]
    assert len(stale) == 1 and stale[0]["severity"] == "info"
    index = next(i for i, e in enumerate(recorded) if "/parameters/0" in e["pointer"])
    loc = stale[0]["location"]
    assert loc["file"] == str(bl) and loc["pointer"] == f"/entries/{index}"
    # the line of that entry's opening brace in the baseline file
    lines = bl.read_text().splitlines()
    assert lines[loc["line"] - 1].strip() == "{" and recorded[index]["fingerprint"] in lines[loc["line"]]
    assert "matches no finding any more" in stale[0]["message"] and stale[0]["hint"]
    assert report["summary"]["baselined"] == len(recorded) - 1


def test_stale_entries_fail_only_with_fail_on_info(cli, write, tmp_path):
    spec = write("openapi.yaml", SPEC)
    bl = tmp_path / "bl.json"
    _baseline(cli, spec, bl)
    spec.write_text(SPEC.replace("in: nowhere", "in: query").replace('{$ref: "#/components/schemas/Owner"}', "{type: object}"))
    assert _lint(cli, spec, bl)[0] == 0
    assert _lint(cli, spec, bl, "--fail-on", "info")[0] == 1


def test_run_limited_to_some_rules_does_not_call_other_entries_stale(cli, write, tmp_path):
    spec = write("openapi.yaml", SPEC)
    bl = tmp_path / "bl.json"
    _baseline(cli, spec, bl)
    code, report, _ = _lint(cli, spec, bl, "--rule", "contract/ref-resolvable")
    assert code == 0 and report["findings"] == [] and report["summary"]["baselined"] == 1


def test_identical_findings_need_one_entry_each():
    f = Finding("contract/spec-valid", Severity.ERROR, "same", "h", location=Location("a.yaml", "/x", 1, 1))
    other = Finding("contract/spec-valid", Severity.ERROR, "other", "h", location=Location("a.yaml", "/y", 2, 1))
    report = Report(command="lint", findings=(f, f, other))
    out = apply(report, Baseline("bl.json", (Entry(f.fingerprint, f.rule, "/entries/0"), Entry(other.fingerprint, other.rule, "/entries/1"))))
    assert out.findings == (f,) and out.baselined == (f, other)


def test_bad_baseline_files_are_input_errors(cli, write, tmp_path):
    spec = write("openapi.yaml", SPEC)
    missing = cli(["lint", str(spec), "--baseline", str(tmp_path / "nope.json")])
    assert missing.code == 2 and "baseline file not found" in missing.err and "auditor baseline" in missing.err
    wrong = write("wrong.json", '{"findings": []}')
    r = cli(["lint", str(spec), "--baseline", str(wrong)])
    assert r.code == 2 and "not an auditor baseline" in r.err and "Traceback" not in r.err
    broken = write("broken.json", '{"auditor_baseline": 1, "entries": [')
    r = cli(["lint", str(spec), "--baseline", str(broken)])
    assert r.code == 2 and "cannot read the baseline" in r.err


def test_baseline_to_stdout_and_missing_folder(cli, write, tmp_path):
    spec = write("openapi.yaml", SPEC)
    r = cli(["baseline", str(spec), "-o", "-", "--pack", "minimal"])
    assert r.code == 0 and json.loads(r.out)["entries"]
    r = cli(["baseline", str(spec), "-o", str(tmp_path / "no" / "such" / "bl.json")])
    assert r.code == 2 and "folder does not exist" in r.err


def test_stale_rule_is_documented(cli):
    r = cli(["rules", "baseline/stale-entry"])
    assert r.code == 0 and "What it checks" in r.out


def test_shared_node_keeps_its_fingerprint_when_another_operation_uses_it(cli, write, tmp_path):
    """A problem in a shared component first used by one operation (finding names it), then by
    two (finding lists both in evidence): still the same finding for the baseline."""
    one = """openapi: 3.0.3
info: {title: T, version: '1'}
paths:
  /pets:
    get:
      responses:
        "200": {$ref: "#/components/responses/Ok"}
components:
  responses:
    Ok: {}
"""
    two = one.replace(
        "components:",
        """  /owners:
    get:
      responses:
        "200": {$ref: "#/components/responses/Ok"}
components:""",
    )
    spec = write("openapi.yaml", one)
    bl = tmp_path / "bl.json"
    assert cli(["baseline", str(spec), "-o", str(bl), "--pack", "strict"]).code == 0
    entries = json.loads(bl.read_text())["entries"]
    # the scenario is exercised: some rule reports the shared response once, naming its one operation
    assert any(e["pointer"] == "/components/responses/Ok" and e["operation"] == "GET /pets" for e in entries)
    spec.write_text(two, encoding="utf-8")
    r = cli(["lint", str(spec), "--pack", "strict", "-f", "json", "--baseline", str(bl)])
    report = json.loads(r.out)
    shared_now = [f for f in report["findings"] if f["location"] and f["location"]["pointer"] == "/components/responses/Ok"]
    assert shared_now == [] and not any(f["rule"] == "baseline/stale-entry" for f in report["findings"])


def test_fingerprint_ignores_operation_for_located_static_findings_only():
    from auditor.model import Operation, Source

    at = Location("a.yaml", "/components/schemas/Pet", 3, 5)
    lone = Finding("x/y", Severity.WARN, "m", "h", operation=Operation("GET", "/pets"), location=at)
    shared = Finding("x/y", Severity.WARN, "m", "h", operation=None, location=at, evidence={"operations": ["GET /pets", "GET /owners"]})
    assert lone.fingerprint == shared.fingerprint
    live_a = Finding("x/y", Severity.WARN, "m", "h", source=Source.LIVE, operation=Operation("GET", "/pets"), location=at)
    live_b = Finding("x/y", Severity.WARN, "m", "h", source=Source.LIVE, operation=Operation("GET", "/owners"), location=at)
    assert live_a.fingerprint != live_b.fingerprint


def test_fingerprints_do_not_depend_on_where_the_spec_is_checked_out(tmp_path):
    """A baseline made on a laptop must match in CI, where the repository sits elsewhere: no
    message may carry an absolute path (a $ref into a missing node named the whole path)."""
    import shutil

    from conftest import FIXTURES

    from auditor import api

    prints = []
    for checkout in ("laptop/work/repo", "ci/runner/_work/repo"):
        folder = tmp_path / checkout
        shutil.copytree(FIXTURES / "multifile", folder)
        (folder / "shared" / "b.yaml").write_text((folder / "shared" / "b.yaml").read_text() + "\nbroken: {$ref: '../../outside.yaml#/x'}\n")
        report = api.lint([str(folder / "openapi.yaml")])
        assert any(f.rule == "contract/ref-resolvable" for f in report.findings)
        assert not any(str(tmp_path) in f.message for f in report.findings)
        prints.append(sorted(f.fingerprint for f in report.findings))
    assert prints[0] == prints[1]
