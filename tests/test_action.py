"""The GitHub Action (``action.yml``, a composite action). Its steps are plain bash, so they run
here as the runner runs them (``bash --noprofile --norc -eo pipefail``), with what GitHub sets:
``GITHUB_ACTION_PATH`` (a copy of this repository's sources), ``RUNNER_TEMP``,
``GITHUB_WORKSPACE`` (the current folder), and fresh ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``
and ``GITHUB_PATH`` files per step; each step's ``env:`` gets its ``${{ inputs.* }}`` and
``${{ steps.*.outputs.* }}`` values. The install step runs once (pip: PyPI or its cache), then
the run step with several sets of inputs against real documents and the bundled service.

Slow (a fresh environment: tens of seconds): marked ``slow``. ``diff`` is accepted as a command
but not tried here (another command's work)."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, ROOT
from install_helpers import copy_sources, outside_env

from fixtures.service import SPEC, TOKEN, running

pytestmark = pytest.mark.slow

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class Step:
    code: int
    out: str
    err: str
    outputs: dict[str, str]
    summary: str


@dataclass
class Runner:
    """Runs the action's steps the way the GitHub runner does, one at a time."""

    root: Path
    action_path: Path
    workspace: Path
    path: list[str] = field(default_factory=list)  # folders steps added through GITHUB_PATH
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # step id -> its outputs

    def run(self, step_id: str, inputs: dict[str, str], **env: str) -> Step:
        step = next(s for s in ACTION["runs"]["steps"] if s["id"] == step_id)
        assert step["shell"] == "bash" and "${{" not in step["run"], "inputs must reach the script through env:, never as text in it"
        files = {name: self.root / f"{step_id}-{name}" for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_PATH")}
        for file in files.values():
            file.write_text("", encoding="utf-8")
        values = {f"inputs.{k}": str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
        values.update({f"inputs.{k}": v for k, v in inputs.items()})
        values.update({f"steps.{sid}.outputs.{k}": v for sid, outs in self.outputs.items() for k, v in outs.items()})
        step_env = {name: EXPRESSION.sub(lambda m: values[m.group(1)], str(value)) for name, value in (step.get("env") or {}).items()}
        base = outside_env(NO_COLOR="1", **env)
        base["PATH"] = ":".join([*self.path, base["PATH"]])
        run_env = {
            **base,
            **step_env,
            **{k: str(v) for k, v in files.items()},
            "GITHUB_ACTION_PATH": str(self.action_path),
            "GITHUB_WORKSPACE": str(self.workspace),
            "RUNNER_TEMP": str(self.root / "runner-temp"),
            "GITHUB_ACTIONS": "true",
            "CI": "true",
        }
        script = self.root / f"{step_id}.sh"
        script.write_text(step["run"], encoding="utf-8")
        p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.workspace, env=run_env, capture_output=True, text=True)
        outputs = dict(line.split("=", 1) for line in files["GITHUB_OUTPUT"].read_text(encoding="utf-8").splitlines() if "=" in line)
        self.outputs[step_id] = outputs
        self.path = [*files["GITHUB_PATH"].read_text(encoding="utf-8").split(), *self.path]
        return Step(p.returncode, p.stdout, p.stderr, outputs, files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> Runner:
    root = tmp_path_factory.mktemp("action")
    (root / "runner-temp").mkdir()
    workspace = root / "workspace"
    (workspace / "api").mkdir(parents=True)
    (workspace / "openapi.yaml").write_text(SPEC.read_text(encoding="utf-8"), encoding="utf-8")  # lints clean
    (workspace / "api" / "openapi.yaml").write_text((FIXTURES / "demo" / "openapi.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    runner = Runner(root, copy_sources(root / "action"), workspace)
    installed = runner.run("install", {})
    assert installed.code == 0, installed.err
    assert installed.out.strip() == "auditor 0.1.0"
    assert Path(installed.outputs["auditor"]).is_file() and runner.path == [str(root / "runner-temp" / "auditor-venv" / "bin")]
    return runner


def test_the_action_declares_its_inputs_and_outputs():
    assert ACTION["runs"]["using"] == "composite"
    assert {"command", "spec", "base-url", "pack", "fail-on", "args", "install"} <= set(ACTION["inputs"])
    assert {"exit-code", "sarif-file", "json-file", "markdown-file"} <= set(ACTION["outputs"])
    assert all(s["shell"] == "bash" and "run" in s for s in ACTION["runs"]["steps"])  # plain shell: this test runs them all


def test_lint_annotates_writes_sarif_and_the_job_summary_and_fails_on_errors(runner):
    step = runner.run("run", {"spec": "openapi.yaml api/openapi.yaml"})
    assert step.code == 1, step.err
    assert step.outputs["exit-code"] == "1"
    assert re.search(r"^::error file=api/openapi\.yaml,line=\d+,col=\d+,title=", step.out, re.M), step.out
    sarif = json.loads(Path(step.outputs["sarif-file"]).read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {"api/openapi.yaml"}  # relative to the workspace, as code scanning wants
    report = json.loads(Path(step.outputs["json-file"]).read_text(encoding="utf-8"))
    assert [d["path"] for d in report["documents"]] == ["openapi.yaml", "api/openapi.yaml"]
    assert step.summary.startswith("### auditor lint: failed") and step.summary == Path(step.outputs["markdown-file"]).read_text(encoding="utf-8")


def test_pack_and_fail_on_are_passed_on(runner):
    step = runner.run("run", {"spec": "api/openapi.yaml", "pack": "minimal", "fail-on": "never"})
    assert step.code == 0 and step.outputs["exit-code"] == "0", step.err
    report = json.loads(Path(step.outputs["json-file"]).read_text(encoding="utf-8"))
    assert report["summary"]["error"] == 0


def test_audit_with_a_base_url_and_quoted_args(runner):
    args = "--max-examples 2 --seed 1 --phases examples,coverage --header 'Authorization: Bearer ${SERVICE_TOKEN}'"
    with running("conformant", token=TOKEN) as service:
        step = runner.run("run", {"command": "audit", "spec": "openapi.yaml", "base-url": service.base_url, "args": args}, SERVICE_TOKEN=TOKEN)
    assert step.code in (0, 1) and step.outputs["exit-code"] == str(step.code), step.err
    report = json.loads(Path(step.outputs["json-file"]).read_text(encoding="utf-8"))
    assert report["command"] == "audit" and report["stats"]["live"]["operations_tested"] == 8
    assert not [f for f in report["findings"] if f["rule"] == "security/auth-enforced"]  # the token was sent, quoted as one word
    assert step.summary.startswith("### auditor audit")
    for text in (step.out, step.err, step.summary, Path(step.outputs["sarif-file"]).read_text(encoding="utf-8")):
        assert TOKEN not in text


def test_inputs_are_never_run_as_shell_code(runner):
    step = runner.run("run", {"spec": "$(touch pwned-spec) `touch pwned-tick`", "args": "; touch pwned-args"})
    assert step.code == 2 and step.outputs["exit-code"] == "2"
    assert not list(runner.workspace.glob("pwned*"))


def test_args_that_cannot_be_split_stop_the_step(runner):
    step = runner.run("run", {"spec": "openapi.yaml", "args": "--header 'unclosed"})
    assert step.code == 2 and "the args input cannot be split into words (No closing quotation)" in step.err
