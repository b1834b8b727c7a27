"""Triage (auditor/triage.py) on hand-built reports: counts by family and severity, the top
rules and operations, and each seed principle as pass / fail / untested; and ``Report.checked``
(the rules that ran) as lint and audit fill it and the JSON report carries it."""

from __future__ import annotations

import json

from auditor.model import Finding, Location, Operation, Report, Severity, Source
from auditor.rules import load_builtin_rules
from auditor.triage import PRINCIPLES, principle_of, triage
from fixtures.service import SPEC


def _f(rule: str, severity: Severity = Severity.WARN, op: str | None = None, **evidence) -> Finding:
    method, _, path = (op or "").partition(" ")
    return Finding(
        rule, severity, f"{rule} message", "hint", Source.LINT, Operation(method, path) if op else None, Location("a.yaml", "/x", 1, 1), evidence or None
    )


def _statuses(report: Report) -> dict[str, str]:
    return {p["id"]: p["status"] for p in triage(report)["principles"]}


def test_every_principle_is_reported_in_order():
    assert [p["id"] for p in triage(Report("lint"))["principles"]] == list(PRINCIPLES)
    assert set(_statuses(Report("lint")).values()) == {"untested"}


def test_exact_rule_ids_win_over_their_family():
    assert principle_of("errors/live-no-leak") == principle_of("errors/no-internal-leak") == "no-leaks"
    assert principle_of("errors/structured-error-schema") == "structured-errors"
    assert principle_of("reliability/latency-p95") == principle_of("reliability/timeout") == "budgets"
    assert principle_of("reliability/server-error") == principle_of("contract/spec-valid") == "contract"
    assert principle_of("deprecation/documented") == principle_of("diff/removed-operation") == "versioning"
    assert principle_of("health/live-probe") == "observability"
    assert principle_of("pagination/collection-paginated") is None


def test_every_registered_rule_but_pagination_and_baseline_has_a_principle():
    orphans = {r.id for r in load_builtin_rules() if principle_of(r.id) is None}
    assert orphans == {"pagination/collection-paginated", "baseline/stale-entry"}


def test_fail_pass_untested():
    report = Report(
        "lint",
        findings=(_f("inputs/string-bounded"), _f("versioning/major-consistency", Severity.INFO)),
        checked=("inputs/string-bounded", "versioning/major-consistency", "contract/spec-valid"),
    )
    statuses = _statuses(report)
    assert statuses["validation"] == "fail"  # a warn finding
    assert statuses["versioning"] == "pass"  # info findings do not fail a principle
    assert statuses["contract"] == "pass"  # ran, found nothing
    assert statuses["security"] == statuses["budgets"] == "untested"
    versioning = next(p for p in triage(report)["principles"] if p["id"] == "versioning")
    assert (versioning["info"], versioning["warn"], versioning["rules_run"]) == (1, 0, 1)


def test_a_rule_with_a_finding_ran_even_when_checked_does_not_say_so():
    report = Report("lint", findings=(_f("errors/live-no-leak", Severity.ERROR),))
    statuses = _statuses(report)
    assert statuses["no-leaks"] == "fail" and statuses["structured-errors"] == "untested"
    hidden = Report("lint", baselined=(_f("security/https-only", Severity.ERROR),))
    assert _statuses(hidden)["security"] == "pass"  # ran; its only finding is baselined


def test_counts_by_severity_and_family():
    report = Report("lint", findings=(_f("inputs/a", Severity.ERROR), _f("inputs/b"), _f("inputs/b"), _f("security/x", Severity.INFO)))
    t = triage(report)
    assert t["by_severity"] == {"error": 1, "warn": 2, "info": 1}
    assert t["by_family"] == {"inputs": {"error": 1, "warn": 2, "info": 0}, "security": {"error": 0, "warn": 0, "info": 1}}


def test_top_rules_and_operations_count_components_for_each_user():
    findings = [_f(f"inputs/r{i}", op="GET /a") for i in range(7)] + [_f("inputs/r6", op="GET /b")] * 2
    findings.append(_f("inputs/shared", operations=["GET /c", "GET /d", "GET /b"]))
    t = triage(Report("lint", findings=tuple(findings)))
    assert t["top_rules"] == [
        {"rule": "inputs/r6", "count": 3},
        {"rule": "inputs/r0", "count": 1},
        {"rule": "inputs/r1", "count": 1},
        {"rule": "inputs/r2", "count": 1},
        {"rule": "inputs/r3", "count": 1},
    ]
    assert t["top_operations"] == [
        {"operation": "GET /a", "count": 7},
        {"operation": "GET /b", "count": 3},
        {"operation": "GET /c", "count": 1},
        {"operation": "GET /d", "count": 1},
    ]


# --- Report.checked: which rules ran ---------------------------------------------------------------


def test_lint_reports_the_rules_of_its_pack_or_of_rule(cli, write):
    spec = str(SPEC)
    minimal = json.loads(cli(["lint", spec, "--pack", "minimal", "-f", "json"]).out)["checked"]
    recommended = json.loads(cli(["lint", spec, "--pack", "recommended", "-f", "json"]).out)["checked"]
    registry = load_builtin_rules()
    assert minimal and set(minimal) < set(recommended)
    assert all(registry[r].source is Source.LINT for r in recommended)  # nothing live ran
    assert "security/https-only" in recommended and "security/https-only" not in minimal
    only = json.loads(cli(["lint", spec, "--pack", "minimal", "--rule", "security/https-only", "-f", "json"]).out)["checked"]
    assert only == ["security/https-only"]  # --rule runs a rule the pack leaves off


def test_audit_without_a_service_ran_no_live_rule(cli):
    report = json.loads(cli(["audit", str(SPEC), "-f", "json"]).out)
    registry = load_builtin_rules()
    assert report["checked"] and all(registry[r].source is Source.LINT for r in report["checked"])
