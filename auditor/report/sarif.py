"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; ``tool.driver.rules`` holds every rule that has a result (summary, the docstring's
"What it checks" and the whole docstring as help, a help URI, the default level); each result
has its level, message (with the hint), a physical location (URI relative to the base folder,
start line and column in Unicode code points) and ``partialFingerprints`` from
``Finding.fingerprint``, so code scanning keeps tracking an alert when lines move."""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

from auditor.model import Finding, Report
from auditor.report.common import TOOL_URL, doc_section, finding_path, help_uri, rule_meta

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {"error": "error", "warn": "warning", "info": "note"}
FINGERPRINT_KEY = "auditorFingerprint/v1"


def render(report: Report, options) -> str:
    base_dir = getattr(options, "base_dir", None)
    rule_ids = sorted({f.rule for f in report.findings})
    index = {rid: i for i, rid in enumerate(rule_ids)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "auditor",
                "version": report.tool_version or "0",
                "informationUri": TOOL_URL,
                "rules": [_rule(rid, report) for rid in rule_ids],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule], report, base_dir) for f in report.findings],
    }
    s = report.summary()
    if s["suppressed"] or s["baselined"]:
        run["properties"] = {"suppressed": s["suppressed"], "baselined": s["baselined"]}
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(rule_id: str, report: Report) -> dict[str, Any]:
    r = rule_meta(rule_id)
    if r is None:  # a finding whose rule is not registered (should not happen): still valid SARIF
        sample = next(f for f in report.findings if f.rule == rule_id)
        return {
            "id": rule_id,
            "shortDescription": {"text": rule_id},
            "helpUri": help_uri(rule_id),
            "defaultConfiguration": {"level": LEVEL[sample.severity.value]},
        }
    full = doc_section(r.doc, "What it checks") or r.summary
    help_text = r.doc or r.summary
    return {
        "id": r.id,
        "name": r.id,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": f"**{r.summary}**\n\n```\n{help_text}\n```\n\nFix hint: {r.hint}"},
        "helpUri": help_uri(r.id),
        "defaultConfiguration": {"level": LEVEL[r.severity.value]},
        "properties": {"tags": list(dict.fromkeys([r.family, r.source.value]))},  # diff/ rules: family and source are both "diff"
    }


def _result(f: Finding, rule_index: int, report: Report, base_dir: str | None) -> dict[str, Any]:
    text = f.message + (f"\nhint: {f.hint}" if f.hint else "")
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVEL[f.severity.value],
        "message": {"text": text},
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
    }
    path = finding_path(f, report, base_dir)
    if path is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
        if f.location is not None and f.location.line is not None:
            physical["region"] = {"startLine": f.location.line, "startColumn": f.location.column or 1}
        location: dict[str, Any] = {"physicalLocation": physical}
        if f.location is not None:
            location["logicalLocations"] = [{"fullyQualifiedName": f.location.pointer or "/", "kind": "object"}]
        result["locations"] = [location]
    props: dict[str, Any] = {"source": f.source.value}
    if f.operation is not None:
        props["operation"] = str(f.operation)
    if f.evidence:
        props["evidence"] = f.evidence
    result["properties"] = props
    return result


def _uri(path: str) -> str:
    if "://" in path:
        return path
    if os.path.isabs(path):  # outside the base folder
        return Path(path).as_uri()
    return urllib.parse.quote(path, safe="/:@!$&'()*+,;=-._~")
