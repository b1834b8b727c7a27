"""Registry-driven: every static rule has fixtures/rules/<family>/<name>/{bad,good}.yaml (and an
optional rule-options.yaml with this rule's options). The rule fires on bad and is silent on good;
a rule without both fixtures fails here."""

from __future__ import annotations

import pytest

from conftest import FIXTURES
from auditor.config import Config, RuleSetting
from auditor.engine import run_rules
from auditor.rules import load_builtin_rules
from auditor.spec.document import Spec
from auditor.spec.parse import parse

REGISTRY = load_builtin_rules()
STATIC = [r for r in REGISTRY if r.check is not None]


def _fixture_dir(rule_id: str):
    family, name = rule_id.split("/")
    return FIXTURES / "rules" / family / name


def _run(rule, path):
    options = rule.defaults()
    opt_file = path.parent / "rule-options.yaml"
    if opt_file.is_file():
        options.update(parse(opt_file.read_bytes(), str(opt_file)).data or {})
    config = Config(settings={rule.id: RuleSetting(True, rule.severity, options)})
    spec = Spec.load(str(path))
    return [f for f in run_rules(spec, config, REGISTRY).findings if f.rule == rule.id]


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.id)
def test_rule_has_fixtures(rule):
    d = _fixture_dir(rule.id)
    missing = [n for n in ("bad.yaml", "good.yaml") if not (d / n).is_file()]
    assert not missing, f"{rule.id}: missing {', '.join(missing)} in {d}"


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.id)
def test_rule_fires_on_bad(rule):
    path = _fixture_dir(rule.id) / "bad.yaml"
    if not path.is_file():
        pytest.fail(f"missing {path}")
    findings = _run(rule, path)
    assert findings, f"{rule.id} did not fire on {path}"
    for f in findings:
        assert f.message and f.hint and f.location is not None


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.id)
def test_rule_silent_on_good(rule):
    path = _fixture_dir(rule.id) / "good.yaml"
    if not path.is_file():
        pytest.fail(f"missing {path}")
    findings = _run(rule, path)
    assert not findings, f"{rule.id} fired on {path}: {[f.message for f in findings]}"
