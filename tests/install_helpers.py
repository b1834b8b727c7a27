"""Helpers of the tests that install auditor the way its users do (a wheel, pre-commit, the
GitHub Action) and run it outside the checkout."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import ROOT

# what a build of the package reads, and the files the CI integrations are made of
SOURCES = ("pyproject.toml", "README.md", "constraints.txt", "action.yml", ".pre-commit-hooks.yaml", "auditor", "policies")


def copy_sources(dest: Path) -> Path:
    """A copy of ``SOURCES`` in ``dest``: pip builds inside the source tree (``build/``,
    ``*.egg-info``), and that must not be the checkout the tests run from."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, dest / name)
    return dest


def outside_env(**extra: str) -> dict[str, str]:
    """The environment without what points Python at the checkout or its virtual environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    venv = str(ROOT / ".venv")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and not p.startswith(venv))
    env.update(extra)
    return env
