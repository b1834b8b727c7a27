"""Where a report's findings fall: counts by family and severity, the rules and operations with
the most findings, and each seed principle as pass / fail / untested. Pure: a ``Report`` in, plain
data out, shared by the reporters that summarise a run (HTML today).

A principle is a set of rules (``PRINCIPLES``: families and rule ids, the one mapping). It
*fails* with an error or warn finding of its rules, *passes* when some of its rules ran without
one (info findings are counted, not failing), and is *untested* when none of its rules ran.
Which rules ran is ``Report.checked``, plus any rule with a finding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from auditor.model import Finding, Report, Severity

# principle id -> (title, rules): "family/*" takes a whole family, an exact id wins over a family
# (errors/live-no-leak is "no leaks", not "structured errors"; reliability/latency-p95 is a budget,
# other reliability/* rules such as server-error are the contract)
PRINCIPLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "contract": ("Contract", ("contract/*", "reliability/*")),
    "validation": ("Validation", ("inputs/*",)),
    "idempotency": ("Idempotency", ("idempotency/*",)),
    "structured-errors": ("Structured errors", ("errors/*",)),
    "no-leaks": ("No leaks", ("errors/no-internal-leak", "errors/live-no-leak")),
    "observability": ("Observability and health", ("observability/*", "health/*")),
    "versioning": ("Versioning", ("versioning/*", "deprecation/*", "diff/*")),
    "rate-limits": ("Rate limits", ("ratelimit/*",)),
    "security": ("Security", ("security/*",)),
    "budgets": ("Budgets", ("reliability/latency-p95", "reliability/error-rate", "reliability/response-time", "reliability/timeout")),
}
TOP = 5
_SEVERITIES = tuple(s.value for s in Severity)
_EXACT = {rule: pid for pid, (_, rules) in PRINCIPLES.items() for rule in rules if not rule.endswith("/*")}
_FAMILY = {rule[:-2]: pid for pid, (_, rules) in PRINCIPLES.items() for rule in rules if rule.endswith("/*")}


def principle_of(rule_id: str) -> str | None:
    """The principle a rule belongs to, or None (e.g. pagination/*, baseline/*)."""
    return _EXACT.get(rule_id) or _FAMILY.get(rule_id.split("/", 1)[0])


def family_of(rule_id: str) -> str:
    return rule_id.split("/", 1)[0]


def operations_of(finding: Finding) -> list[str]:
    """The operations a finding concerns: its own, or those using the component it is about."""
    labels = [str(finding.operation)] if finding.operation is not None else []
    labels += [str(label) for label in (finding.evidence or {}).get("operations") or () if str(label) not in labels]
    return labels


def triage(report: Report) -> dict[str, Any]:
    """``{"by_severity", "by_family", "top_rules", "top_operations", "principles"}`` for the
    visible findings of ``report`` (see the module docstring for the principles)."""
    findings = report.findings
    by_family: dict[str, dict[str, int]] = {}
    for f in findings:
        counts = by_family.setdefault(family_of(f.rule), dict.fromkeys(_SEVERITIES, 0))
        counts[f.severity.value] += 1
    rules = Counter(f.rule for f in findings)
    operations = Counter(label for f in findings for label in operations_of(f))
    return {
        "by_severity": {s: sum(1 for f in findings if f.severity.value == s) for s in _SEVERITIES},
        "by_family": dict(sorted(by_family.items())),
        "top_rules": [{"rule": r, "count": n} for r, n in _top(rules)],
        "top_operations": [{"operation": op, "count": n} for op, n in _top(operations)],
        "principles": principles(report),
    }


def principles(report: Report) -> list[dict[str, Any]]:
    """Each principle: id, title, status (pass / fail / untested), the number of its rules that
    ran, and its findings by severity."""
    ran = set(report.checked) | {f.rule for group in (report.findings, report.suppressed, report.baselined) for f in group}
    out = []
    for pid, (title, _) in PRINCIPLES.items():
        counts = dict.fromkeys(_SEVERITIES, 0)
        for f in report.findings:
            if principle_of(f.rule) == pid:
                counts[f.severity.value] += 1
        n_ran = sum(1 for rule in ran if principle_of(rule) == pid)
        status = "untested" if not n_ran else "fail" if counts["error"] or counts["warn"] else "pass"
        out.append({"id": pid, "title": title, "status": status, "rules_run": n_ran, **counts})
    return out


def _top(counts: Counter[str]) -> Iterable[tuple[str, int]]:
    """The ``TOP`` most common, ties by name (the same report always gives the same list)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
