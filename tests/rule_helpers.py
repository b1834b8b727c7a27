"""Run one rule over an inline document (and optional extra files) with chosen options."""

from __future__ import annotations

import textwrap
from pathlib import Path

from auditor.api import LintOptions
from auditor.config import Config, RuleSetting
from auditor.document.document import Document
from auditor.engine import run_rules
from auditor.model import Finding, Source
from auditor.rules import load_builtin_rules

REGISTRY = load_builtin_rules()


def findings_of(path: Path, rule_id: str, options: dict | None = None, public: tuple[str, ...] = ()) -> list[Finding]:
    """Findings of ``rule_id`` alone on the document at ``path``, with its default options
    updated by ``options`` (option names as in the docs, with ``-``)."""
    r = REGISTRY.get(rule_id)
    assert r is not None, rule_id
    config = Config(settings={rule_id: RuleSetting(True, r.severity, {**r.defaults(), **(options or {})})}, public=public)
    return [f for f in run_rules(Document.load(str(path)), config, REGISTRY).findings if f.rule == rule_id]


def diff_findings_of(old: Path, new: Path, rule_id: str, options: dict | None = None) -> list[Finding]:
    """Findings of the diff rule ``rule_id`` on (old, new), with its default options updated by
    ``options``. Every diff rule runs (at its default severity), so that the version policy sees
    the breaking changes; only ``rule_id``'s findings are returned."""
    from auditor.api import load_version
    from auditor.diff.engine import run_diff_rules

    settings = {r.id: RuleSetting(True, r.severity, r.defaults()) for r in REGISTRY if r.source is Source.DIFF}
    settings[rule_id] = RuleSetting(True, REGISTRY[rule_id].severity, {**REGISTRY[rule_id].defaults(), **(options or {})})
    found, _ = run_diff_rules(load_version(str(old), LintOptions()), load_version(str(new), LintOptions()), Config(settings=settings), REGISTRY)
    return [f for f in found if f.rule == rule_id]


def run_rule(tmp_path: Path, rule_id: str, doc: str, files: dict[str, str] | None = None, **options) -> list[Finding]:
    """Findings of ``rule_id`` on ``doc`` (YAML text). ``options`` use the option names with
    ``_`` for ``-`` (``accept_ranges=True``)."""
    for name, text in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    path = tmp_path / "openapi.yaml"
    path.write_text(textwrap.dedent(doc), encoding="utf-8")
    return findings_of(path, rule_id, {k.replace("_", "-"): v for k, v in options.items()})


def operations(finding: Finding) -> list[str]:
    """The operations a finding concerns: its own, or the merged list for a shared component."""
    if finding.evidence and "operations" in finding.evidence:
        return list(finding.evidence["operations"])
    return [str(finding.operation)] if finding.operation else []
