"""Registry-driven: every static rule has fixtures/rules/<family>/<name>/{bad,good}.yaml (and an
optional rule-options.yaml with this rule's options). On bad.yaml the rule finds exactly what
expected.txt beside it lists (rule, file:line:col, pointer, message, operations); on good.yaml it
finds nothing; a rule without its fixtures or its snapshot fails here. A diff rule has old.yaml
too: it finds the snapshot on old -> bad and nothing on old -> good. After a deliberate change
rewrite the snapshots with AUDITOR_UPDATE_SNAPSHOTS=1 python -m pytest tests/rules/test_fixtures.py
and read the diff."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import FIXTURES
from rule_helpers import assert_snapshot, diff_findings_of, findings_of

from auditor.document.parse import parse
from auditor.model import Operation, Source
from auditor.rules import load_builtin_rules

REGISTRY = load_builtin_rules()
STATIC = [r for r in REGISTRY if r.check is not None and r.source in (Source.LINT, Source.DIFF)]  # live checks: tests/test_live_*.py
DIFF = [r for r in STATIC if r.source is Source.DIFF]


def _fixture_dir(rule_id: str):
    family, name = rule_id.split("/")
    return FIXTURES / "rules" / family / name


def _run(rule, name: str):
    """The rule's findings on its fixture ``name`` (bad.yaml / good.yaml), with its options."""
    path = _fixture_dir(rule.id) / name
    if not path.is_file():
        pytest.fail(f"missing {path}")
    opt_file = path.parent / "rule-options.yaml"
    options = parse(opt_file.read_bytes(), str(opt_file)).data if opt_file.is_file() else None
    if rule.source is Source.DIFF:
        return diff_findings_of(path.parent / "old.yaml", path, rule.id, options or {})
    return findings_of(path, rule.id, options or {})


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.id)
def test_rule_has_fixtures(rule):
    d = _fixture_dir(rule.id)
    names = ("old.yaml", "bad.yaml", "good.yaml") if rule.source is Source.DIFF else ("bad.yaml", "good.yaml")
    missing = [n for n in names if not (d / n).is_file()]
    assert not missing, f"{rule.id}: missing {', '.join(missing)} in {d}"


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.id)
def test_rule_fires_on_bad(rule):
    findings = _run(rule, "bad.yaml")
    assert findings, f"{rule.id} did not fire on its bad.yaml"
    for f in findings:
        assert f.message and f.hint and f.location is not None
    assert_snapshot(findings, _fixture_dir(rule.id) / "expected.txt")


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.id)
def test_rule_silent_on_good(rule):
    findings = _run(rule, "good.yaml")
    assert not findings, f"{rule.id} fired on its good.yaml: {[f.message for f in findings]}"


@pytest.mark.parametrize(
    "change",
    [
        lambda f: replace(f, location=replace(f.location, pointer=f.location.pointer + "/content")),
        lambda f: replace(f, location=replace(f.location, line=f.location.line + 1)),
        lambda f: replace(f, location=replace(f.location, column=1)),
        lambda f: replace(f, message=f.message.replace("error", "failure")),
        lambda f: replace(f, rule="errors/code-and-message"),
        lambda f: replace(f, operation=Operation("POST", "/pets")),
        lambda f: None,  # a finding fewer
    ],
    ids=["pointer", "line", "column", "message", "rule", "operation", "missing"],
)
def test_snapshot_catches_a_changed_finding(change):
    """Control for the snapshots: one finding of a bad fixture changed in one field no longer
    matches its expected.txt, while the findings as they are do."""
    rule = REGISTRY.get("errors/structured-error-schema")
    snapshot = _fixture_dir(rule.id) / "expected.txt"
    findings = _run(rule, "bad.yaml")
    assert_snapshot(findings, snapshot, update=False)
    changed = [c for c in [change(findings[0]), *findings[1:]] if c is not None]
    with pytest.raises(AssertionError):
        assert_snapshot(changed, snapshot, update=False)


@pytest.mark.parametrize("rule", DIFF, ids=lambda r: r.id)
def test_diff_rule_silent_on_itself(rule):
    """A document compared with itself has no changes, for every diff rule's fixtures."""
    d = _fixture_dir(rule.id)
    for name in ("old.yaml", "bad.yaml", "good.yaml"):
        assert diff_findings_of(d / name, d / name, rule.id) == [], f"{rule.id}: {name} against itself"
