"""Run one rule over an inline document (and optional extra files) with chosen options, and the
small documents the rule tests (tests/rules/) build on."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from auditor.api import LintOptions
from auditor.config import Config, RuleSetting
from auditor.document.document import Document
from auditor.engine import run_rules
from auditor.model import Finding, Source
from auditor.rules import load_builtin_rules

REGISTRY = load_builtin_rules()
UPDATE_SNAPSHOTS = os.environ.get("AUDITOR_UPDATE_SNAPSHOTS") == "1"


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


def assert_snapshot(findings: list[Finding], snapshot: Path, update: bool = UPDATE_SNAPSHOTS) -> None:
    """``findings`` equal the ``snapshot`` file (``expected.txt`` beside a rule's fixtures): per
    finding its rule, file:line:col (the file relative to the snapshot's folder), JSON pointer,
    message and the operations it concerns; nothing volatile (no absolute path, no fingerprint).
    With AUDITOR_UPDATE_SNAPSHOTS=1 the file is written instead: read its diff before committing."""
    text = ""
    for f in findings:
        at = f.location
        where = f"{os.path.relpath(at.file, snapshot.parent)}:{at.line}:{at.column} #{at.pointer}" if at else "(no location)"
        text += f"{f.rule} {where}\n  {f.message}\n" + "".join(f"  operation: {op}\n" for op in operations(f))
    if update and (not snapshot.is_file() or snapshot.read_text(encoding="utf-8") != text):
        snapshot.write_text(text, encoding="utf-8")
    assert snapshot.is_file(), f"no {snapshot}: write it with AUDITOR_UPDATE_SNAPSHOTS=1"
    assert text == snapshot.read_text(encoding="utf-8"), f"findings differ from {snapshot} (if meant: AUDITOR_UPDATE_SNAPSHOTS=1, then read the diff)"


PROBLEM = """
    Problem:
      type: object
      properties:
        type: {type: string, format: uri-reference}
        title: {type: string}
        status: {type: integer}
        detail: {type: string}
"""


def doc3(responses: str, components: str = "") -> str:
    """A 3.0 document with GET and POST /pets sharing the given `responses` block."""
    body = f"""
openapi: 3.0.3
info: {{title: t, version: 1.0.0}}
paths:
  /pets:
    get:
      responses:{responses}
    post:
      responses:{responses}
components:
  schemas:{PROBLEM}{components}
"""
    return body


def api(paths: str, head: str = "openapi: 3.0.3\ninfo: {title: t, version: 1.0.0}\n", extra: str = "") -> str:
    """A document (3.0.3 unless ``head`` says otherwise) with the given ``paths`` block and ``extra`` top-level text."""
    return head + "paths:" + paths + "\n" + extra
