"""Registry-driven: every static rule has fixtures/rules/<family>/<name>/{bad,good}.yaml (and an
optional rule-options.yaml with this rule's options). The rule fires on bad and is silent on good;
a rule without both fixtures fails here."""

from __future__ import annotations

import pytest
from conftest import FIXTURES
from rule_helpers import findings_of

from auditor.document.parse import parse
from auditor.rules import load_builtin_rules

REGISTRY = load_builtin_rules()
STATIC = [r for r in REGISTRY if r.check is not None]


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
    return findings_of(path, rule.id, options or {})


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.id)
def test_rule_has_fixtures(rule):
    d = _fixture_dir(rule.id)
    missing = [n for n in ("bad.yaml", "good.yaml") if not (d / n).is_file()]
    assert not missing, f"{rule.id}: missing {', '.join(missing)} in {d}"


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.id)
def test_rule_fires_on_bad(rule):
    findings = _run(rule, "bad.yaml")
    assert findings, f"{rule.id} did not fire on its bad.yaml"
    for f in findings:
        assert f.message and f.hint and f.location is not None


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.id)
def test_rule_silent_on_good(rule):
    findings = _run(rule, "good.yaml")
    assert not findings, f"{rule.id} fired on its good.yaml: {[f.message for f in findings]}"
