"""Runs the diff rules over a pair of documents and turns their changes into findings
(``source: diff``), as ``auditor/engine.py`` does for lint: the configured severity (per
operation overrides applied), the rule's hint, an exact location (file:line:col, in the new
document or, for what is gone, in the old one), one finding for a change in a shared node with
the operations that use it, and a crashing rule reported as a finding of its own.

Rules marked ``after_changes`` (the version policy) run last and see the breaking findings of
the others: those at severity error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from auditor.config import Config
from auditor.diff.pair import Change, DiffContext
from auditor.document.context import Context
from auditor.document.document import At, Document
from auditor.exceptions import AuditorError
from auditor.model import Finding, Location, Operation, Severity, Source
from auditor.rules.registry import Registry, Rule


def run_diff_rules(old: Document, new: Document, config: Config, registry: Registry, only: Iterable[str] | None = None) -> tuple[list[Finding], DiffContext]:
    """The findings of every enabled diff rule (or only those named), sorted; and the context
    they read (its figures go into the report's stats). The version policy reads the breaking
    findings of the enabled rules also when only it is asked for."""
    wanted = set(only) if only is not None else None
    if wanted is not None:
        config = config.enabling([r for r in registry if r.id in wanted])
    rules = [r for r in registry if r.source is Source.DIFF and r.check is not None and config.setting(r).enabled]
    pair = DiffContext.of(Context(old, public=config.public), Context(new, public=config.public))
    findings: list[Finding] = []
    for r in (r for r in rules if not r.after_changes):
        findings += _rule_findings(pair.with_options(dict(config.setting(r).options)), config, r)
    breaking = tuple(f for f in findings if f.severity is Severity.ERROR)
    for r in (r for r in rules if r.after_changes):
        findings += _rule_findings(pair.with_options(dict(config.setting(r).options), breaking), config, r)
    if wanted is not None:
        findings = [f for f in findings if f.rule in wanted]
    findings.sort(key=Finding.sort_key)
    return findings, pair


def _rule_findings(pair: DiffContext, config: Config, r: Rule) -> list[Finding]:
    merged: dict[tuple[bool, At, str], tuple[Change, dict[Operation, None]]] = {}
    for change in _run_one(r, pair):
        entry = merged.setdefault((change.in_old, change.at, change.message), (change, {}))
        if change.operation is not None:
            entry[1][Operation(change.operation.method.upper(), change.operation.path)] = None
    out = []
    for change, ops in merged.values():
        finding = _to_finding(pair, config, r, change, list(ops))
        if finding is not None:
            out.append(finding)
    return out


def _run_one(r: Rule, pair: DiffContext) -> Iterator[Change]:
    """The rule's changes; a rule that crashes becomes a finding of its own (with what it found
    until then), so one bug never costs the rest of the report."""
    try:
        yield from r.check(pair)  # type: ignore[misc]
    except AuditorError:
        raise
    except Exception as exc:  # noqa: BLE001 - a rule bug must not end the run
        yield Change(
            f"rule {r.id} stopped early on this pair of documents: {type(exc).__name__}: {exc}"[:500],
            pair.new.root,
            hint="this is a bug in auditor, not in your documents; please report it with both documents attached",
        )


def _to_finding(pair: DiffContext, config: Config, r: Rule, change: Change, ops: list[Operation]) -> Finding | None:
    if ops:
        on = [s for s in (config.severity_for(r, o.method, o.path) for o in ops) if s is not None]
        severity = max(on, key=lambda s: s.rank) if on else None
    else:
        severity = config.severity_for(r, None, None)
    if severity is None:
        return None
    document = (pair.old if change.in_old else pair.new).document
    evidence: dict[str, Any] = {"before": change.before, "after": change.after, **(change.evidence or {})}
    if change.old_at is not None and not change.in_old:
        old = _location(pair.old.document, change.old_at)
        evidence["old_location"] = {"file": old.file, "pointer": old.pointer, "line": old.line, "column": old.column}
    if len(ops) > 1:
        evidence["operations"] = [str(o) for o in ops]
    return Finding(
        rule=r.id,
        severity=severity,
        message=change.message,
        hint=change.hint or r.hint,
        source=Source.DIFF,
        operation=ops[0] if len(ops) == 1 else None,
        location=_location(document, change.at),
        evidence=evidence,
    )


def _location(document: Document, at: At) -> Location:
    pos = document.locate(at)
    return Location(at.file, at.pointer, pos[0] if pos else None, pos[1] if pos else None)
