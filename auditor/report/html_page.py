"""`--format html`: one self-contained page a person opens after a run. The summary of the run and
the seed principles (pass / fail / untested) on top, then the per-operation table and the p95
chart (`html_operations.py`), then the findings grouped by rule with location, hint, evidence and
curl line. Filtering and sorting are a small inline script; without it every finding is shown.

The page loads nothing: CSS and script are inline, and its Content-Security-Policy allows only
those two (by hash), so even a mistake in escaping could not run a script or reach the network.
Everything from the document or the service is escaped by Jinja2's autoescape, after control
characters are spelled out as in every format (``clean_text``); secrets are masked before
reporters see them. Evidence is shortened so that the page of a large report stays
small (``EVIDENCE_CHARS`` in all); the JSON report has it whole.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from importlib import resources
from typing import Any

from auditor.model import Finding, Report, Severity, clean_text
from auditor.report.common import display_path, finding_path, help_uri, rule_meta
from auditor.report.html_operations import MISSING, chart, live_stats, operations_table
from auditor.triage import family_of, triage

EVIDENCE_CHARS = 1_000_000  # the evidence of all findings together, at most
EVIDENCE_MIN, EVIDENCE_MAX = 300, 4000  # per finding
LONG_STRING, LONG_LIST = 600, 20  # inside evidence: longer strings and lists are cut
_ASSETS = resources.files("auditor.report") / "html_assets"


def render(report: Report, options) -> str:
    import jinja2
    from markupsafe import Markup

    css, js = (_ASSETS / "page.css").read_text(encoding="utf-8"), (_ASSETS / "page.js").read_text(encoding="utf-8")

    def finalize(value: Any) -> Any:  # every value shown: control characters as \xNN, then escaped
        return clean_text(value) if isinstance(value, str) and not isinstance(value, Markup) else value

    env = jinja2.Environment(
        autoescape=True, finalize=finalize, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True
    )
    env.filters["anchor"] = anchor
    template = env.from_string((_ASSETS / "page.html.j2").read_text(encoding="utf-8"))
    csp = f"default-src 'none'; style-src {_sha256(css)}; script-src {_sha256(js)}; img-src data:; base-uri 'none'; form-action 'none'"
    return template.render(page=page(report, options), css=Markup(css), js=Markup(js), csp=csp, missing=MISSING)


def page(report: Report, options) -> dict[str, Any]:
    """Everything the template shows, as plain values (strings are escaped by the template)."""
    fail_on = getattr(options, "fail_on", "error")
    base_dir = getattr(options, "base_dir", None)
    budget = min(EVIDENCE_MAX, max(EVIDENCE_MIN, EVIDENCE_CHARS // max(1, len(report.findings))))
    return {
        "command": report.command,
        "tool_version": report.tool_version,
        "verdict": "failed" if report.exit_code(fail_on) else "passed",
        "fail_on": fail_on,
        "documents": [{**d.to_dict(), "path": display_path(d.path, base_dir)} for d in report.documents],
        "facts": run_facts(report),
        "counts": report.summary(),
        "triage": triage(report),
        "notes": [str(n) for n in ((report.stats or {}).get("live") or {}).get("notes") or ()],
        "operations": operations_table(report),
        "chart": chart(report),
        "families": sorted({family_of(f.rule) for f in report.findings}),
        "groups": rule_groups(report, base_dir, budget),
        "total": len(report.findings),
    }


def anchor(rule_id: str) -> str:
    """The id of a rule's section in the page."""
    return "rule-" + "".join(c if c.isalnum() else "-" for c in rule_id)


def run_facts(report: Report) -> list[tuple[str, str]]:
    """(label, value) pairs of the run; a figure the report does not hold says so."""
    stats = report.stats or {}
    live = live_stats(report)
    facts = [("Command", f"auditor {report.command}"), ("Documents", str(len(report.documents)))]
    if live is None:
        facts.append(("Service", "not contacted (static checks only)"))
    else:
        requests = int(live.get("requests") or 0) + int(live.get("probe_requests") or 0)
        facts += [
            ("Base URL", str(live.get("base_url") or MISSING)),
            ("Seed", MISSING if live.get("seed") is None else str(live["seed"])),
            ("Requests", f"{requests:,}"),
            ("Operations tested", f"{live.get('operations_tested', '?')} of {live.get('operations_total', '?')}"),
        ]
        if live.get("read_only"):
            facts.append(("Mode", "read-only (GET, HEAD, OPTIONS)"))
    elapsed = stats.get("elapsed_s", (live or {}).get("elapsed_s"))
    facts.append(("Duration", MISSING if elapsed is None else f"{float(elapsed):.1f} s"))
    return facts


def rule_groups(report: Report, base_dir: str | None, budget: int) -> list[dict[str, Any]]:
    """Findings grouped by rule: rules with errors first, then by number of findings."""
    by_rule: dict[str, list[Finding]] = {}
    for f in sorted(report.findings, key=Finding.sort_key):
        by_rule.setdefault(f.rule, []).append(f)
    groups = []
    for rule_id, findings in by_rule.items():
        meta = rule_meta(rule_id)
        severities = Counter(f.severity.value for f in findings)
        groups.append(
            {
                "rule": rule_id,
                "summary": meta.summary if meta is not None else "",
                "doc_url": help_uri(rule_id),
                "worst": max((f.severity for f in findings), key=lambda s: s.rank).value,
                "severities": [(s.value, severities[s.value]) for s in Severity if severities[s.value]],
                "findings": [finding_view(f, report, base_dir, budget) for f in findings],
            }
        )
    return sorted(groups, key=lambda g: (-Severity(g["worst"]).rank, -len(g["findings"]), g["rule"]))


def finding_view(f: Finding, report: Report, base_dir: str | None, budget: int) -> dict[str, Any]:
    evidence = dict(f.evidence or {})
    curl = evidence.pop("curl", None)
    path = finding_path(f, report, base_dir)
    loc = f.location
    where = None if path is None else f"{path}:{loc.line}:{loc.column}" if loc is not None and loc.line is not None else path
    used_by = evidence.pop("operations", None) if f.operation is None else None
    return {
        "severity": f.severity.value,
        "source": f.source.value,
        "family": family_of(f.rule),
        "message": f.message,
        "hint": f.hint,
        "location": where,
        "operation": str(f.operation) if f.operation is not None else None,
        "used_by": _shorten(used_by) if isinstance(used_by, list) else None,
        "count": evidence.get("count") if isinstance(evidence.get("count"), int) and evidence["count"] > 1 else None,
        "curl": _cut(str(curl), EVIDENCE_MAX) if curl else None,
        "evidence": _cut(json.dumps(_shorten(evidence), indent=2, ensure_ascii=False, default=str), budget) if evidence else None,
    }


def _shorten(value: Any) -> Any:
    """Evidence with long strings and lists cut (the cut is said in place)."""
    if isinstance(value, str):
        return value if len(value) <= LONG_STRING else value[:LONG_STRING] + f"… ({len(value) - LONG_STRING:,} more characters)"
    if isinstance(value, dict):
        return {str(k): _shorten(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        head = [_shorten(v) for v in value[:LONG_LIST]]
        return head + [f"… and {len(value) - LONG_LIST:,} more"] if len(value) > LONG_LIST else head
    return value


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit:,} more characters in the JSON report)"


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"
