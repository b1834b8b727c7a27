"""Runs rules over a loaded document and turns their violations into findings.

Rule functions yield ``Violation``s; here they get the configured severity (per operation
overrides applied), the rule's hint, an exact location (file:line:col, computed once per
finding through the file's locator), de-duplication (a problem in a shared component is one
finding listing every operation that uses it) and in-document suppression (``x-auditor-ignore``).
A violation on a node whose content is behind a ``$ref`` that was not followed (outside the ref
root, broken, remote) is suppressed too, with that reason: the rule read ``{}`` there, not the
content ("response 400 declares no body"). Rules that judge the document as written
(``as_written``: validation, duplicate keys, the ref rules themselves) are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from auditor.config import Config
from auditor.document.context import Context
from auditor.document.document import At, Document
from auditor.exceptions import AuditorError
from auditor.model import Finding, Location, Operation, Severity, Source
from auditor.rules.registry import Registry, Rule, Violation

IGNORE_KEY = "x-auditor-ignore"


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)


def run_rules(document: Document, config: Config, registry: Registry, only: Iterable[str] | None = None) -> LintResult:
    result = LintResult()
    ignores = _ignore_index(document)
    rules = config.enabled_rules(registry)
    if only is not None:
        wanted = set(only)
        rules = [r for r in registry if r.id in wanted]
        config = config.enabling(rules)
    from auditor.parallel import map_split

    runnable = [r for r in rules if r.check is not None and r.source is Source.LINT]  # live checks run in `audit`, diff rules in `diff`
    groups = _groups(runnable)
    done: dict[str, tuple[list[Finding], list[Finding]]] = {}
    for group, results in zip(
        groups,
        map_split(groups, lambda g: [_rule_findings(document, config, r, ignores) for r in g], weight=_weight(document), prepare=lambda: _prepare(document)),
    ):
        done.update(zip((r.id for r in group), results))
    for r in runnable:  # registry order, whoever ran the rule
        found, hidden = done[r.id]
        result.findings.extend(found)
        result.suppressed.extend(hidden)
    result.findings.sort(key=Finding.sort_key)
    return result


def _groups(rules: list[Rule]) -> list[list[Rule]]:
    """Rules by family (a family shares its caches, so it runs in one process); families with a
    ``heavy`` rule (one that walks every schema, $ref or response) first, so that the two
    processes of a split finish together."""
    families: dict[str, list[Rule]] = {}
    for r in rules:
        families.setdefault(r.family, []).append(r)
    return sorted(families.values(), key=lambda group: not any(r.heavy for r in group))


def _prepare(document: Document) -> None:
    """What nearly every family reads, built once before a split instead of in both processes:
    the context's per-operation caches, the root file's locator and every $ref followed once."""
    Context(document).warm()
    document.locate(At(document.root.name, "/paths"))
    document.unread_refs()


def _weight(document: Document) -> int:
    paths = document.data.get("paths") if isinstance(document.data, dict) else None
    return len(paths) if isinstance(paths, dict) else 0


def _rule_findings(document: Document, config: Config, r: Rule, ignores) -> tuple[list[Finding], list[Finding]]:
    findings: list[Finding] = []
    suppressed: list[Finding] = []
    setting = config.setting(r)
    ctx = Context(document, options=dict(setting.options), public=config.public)
    operations = _operations(document)
    # a violation's operations as an insertion-ordered set of (method, path) keys: a shared
    # component can be used by thousands
    merged: dict[tuple[At | None, str], tuple[Violation, dict[tuple[str, str], None]]] = {}
    for v in _run_one(r, ctx):
        key = (v.at, v.message)
        entry = merged.get(key)
        if entry is None:
            entry = merged[key] = (v, {})
        seen_ops = entry[1]
        if v.operation is not None:
            seen_ops[(v.operation.method, v.operation.path)] = None
        for op in v.operations:
            seen_ops[(op.method, op.path)] = None
    # without per-path overrides the severity is the same everywhere; without x-auditor-ignore
    # nothing is suppressed (the common case: skip both per-finding lookups)
    uniform = not any(r.id in o.rules for o in config.overrides)
    severity = config.severity_for(r, None, None) if uniform else None
    if uniform and severity is None:
        return findings, suppressed
    any_ignores = any(ignores.values())
    unread = document.unread_refs() if not r.as_written else {}
    for v, seen_ops in merged.values():
        keys = list(seen_ops)
        where = _path_item_at(document, v.at) if any_ignores or not keys else None
        if not keys and where is not None and where[0]:
            keys = [(where[0].lower(), where[1])]  # a violation inside /paths/{p}/{method}/...
        ops = [operations.get(k) or operations.add(k) for k in keys]
        labels = [operations.labels[k] for k in keys] if len(keys) > 1 else []
        finding = _to_finding(document, config, r, v, ops, severity, labels)
        if finding is None:
            continue
        reason = _behind_unread_ref(unread, v.at) if unread else None
        if reason is None and any_ignores:
            reason = _suppressed(ignores, r.id, ops, where)
        if reason is not None:
            ev = dict(finding.evidence or {})
            ev["suppressed"] = reason
            suppressed.append(Finding(**{**finding.__dict__, "evidence": ev, "fingerprint": finding.fingerprint}))
        else:
            findings.append(finding)
    return findings, suppressed


class _Operations(dict):
    """(method as written, path) -> the one ``Operation`` value, with its label: large documents
    name the same few thousand operations tens of thousands of times (one shared string each in
    a report, also when pickled between processes). Shared by every rule of a run."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: dict[tuple[str, str], str] = {}

    def add(self, key: tuple[str, str]) -> Operation:
        op = self[key] = Operation(key[0].upper(), key[1])
        self.labels[key] = str(op)
        return op


def _operations(document: Document) -> _Operations:
    return document.memo("engine/operations", _Operations)


def _run_one(r: Rule, ctx: Context) -> Iterable[Violation]:
    """The rule's violations; a rule that crashes is reported as a finding of its own (with what
    it found until then), so one bug never costs the rest of the report."""
    try:
        yield from r.check(ctx)  # type: ignore[misc]
    except RecursionError:
        yield Violation(f"rule {r.id} stopped: the document nests or recurses too deeply", None)
    except AuditorError:
        raise  # a configuration mistake (e.g. a bad option value): exit 2 with its message
    except Exception as exc:  # noqa: BLE001 - a rule bug must not end the run
        yield Violation(
            f"rule {r.id} stopped early on this document: {type(exc).__name__}: {exc}"[:500],
            None,
            hint="this is a bug in auditor, not in your document; please report it with the document attached",
            evidence={"internal_error": type(exc).__name__},
        )


def _behind_unread_ref(unread: dict[At, str], at: At | None) -> str | None:
    """Why a violation at ``at`` is not reported: it lies on or under a ``$ref`` not followed."""
    if at is None:
        return None
    from auditor.document import pointer as jp

    tokens = jp.split(at.pointer)
    for depth in range(len(tokens), -1, -1):
        ref = unread.get(At(at.file, jp.join("", *tokens[:depth])))
        if ref is not None:
            return f"its content is behind $ref {ref!r}, which was not followed"
    return None


def _path_item_at(document: Document, at: At | None) -> tuple[str, str] | None:
    """(METHOD or "", path) for a root-document pointer inside /paths/{path}[/{method}]/..."""
    if at is None or at.file != document.root.name or not at.pointer.startswith("/paths/"):
        return None
    from auditor.document import pointer as jp
    from auditor.document.document import HTTP_METHODS

    tokens = jp.split(at.pointer)
    method = tokens[2].upper() if len(tokens) >= 3 and tokens[2] in HTTP_METHODS else ""
    return method, tokens[1]


def _to_finding(document: Document, config: Config, r: Rule, v: Violation, ops: list[Operation], uniform: Severity | None, labels: list[str]) -> Finding | None:
    first = ops[0] if ops else None
    severity: Severity | None
    if uniform is not None:
        severity = uniform
    elif ops:
        # effective severity: the strongest among the operations where the rule is on
        sevs = [config.severity_for(r, o.method, o.path) for o in ops]
        on = [s for s in sevs if s is not None]
        if not on:
            return None
        severity = max(on, key=lambda s: s.rank)
    else:
        severity = config.severity_for(r, None, None)
        if severity is None:
            return None
    location = None
    if v.at is not None:
        pos = document.locate(v.at)
        location = Location(v.at.file, v.at.pointer, pos[0] if pos else None, pos[1] if pos else None)
    evidence: dict[str, Any] | None = dict(v.evidence) if v.evidence else None
    if len(ops) > 1:
        evidence = {**(evidence or {}), "operations": labels}
    return Finding(
        rule=r.id,
        severity=severity,
        message=v.message,
        hint=v.hint or r.hint,
        source=Source.LINT,
        operation=first if len(ops) == 1 else None,
        location=location,
        evidence=evidence,
    )


# --- x-auditor-ignore -------------------------------------------------------------------------


def _ignore_index(document: Document) -> dict[tuple[str, str], dict[str, str]]:
    """(method or "", path or "") -> {rule id or family prefix: reason}. Root uses ("", "")."""
    index: dict[tuple[str, str], dict[str, str]] = {}
    data = document.data
    if isinstance(data, dict):
        index[("", "")] = _parse_ignore(data.get(IGNORE_KEY))
    for op in document.operations():
        item_rules = _parse_ignore(op.path_item.get(IGNORE_KEY))
        if item_rules:
            index.setdefault(("", op.path), {}).update(item_rules)
        op_rules = _parse_ignore(op.node.get(IGNORE_KEY))
        if op_rules:
            index[(op.method.upper(), op.path)] = op_rules
    return index


def _parse_ignore(value: Any) -> dict[str, str]:
    """Accepts a list of ids, a list of {rule, reason}, or a mapping id -> reason."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out[str(k)] = str(v or "")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                out[item] = ""
            elif isinstance(item, dict) and isinstance(item.get("rule"), str):
                out[item["rule"]] = str(item.get("reason") or "")
    elif isinstance(value, str):
        out[value] = ""
    return out


def _suppressed(index: dict[tuple[str, str], dict[str, str]], rule_id: str, ops: list[Operation], where: tuple[str, str] | None) -> str | None:
    """The x-auditor-ignore reason that covers this finding: at the root, at a path item or at
    an operation (those of the finding, else the path item its pointer lies in)."""
    scopes = [("", "")] + [s for o in ops for s in (("", o.path), (o.method, o.path))]
    if not ops and where is not None:
        scopes.append(("", where[1]))
    for scope in scopes:
        rules = index.get(scope) or {}
        for key, reason in rules.items():
            if key == rule_id or key == "*" or rule_id.startswith(key.rstrip("*").rstrip("/") + "/"):
                return reason or "x-auditor-ignore"
    return None
