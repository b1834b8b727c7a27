"""Live results -> ``Finding``s: rule ids in auditor's families, a location at the operation in
the document, evidence (request, response, curl, count, phase), secrets masked everywhere.

The fuzzer's failures are mapped to the rule that claims their stable code (``STnnn``, or the
request-error kind), anything else is ``contract/live-check``; the audit's own checks yield
``Issue``s of their rule. Then one cause, one finding: an issue that restates a static finding
becomes evidence on it, and the same finding on many operations is one finding listing them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from auditor.config import Config
from auditor.document.document import Document
from auditor.live.model import Exchange, Issue
from auditor.live.schemathesis_adapter import EngineResult, RawError
from auditor.live.secrets import Masker
from auditor.model import Finding, Location, Operation, Severity, Source, compute_fingerprint
from auditor.rules.registry import Registry, Rule

FALLBACK_RULE = "contract/live-check"


def rule_for(registry: Registry, code: str) -> Rule:
    """The rule that stands for a fuzzer failure code or request-error kind (``contract/live-check``
    for a code no rule claims)."""
    return registry.for_code(code) or registry[FALLBACK_RULE]


def to_findings(result: EngineResult, document: Document, config: Config, registry: Registry, masker: Masker) -> list[Finding]:
    operations = operation_index(document)
    findings: list[Finding] = []
    for failure in result.failures:
        rule = rule_for(registry, failure.code)
        detail = failure.message.strip()
        first = _first_paragraph(detail)
        status = f" ({failure.exchange.status})" if failure.exchange and failure.exchange.status else ""
        message = f"{failure.title}{status}: {first}" if first and first.lower() != failure.title.lower() else f"{failure.title}{status}"
        message += _redirect_note(failure.exchange)
        evidence: dict[str, Any] = {
            "check": failure.check,
            "code": failure.code,
            "phase": failure.phase,
            "count": failure.count,
            "detail": detail or None,
            **exchange_evidence(failure.exchange, masker),
            "curl": failure.curl or None,
        }
        if len(failure.steps) > 1:
            evidence["steps"] = failure.steps
        identity = f"{failure.check}|{failure.code}|{failure.key[-1]}"  # Schemathesis' identity: stable across runs
        finding = live_finding(rule, message, failure.operation, evidence, operations, document, config, masker, identity)
        if finding is not None:
            findings.append(finding)
    for error in result.errors:
        findings_for_error = _error_finding(error, operations, document, config, registry, masker)
        if findings_for_error is not None:
            findings.append(findings_for_error)
    return merge_repeats(findings)


def _error_finding(error: RawError, operations, document: Document, config: Config, registry: Registry, masker: Masker) -> Finding | None:
    rule = rule_for(registry, error.kind)
    first = _first_paragraph(error.message.strip())
    message = f"{error.title}: {first}" if first else error.title
    evidence: dict[str, Any] = {
        "phase": error.phase,
        "count": error.count,
        "detail": error.message.strip() or None,
        **exchange_evidence(error.exchange, masker),
    }
    if error.exchange is not None:
        evidence["curl"] = curl_for(error.exchange)
    return live_finding(rule, message, error.operation, evidence, operations, document, config, masker)


def live_finding(
    rule: Rule, message: str, label: str, evidence: dict, operations: dict, document: Document, config: Config, masker: Masker, identity: str | None = None
) -> Finding | None:
    op_ref = operations.get(_split_label(label))
    operation = Operation(op_ref.method.upper(), op_ref.path) if op_ref is not None else None
    severity = _severity(config, rule, operation)
    if severity is None:
        return None
    location = None
    if op_ref is not None:
        pos = document.locate(op_ref.at)
        location = Location(op_ref.at.file, op_ref.at.pointer, *(pos or (None, None)))
    if operation is None and label:
        evidence["operation"] = label
    finding = Finding(
        rule=rule.id,
        severity=severity,
        message=masker.text(message) or rule.summary,
        hint=rule.hint,
        source=Source.LIVE,
        operation=operation,
        location=location,
        evidence={k: v for k, v in masker.deep(evidence).items() if v is not None},
    )
    if identity is not None:
        # the message quotes generated values; the fingerprint (baselines, de-dup) must not
        finding = replace(finding, fingerprint=compute_fingerprint(replace(finding, message=identity)))
    return finding


_NOISE = re.compile(r"^(Expected: |Invalid data should have been rejected|Valid data should have been accepted)")


def _redirect_note(exchange: Exchange | None) -> str:
    """A recorded redirect is one that was not followed (the fuzzer follows only same-origin ones)."""
    if exchange is None or not 300 <= (exchange.status or 0) < 400:
        return ""
    location = {k.lower(): v for k, v in (exchange.response_headers or {}).items()}.get("location")
    return f" (redirect to {location} not followed)" if location else ""


def _first_paragraph(text: str, limit: int = 200) -> str:
    """The message's first paragraph on one line (the rest goes to evidence.detail)."""
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            if lines:
                break
            continue
        if not _NOISE.match(line.strip()):
            lines.append(line.strip().lstrip("- ").strip())
    out = " ".join(lines)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _severity(config: Config, rule: Rule, operation: Operation | None) -> Severity | None:
    """The configured severity at the operation; None when the rule is off there (a rule named
    in no pack is off, live or static alike)."""
    return config.severity_for(rule, operation.method if operation else None, operation.path if operation else None)


def merge_repeats(findings: list[Finding]) -> list[Finding]:
    """Distinct engine failures that read the same (same fingerprint) become one finding whose
    count is the sum; the first one's evidence is kept."""
    merged: dict[str, Finding] = {}
    for f in findings:
        seen = merged.get(f.fingerprint)
        if seen is None:
            merged[f.fingerprint] = f
            continue
        evidence = dict(seen.evidence or {})
        evidence["count"] = int(evidence.get("count", 1)) + int((f.evidence or {}).get("count", 1))
        merged[f.fingerprint] = Finding(**{**seen.__dict__, "evidence": evidence})
    return sorted(merged.values(), key=Finding.sort_key)


def operation_index(document: Document) -> dict:
    return {(op.method.upper(), op.path): op for op in document.operations()}


def _split_label(label: str) -> tuple[str, str]:
    method, _, path = label.partition(" ")
    return method.upper(), path


def exchange_evidence(exchange: Exchange | None, masker: Masker) -> dict[str, Any]:
    if exchange is None:
        return {}
    out: dict[str, Any] = {
        "request": {"method": exchange.method, "url": exchange.url, "headers": masker.headers(exchange.headers), "body": exchange.body},
    }
    if exchange.status is not None:
        out["response"] = {
            "status": exchange.status,
            "headers": masker.headers(exchange.response_headers),
            "body": exchange.response_body,
            "elapsed_ms": exchange.elapsed_ms,
        }
    return out


def curl_for(exchange: Exchange) -> str:
    """A curl line for a request that got no response (the engine gives none for those)."""
    import shlex

    parts = ["curl", "-X", exchange.method]
    for name, value in exchange.headers.items():
        if name.lower() not in ("content-length", "connection", "accept-encoding"):
            parts += ["-H", f"{name}: {value}"]
    if exchange.body:
        parts += ["-d", exchange.body]
    parts.append(exchange.url)
    return " ".join(shlex.quote(p) for p in parts)


# --- the audit's own checks -------------------------------------------------------------------------


def issue_findings(issues: list[tuple[Rule, Issue]], document: Document, config: Config, masker: Masker) -> list[Finding]:
    """Issues -> findings: the same issue on one operation (its ``group``, else its message) is
    one finding with a count."""
    operations = operation_index(document)
    groups: dict[tuple, tuple[Rule, Issue, int]] = {}
    for rule, issue in issues:
        key = (rule.id, issue.operation, issue.group or issue.message)
        seen = groups.get(key)
        groups[key] = (rule, issue, 1) if seen is None else (seen[0], seen[1], seen[2] + 1)
    out = []
    for rule, issue, count in groups.values():
        evidence = {"count": count, **issue.evidence, **exchange_evidence(issue.exchange, masker)}
        if issue.exchange is not None:
            evidence["curl"] = curl_for(issue.exchange)
        finding = live_finding(rule, issue.message, issue.operation or "", evidence, operations, document, config, masker)
        if finding is None:
            continue
        if issue.severity is not None and issue.severity.rank < finding.severity.rank:
            finding = finding.with_severity(issue.severity)
        out.append(finding)
    return merge_repeats(out)


def fold_confirmations(issues: list[tuple[Rule, Issue]], static: list[Finding], masker: Masker) -> tuple[list[tuple[Rule, Issue]], list[Finding]]:
    """One cause, one finding: an issue that restates a static finding on its operation (its
    ``confirms``) becomes ``evidence.live`` on that finding (count, operations, one example)
    instead of a finding of its own. Returns the issues left and the static findings, updated."""
    index: dict[tuple[str, str], int] = {}
    for i, f in enumerate(static):
        labels = [str(f.operation)] if f.operation is not None else list((f.evidence or {}).get("operations") or [])
        for lbl in labels:
            index.setdefault((f.rule, lbl), i)
    confirmed: dict[int, dict[str, Any]] = {}
    left = []
    for rule, issue in issues:
        at = index.get((issue.confirms or "", issue.operation or "")) if issue.confirms else None
        if at is None:
            left.append((rule, issue))
            continue
        entry = confirmed.setdefault(at, {"rule": rule.id, "message": issue.message, "count": 0, "operations": [], "example": None})
        entry["count"] += 1
        if issue.operation not in entry["operations"]:
            entry["operations"].append(issue.operation)
        if entry["example"] is None and issue.exchange is not None:
            entry["example"] = {**exchange_evidence(issue.exchange, masker), "curl": curl_for(issue.exchange)}
    updated = list(static)
    for at, entry in confirmed.items():
        f = updated[at]
        updated[at] = replace(f, evidence={**(f.evidence or {}), "live": masker.deep({k: v for k, v in entry.items() if v is not None})})
    return left, updated


def merge_operations(findings: list[Finding]) -> list[Finding]:
    """The same live finding (rule, severity, message) on several operations is one finding
    listing them in ``evidence.operations`` (as a shared component's static finding does), with
    the counts added up and the first operation's location and example."""
    groups: dict[tuple, list[Finding]] = {}
    order: list[tuple] = []
    for f in findings:
        key = (f.rule, f.severity, f.message) if f.source == Source.LIVE and f.operation is not None else (id(f),)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(f)
    out = []
    for key in order:
        group = groups[key]
        if len(group) == 1:
            out.append(group[0])
            continue
        first = group[0]
        evidence = dict(first.evidence or {})
        evidence["count"] = sum(int((f.evidence or {}).get("count", 1)) for f in group)
        evidence["operations"] = sorted({str(f.operation) for f in group}, key=lambda label: label.partition(" ")[::-1])
        merged = replace(first, operation=None, evidence=evidence)
        # identified by rule and message: which operations (and so which one comes first) may vary
        out.append(replace(merged, fingerprint=compute_fingerprint(replace(merged, location=None))))
    return sorted(out, key=Finding.sort_key)
