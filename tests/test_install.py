"""The installed auditor works wherever it is installed, not only in the checkout: the wheel is
built (``pip wheel --no-deps``), installed with its pinned dependencies (``-c constraints.txt``)
into a new virtual environment, and its ``auditor`` runs from a temporary folder outside the
checkout: lint with every built-in pack, rules, baseline, merge, and fuzz against the bundled
service (which runs from the checkout: it is a test fixture, not part of the package).

Slow (a fresh environment: tens of seconds; pip needs PyPI or its cache): marked ``slow``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from install_helpers import copy_sources, outside_env

from fixtures.service import SPEC, TOKEN, running

pytestmark = pytest.mark.slow


@dataclass
class Installed:
    wheel: Path
    venv: Path
    work: Path  # an empty folder outside the checkout: the current directory of every run

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.venv / "bin" / "auditor"), *args], cwd=self.work, env=outside_env(NO_COLOR="1", **env), capture_output=True, text=True)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("install")
    sources = copy_sources(root / "src")
    pip = ["-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([sys.executable, *pip, "wheel", "--no-deps", "-w", str(root / "dist"), str(sources)], check=True, env=outside_env())
    (wheel,) = (root / "dist").glob("auditor-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=outside_env())
    subprocess.run([str(venv / "bin" / "python"), *pip, "install", "-c", str(ROOT / "constraints.txt"), str(wheel)], check=True, env=outside_env())
    work = root / "work"
    work.mkdir()
    shutil.copy(FIXTURES / "demo" / "openapi.yaml", work / "openapi.yaml")
    shutil.copy(SPEC, work / "service.yaml")
    return Installed(wheel, venv, work)


def test_the_wheel_holds_every_module_and_the_policy_packs(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "auditor").rglob("*.py")}
    assert modules - names == set(), "modules missing from the wheel: add their package to [tool.setuptools] packages in pyproject.toml"
    packs = {f"auditor/policies/{p.name}" for p in (ROOT / "policies").glob("*.yaml")}
    assert packs and packs <= names
    assert "auditor/py.typed" in names
    assert not {n for n in names if n.startswith(("tests/", "fixtures/", "policies/"))}


def test_the_installed_package_is_the_one_that_runs(installed):
    code = "import auditor, auditor.config as c; print(auditor.__file__); print(c.POLICIES_DIR)"
    p = subprocess.run([str(installed.venv / "bin" / "python"), "-c", code], cwd=installed.work, env=outside_env(), capture_output=True, text=True, check=True)
    module, packs = p.stdout.splitlines()
    assert module.startswith(str(installed.venv)) and packs == str(Path(module).parent / "policies")
    assert installed.run("--version").stdout.strip() == "auditor 0.1.0"


def test_lint_with_each_built_in_pack_matches_the_checkout(installed):
    found = {}
    for pack in (None, "minimal", "recommended", "strict"):
        args = ["lint", "openapi.yaml", "-f", "json", *(["--pack", pack] if pack else [])]
        got = installed.run(*args)
        assert got.returncode in (0, 1), got.stderr
        checkout = subprocess.run([sys.executable, "-m", "auditor", *args], cwd=installed.work, capture_output=True, text=True)
        assert got.stdout == checkout.stdout, pack  # the same packs, the same findings
        found[pack] = json.loads(got.stdout)["summary"]
    assert found[None] == found["recommended"] and found["minimal"]["error"] < found["recommended"]["error"] < found["strict"]["error"], found


def test_an_unknown_pack_names_the_built_in_ones(installed):
    p = installed.run("lint", "openapi.yaml", "--pack", "nope")
    assert p.returncode == 2 and "hint: use one of: minimal, recommended, strict, or a path to a pack file" in p.stderr


def test_rules_lists_the_packs_of_each_rule(installed):
    p = installed.run("rules", "-f", "markdown")
    assert p.returncode == 0, p.stderr
    checkout = subprocess.run([sys.executable, "-m", "auditor", "rules", "-f", "markdown"], cwd=installed.work, capture_output=True, text=True)
    assert p.stdout == checkout.stdout and "| `contract/spec-valid` | error | lint | minimal, recommended, strict |" in p.stdout
    assert installed.run("rules", "security/https-only").returncode == 0


def test_baseline_then_lint_with_it(installed):
    p = installed.run("baseline", "openapi.yaml", "-o", "baseline.json")
    assert p.returncode == 0, p.stderr
    p = installed.run("lint", "openapi.yaml", "--baseline", "baseline.json", "-f", "json")
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["findings"] == [] and report["summary"]["baselined"] > 0


def test_fuzz_the_bundled_service_and_merge(installed):
    args = ["--header", "Authorization: Bearer ${SERVICE_TOKEN}", "--seed", "1", "-n", "5", "-f", "json", "-o", "json=fuzz.json"]
    with running("drifted", token=TOKEN) as service:
        p = installed.run("fuzz", "service.yaml", "--base-url", service.base_url, *args, SERVICE_TOKEN=TOKEN)
    assert p.returncode == 1, p.stderr
    report = json.loads(p.stdout)
    assert report["command"] == "fuzz" and report["stats"]["operations_tested"] == 8
    assert {f["source"] for f in report["findings"]} == {"live"}
    assert not (installed.work / ".hypothesis").exists()
    m = installed.run("merge", "fuzz.json", "-f", "json")
    assert m.returncode == 1 and json.loads(m.stdout)["findings"] == report["findings"]
