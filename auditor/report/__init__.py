"""Reporters: pure functions from a ``Report`` to text. ``FORMATS`` maps each ``--format`` name
to the module that implements ``render(report, options) -> str``; modules are imported only when
used (rich only for the console, jinja2 only for html)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from auditor.model import Report

FORMATS: dict[str, str] = {
    "console": "auditor.report.console",
    "json": "auditor.report.json_format",
    "sarif": "auditor.report.sarif",
    "junit": "auditor.report.junit",
    "github": "auditor.report.github",
    "gitlab": "auditor.report.gitlab",
    "markdown": "auditor.report.markdown",
    "html": "auditor.report.html_page",
}


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    width: int | None = None
    fail_on: str = "error"
    base_dir: str | None = None  # paths in reports are shown relative to it when possible
    summary_only: bool = False  # console: the triage, tables and totals, not each finding


def render(report: Report, fmt: str, options: RenderOptions | None = None) -> str:
    module = importlib.import_module(FORMATS[fmt])
    return module.render(report, options or RenderOptions())
