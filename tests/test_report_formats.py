"""Reporters: every declared format renders; golden output per format on a three-file fixture;
SARIF validates against the official SARIF 2.1.0 schema; JUnit is well-formed XML with the usual
structure; the escaping each CI system needs; console colour only on a terminal.

Golden files live in tests/golden/multifile.<format>; after an intended change regenerate them
with `AUDITOR_UPDATE_GOLDEN=1 python -m pytest tests/test_report_formats.py` and review the diff.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import FIXTURES, ROOT

from auditor import __version__
from auditor.model import DocumentInfo, Finding, Location, Report, Severity
from auditor.report import FORMATS, RenderOptions, render

MULTIFILE = FIXTURES / "multifile"
GOLDEN = ROOT / "tests" / "golden"
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
ANSI = re.compile(r"\x1b\[")


def _finding(
    message="something is wrong",
    *,
    rule="contract/spec-valid",
    file="api/openapi.yaml",
    line=3,
    column=5,
    severity=Severity.ERROR,
    pointer="/paths/~1a/get",
    operation=None,
    hint="fix it",
) -> Finding:
    return Finding(rule, severity, message, hint, operation=operation, location=Location(file, pointer, line, column))


def _report(*findings: Finding, documents=("api/openapi.yaml",)) -> Report:
    return Report(command="lint", documents=tuple(DocumentInfo(p) for p in documents), findings=tuple(findings), tool_version=__version__)


def _lint_fixture(cli, monkeypatch, fmt: str) -> str:
    monkeypatch.chdir(MULTIFILE)
    r = cli(["lint", "openapi.yaml", "--pack", "minimal", "-f", fmt])
    assert r.code == 1, r.err
    return r.out.replace(str(MULTIFILE), "<DIR>").replace(__version__, "<VERSION>")


# --- every declared format is implemented --------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_declared_format_renders(fmt):
    full = _report(_finding(), _finding("minor", severity=Severity.INFO, line=None, column=None))
    for report in (full, _report()):
        text = render(report, fmt, RenderOptions())
        assert isinstance(text, str) and text.strip(), f"{fmt} rendered nothing"


def test_help_lists_every_format(cli):
    r = cli(["lint", "--help"])
    for fmt in FORMATS:
        assert fmt in r.out, f"--format help does not mention {fmt}"


# --- golden files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(set(FORMATS) - {"html"}))  # html: an outline, tests/test_report_html.py
def test_golden(cli, monkeypatch, fmt):
    got = _lint_fixture(cli, monkeypatch, fmt)
    path = GOLDEN / f"multifile.{fmt}"
    if os.environ.get("AUDITOR_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.is_file(), f"no golden file {path} (run with AUDITOR_UPDATE_GOLDEN=1 and review it)"
    assert got == path.read_text(encoding="utf-8")


def test_fixture_has_findings_in_three_files(cli, monkeypatch):
    data = json.loads(_lint_fixture(cli, monkeypatch, "json"))
    assert {f["location"]["file"] for f in data["findings"]} == {"openapi.yaml", "shared/b.yaml", "shared/c.yaml"}


# --- SARIF ----------------------------------------------------------------------------------------


def _sarif_validator():
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def test_sarif_validates_against_the_official_schema(cli, monkeypatch):
    log = json.loads(_lint_fixture(cli, monkeypatch, "sarif"))
    errors = list(_sarif_validator().iter_errors(log))
    assert not errors, [e.message for e in errors]
    assert log["version"] == "2.1.0"


def test_sarif_schema_rejects_a_broken_log():
    """The vendored schema really constrains: a result without a message is invalid."""
    assert list(_sarif_validator().iter_errors({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{}]}]}))


def test_sarif_content(cli, monkeypatch):
    log = json.loads(_lint_fixture(cli, monkeypatch, "sarif"))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"]
        assert r["helpUri"].startswith("https://") and r["id"].replace("/", "") in r["helpUri"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["partialFingerprints"]["auditorFingerprint/v1"]
        phys = res["locations"][0]["physicalLocation"]
        assert not phys["artifactLocation"]["uri"].startswith(("/", "file:"))
        assert phys["region"]["startLine"] >= 1 and phys["region"]["startColumn"] >= 1
    by_uri = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: res for res in run["results"]}
    assert by_uri["shared/c.yaml"]["locations"][0]["physicalLocation"]["region"] == {"startLine": 8, "startColumn": 9}


def test_sarif_paths_are_relative_to_the_base_dir_and_uri_encoded():
    f = _finding(file="/repo/api specs/open api.yaml")
    log = json.loads(render(_report(f), "sarif", RenderOptions(base_dir="/repo")))
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "api%20specs/open%20api.yaml"
    outside = json.loads(render(_report(f), "sarif", RenderOptions(base_dir="/elsewhere")))
    assert outside["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "file:///repo/api%20specs/open%20api.yaml"
    assert not list(_sarif_validator().iter_errors(log))


# --- JUnit ----------------------------------------------------------------------------------------


def test_junit_structure(cli, monkeypatch):
    root = ET.fromstring(_lint_fixture(cli, monkeypatch, "junit").encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["openapi.yaml", "shared/b.yaml", "shared/c.yaml"]
    failures = 0
    for suite in suites:
        cases = suite.findall("testcase")
        assert cases and int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(len(c.findall("failure")) for c in cases)
        for case in cases:
            assert case.get("classname") == suite.get("name") and "/" in case.get("name")  # rule id
            for failure in case.findall("failure"):
                assert failure.get("message") and failure.get("type") in ("error", "warn", "info")
                assert failure.text.startswith(f"{suite.get('name')}:")
        failures += int(suite.get("failures"))
    assert int(root.get("failures")) == failures == 4


def test_junit_escapes_control_characters_and_markup():
    f = _finding('bad \x07bell \x1b[31mred\x1b[0m & <tag> "q" \ud800 end')
    text = render(_report(f), "junit", RenderOptions())
    root = ET.fromstring(text.encode("utf-8"))  # well-formed XML despite the input
    failure = root.find("testsuite/testcase/failure")
    assert failure.get("message") == 'bad \\x07bell \\x1b[31mred\\x1b[0m & <tag> "q" \\ud800 end'


def test_junit_clean_document_is_one_passing_case():
    root = ET.fromstring(render(_report(), "junit", RenderOptions()).encode())
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 1 and not cases[0].findall("failure") and root.get("failures") == "0"


# --- GitHub ---------------------------------------------------------------------------------------


def test_github_workflow_command_escaping():
    f = _finding("100% broken,\r\nsecond: line", file="/repo/dir,x/a:b.yaml", line=7, column=2, hint="")
    out = render(_report(f), "github", RenderOptions(base_dir="/repo"))
    first = out.splitlines()[0]
    # a carriage return is shown as \x0d by the finding model (it could overwrite a terminal line)
    assert first == "::error file=dir%2Cx/a%3Ab.yaml,line=7,col=2,title=contract/spec-valid (error)::100%25 broken,\\x0d%0Asecond: line"


def test_github_levels_and_no_location():
    warn = _finding("w", severity=Severity.WARN)
    info = Finding("contract/spec-valid", Severity.INFO, "i", "h")
    lines = render(_report(warn, info, documents=("a.yaml", "b.yaml")), "github", RenderOptions()).splitlines()
    assert lines[0].startswith("::warning file=api/openapi.yaml,line=3,col=5,")
    assert lines[1].startswith("::notice title=")  # no location and several documents: no file
    assert lines[-1].startswith("auditor: 2 findings")


# --- GitLab ---------------------------------------------------------------------------------------


def test_gitlab_code_quality(cli, monkeypatch):
    issues = json.loads(_lint_fixture(cli, monkeypatch, "gitlab"))
    assert len(issues) == 4
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["path"] and issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_fingerprints_unique_for_identical_findings():
    f = _finding()
    issues = json.loads(render(_report(f, f, _finding(severity=Severity.INFO)), "gitlab", RenderOptions()))
    fps = [i["fingerprint"] for i in issues]
    assert fps[0] == f.fingerprint and fps[1] == f"{f.fingerprint}-2" and len(set(fps)) == 3
    assert [i["severity"] for i in issues] == ["major", "major", "info"]


# --- Markdown -------------------------------------------------------------------------------------


def test_markdown_escapes_table_cells_and_caps_rows():
    from auditor.report.markdown import MAX_ROWS

    many = [_finding(f"bad | pipe `tick` {i}\nnext line", line=i + 1) for i in range(MAX_ROWS + 5)]
    out = render(_report(*many), "markdown", RenderOptions())
    rows = [line for line in out.splitlines() if line.startswith("| error")]
    assert len(rows) == MAX_ROWS
    assert "bad \\| pipe \\`tick\\` 0 next line" in rows[0]
    assert all(row.count(" | ") == 3 for row in rows)  # exactly four cells
    assert "… and 5 more" in out
    assert out.startswith("### auditor lint: failed")


def test_markdown_passes_and_counts_baselined():
    report = Report(command="lint", documents=(DocumentInfo("a.yaml"),), baselined=(_finding(),))
    out = render(report, "markdown", RenderOptions())
    assert out.startswith("### auditor lint: passed") and "1 baselined" in out and "| Severity" not in out


# --- console --------------------------------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _emit_to(stream, monkeypatch, report: Report) -> str:
    from auditor.cli_output import emit

    monkeypatch.setattr(sys, "stdout", stream)
    emit(report, None, None, "error")
    return stream.getvalue()


def test_console_plain_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "20")
    long = "x" * 300
    out = _emit_to(io.StringIO(), monkeypatch, _report(_finding(long)))
    assert not ANSI.search(out)
    assert any(long in line for line in out.splitlines())  # never wrapped, whatever the width


def test_console_colour_on_a_terminal_unless_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    coloured = _emit_to(_Tty(), monkeypatch, _report(_finding("x" * 300)))
    assert ANSI.search(coloured) and "x" * 300 in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    assert not ANSI.search(_emit_to(_Tty(), monkeypatch, _report(_finding())))
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not ANSI.search(_emit_to(_Tty(), monkeypatch, _report(_finding())))


def test_several_formats_at_once(cli, monkeypatch, tmp_path):
    monkeypatch.chdir(MULTIFILE)
    sarif, junit = tmp_path / "r.sarif", tmp_path / "r.xml"
    r = cli(["lint", "openapi.yaml", "--pack", "minimal", "-f", "github", "-o", f"sarif={sarif}", "-o", f"junit={junit}"])
    assert r.code == 1 and r.out.startswith("::error ")
    assert not list(_sarif_validator().iter_errors(json.loads(sarif.read_text())))
    assert ET.parse(junit).getroot().tag == "testsuites"
