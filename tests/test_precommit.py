"""The pre-commit hook (``.pre-commit-hooks.yaml``, id ``auditor``), tried as a user would try it:
``pre-commit try-repo <this repository> auditor --all-files`` in a throwaway git repository
holding a good and a bad OpenAPI document and a YAML file the default pattern leaves alone.
pre-commit installs the hook from the repository into an environment of its own (dependencies
pinned here through PIP_CONSTRAINT), so this is the installed auditor too. try-repo takes the
repository's committed files and its changes to them (new files once staged).

Slow (a fresh environment: tens of seconds; pip needs PyPI or its cache): marked ``slow``."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT
from install_helpers import outside_env

from fixtures.service import SPEC

pytestmark = pytest.mark.slow

BAD = {"openapi": "3.0.3", "info": {"title": "No version"}, "paths": {}}


def _git(*args: str, cwd) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True, capture_output=True, env=outside_env())


def test_the_hook_lints_the_openapi_documents_of_a_repository(tmp_path):
    project = tmp_path / "project"
    (project / "api").mkdir(parents=True)
    (project / "openapi.yaml").write_text(SPEC.read_text(encoding="utf-8"), encoding="utf-8")  # lints clean
    (project / "api" / "openapi-v2.json").write_text(json.dumps(BAD), encoding="utf-8")
    (project / "notes.yaml").write_text(json.dumps(BAD), encoding="utf-8")  # not an openapi*.yaml name
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)
    _git("commit", "-q", "-m", "specs", cwd=project)
    env = outside_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PIP_CONSTRAINT=str(ROOT / "constraints.txt"), NO_COLOR="1")
    p = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "auditor", "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert re.search(r"^auditor lint\.+Failed$", out, re.M), out
    assert "- hook id: auditor" in out and "- exit code: 1" in out, out
    assert "api/openapi-v2.json" in out and "contract/spec-valid" in out and '"version" is a required property' in out, out
    assert "in 2 documents" in out  # both documents were given to one lint, the good one without a finding
    assert "notes.yaml" not in out
