"""`--format gitlab`: GitLab Code Quality report (a JSON array of issues) for
``artifacts:reports:codequality``.

Each issue: ``description`` (message and hint), ``check_name`` (rule id), ``fingerprint`` (the
finding's fingerprint, ``-2``/``-3`` appended to repeats so every issue is unique),
``severity`` (error -> major, warn -> minor, info -> info) and ``location.path`` +
``location.lines.begin`` (1 when unknown)."""

from __future__ import annotations

import json
from typing import Any

from auditor.model import Report
from auditor.report.common import finding_path, unique_fingerprints

SEVERITY = {"error": "major", "warn": "minor", "info": "info"}


def render(report: Report, options) -> str:
    base_dir = getattr(options, "base_dir", None)
    issues: list[dict[str, Any]] = []
    for f, fingerprint in zip(report.findings, unique_fingerprints(report.findings)):
        description = f.message + (f" [{f.operation}]" if f.operation else "") + (f" (hint: {f.hint})" if f.hint else "")
        line = f.location.line if f.location is not None and f.location.line is not None else 1
        issues.append(
            {
                "type": "issue",
                "description": description,
                "check_name": f.rule,
                "categories": ["Bug Risk" if f.severity.value == "error" else "Style"],
                "fingerprint": fingerprint,
                "severity": SEVERITY[f.severity.value],
                "location": {"path": finding_path(f, report, base_dir) or "", "lines": {"begin": line}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
