"""`auditor lint`, `--version`, `--help`, `python -m auditor`: in-process CLI tests."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT

MINIMAL = """openapi: 3.0.3
info: {title: T, version: 1.0.0}
paths: {}
"""


def test_version(cli):
    r = cli(["--version"])
    assert r.code == 0 and r.out.startswith("auditor ")


def test_help_lists_commands(cli):
    r = cli(["--help"])
    assert r.code == 0
    assert "lint" in r.out and "rules" in r.out


def test_python_dash_m():
    p = subprocess.run([sys.executable, "-m", "auditor", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and "auditor" in p.stdout


def test_clean_document_exits_zero(cli, write):
    r = cli(["lint", str(write("a.yaml", MINIMAL)), "--pack", "minimal"])
    assert r.code == 0, r.err
    assert "No findings" in r.out


def test_every_validation_error_is_reported(cli, write):
    doc = """openapi: 3.0.3
info: {title: T}
paths:
  /a:
    get:
      responses:
        "200": {}
  /b:
    get:
      parameters:
        - {name: q, in: nowhere}
      responses:
        "200": {description: ok}
"""
    r = cli(["lint", str(write("bad.yaml", doc)), "-f", "json", "--pack", "minimal"])
    assert r.code == 1
    report = json.loads(r.out)
    findings = [f for f in report["findings"] if f["rule"] == "contract/spec-valid"]
    pointers = {f["location"]["pointer"] for f in findings}
    assert "/info" in pointers
    assert "/paths/~1a/get/responses/200" in pointers
    assert "/paths/~1b/get/parameters/0" in pointers
    by_ptr = {f["location"]["pointer"]: f for f in findings}
    assert by_ptr["/paths/~1a/get/responses/200"]["location"]["line"] == 7
    assert all(f["hint"] for f in findings)


def test_json_report_contract(cli, write):
    r = cli(["lint", str(write("a.yaml", MINIMAL.replace("version: 1.0.0", "version: 2"))), "-f", "json", "--pack", "minimal"])
    report = json.loads(r.out)
    assert report["schema_version"] == 1
    assert report["tool"]["name"] == "auditor"
    assert report["command"] == "lint"
    assert report["documents"][0]["oas_version"] == "3.0.3"
    assert report["documents"][0]["title"] == "T"
    assert set(report["summary"]) >= {"error", "warn", "info"}
    assert isinstance(report["findings"], list)


def test_fail_on_levels(cli, write):
    path = str(write("bad.yaml", "openapi: 3.0.3\ninfo: {title: T}\npaths: {}\n"))
    assert cli(["lint", path, "--pack", "minimal"]).code == 1
    assert cli(["lint", path, "--pack", "minimal", "--fail-on", "never"]).code == 0
    assert cli(["lint", path, "--fail-on", "bogus"]).code == 2


def test_output_file_is_written_atomically(cli, write, tmp_path):
    spec = write("a.yaml", MINIMAL)
    out = tmp_path / "report.json"
    r = cli(["lint", str(spec), "-f", "json", "-o", str(out), "--pack", "minimal"])
    assert r.code == 0 and r.out == ""
    assert json.loads(out.read_text())["schema_version"] == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


def test_output_file_gets_the_mode_a_redirection_would(cli, write, tmp_path):
    # a fresh report: 0666 less the umask (mkstemp alone would leave it 0600, unreadable to a CI
    # artifact step running as another user); an existing one keeps its mode
    spec = write("a.yaml", MINIMAL)
    fresh, kept = tmp_path / "fresh.json", tmp_path / "kept.json"
    kept.write_text("{}")
    kept.chmod(0o640)
    old = os.umask(0o022)
    try:
        for out in (fresh, kept):
            assert cli(["lint", str(spec), "-f", "json", "-o", str(out), "--pack", "minimal"]).code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640


def test_output_format_equals_file(cli, write, tmp_path):
    spec = write("a.yaml", MINIMAL)
    out = tmp_path / "r.json"
    r = cli(["lint", str(spec), "-o", f"json={out}", "--pack", "minimal"])
    assert r.code == 0 and "No findings" in r.out
    assert json.loads(out.read_text())["command"] == "lint"


def test_output_into_missing_folder_is_usage_error(cli, write, tmp_path):
    r = cli(["lint", str(write("a.yaml", MINIMAL)), "-o", str(tmp_path / "nope" / "r.json")])
    assert r.code == 2 and "does not exist" in r.err and "Traceback" not in r.err


def test_stdin(cli):
    r = cli(["lint", "-", "--pack", "minimal"], stdin=MINIMAL.encode())
    assert r.code == 0, r.err


def test_several_documents(cli, write):
    a, b = write("a.yaml", MINIMAL), write("b.json", json.dumps({"swagger": "2.0", "info": {"title": "B", "version": "1"}, "paths": {}}))
    r = cli(["lint", str(a), str(b), "-f", "json", "--pack", "minimal"])
    report = json.loads(r.out)
    assert [d["oas_version"] for d in report["documents"]] == ["3.0.3", "2.0"]


def test_demo_spec_lints(cli):
    r = cli(["lint", str(FIXTURES / "demo" / "openapi.yaml")])
    assert r.code in (0, 1), r.err


def test_unknown_rule_is_usage_error(cli, write):
    r = cli(["lint", str(write("a.yaml", MINIMAL)), "--rule", "nope/nope"])
    assert r.code == 2 and "unknown rule" in r.err


def test_lint_does_not_import_fuzzing_stack(write):
    spec = write("a.yaml", MINIMAL)
    code = (
        f"import sys\nfrom auditor.cli import main\nrc = main(['lint', {str(spec)!r}, '-f', 'json'])\n"
        "bad = [m for m in ('schemathesis', 'hypothesis', 'jinja2', 'requests') if m in sys.modules]\n"
        "print(bad)\nsys.exit(0 if not bad else 3)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.slow
def test_report_does_not_depend_on_the_hash_seed(tmp_path):
    """jsonschema visits `additionalProperties` keys as a set and check_schema reports only the
    first error; the openai spec used to get a different spec-valid finding from run to run."""
    spec = tmp_path / "api.yaml"
    props = "".join(f"        p{i}: {{type: number, exclusiveMinimum: true}}\n" for i in range(8))
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    S:\n      type: object\n      properties:\n" + props,
        encoding="utf-8",
    )
    outs = set()
    for seed in ("0", "1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        p = subprocess.run([sys.executable, "-m", "auditor", "lint", str(spec), "-f", "json"], capture_output=True, text=True, cwd=ROOT, env=env)
        assert p.returncode == 1, p.stderr
        outs.add(p.stdout)
    assert len(outs) == 1
    assert "/components/schemas/S/properties/p0/exclusiveMinimum" in outs.pop()  # the first in the document


@pytest.mark.slow
def test_console_entry_writes_the_whole_report_before_its_fast_exit(tmp_path):
    """`entry()` leaves with os._exit after lint: stdout must be flushed first (a report of
    several MB here, far beyond a pipe's buffer)."""
    paths = {f"/items{i}/{{id}}": {"get": {"parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}} for i in range(1500)}
    for item in paths.values():
        item["get"]["responses"] = {"200": {"description": "ok"}}
    spec = tmp_path / "big.json"
    spec.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": "Big", "version": "1.0.0"}, "paths": paths}), encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "auditor", "lint", str(spec), "-f", "json"], capture_output=True, cwd=ROOT)
    assert p.returncode == 1, p.stderr
    assert len(p.stdout) > 1_000_000
    report = json.loads(p.stdout)
    assert len(report["findings"]) == report["summary"]["error"] + report["summary"]["warn"] + report["summary"]["info"]


def test_output_to_a_fifo_writes_into_it_and_leaves_it_a_fifo(cli, tmp_path):
    """`-o /dev/null` used to rename a temporary file over the device (as root: /dev/null became
    a plain file). Paths that exist and are not regular files are written in place; a FIFO
    stands in for the device here."""
    import stat
    import threading

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = cli(["lint", str(FIXTURES / "demo" / "openapi.yaml"), "-f", "json", "-o", str(fifo)])
    reader.join(10)
    assert r.code in (0, 1), r.err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(got[0])["schema_version"] == 1
    assert not [p for p in tmp_path.iterdir() if p.name != "out.fifo"]  # no temporary file left


def test_a_mistyped_command_gets_one_suggestion(cli):
    r = cli(["lnt", "x.yaml"])
    assert r.code == 2
    assert r.err.count("Did you mean 'lint'?") == 1, r.err


def test_only_the_invoked_command_is_built_and_all_are_restored(cli):
    from auditor.cli import app

    before = list(app.registered_commands)
    assert cli(["lint", "--help"]).code == 0
    assert app.registered_commands == before
    assert "baseline" in cli(["--help"]).out and "audit" in cli(["--help"]).out
