"""Engine output -> ``Finding``s: rule ids in auditor's families, a location at the operation in
the spec, evidence (request, response, curl, count, phase), secrets masked everywhere.

Schemathesis failures are mapped by their stable code (``STnnn``); anything else is
``contract/live-check``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from auditor.config import Config
from auditor.document.document import Document
from auditor.live.schemathesis_adapter import EngineResult, Exchange, RawError, RawFailure
from auditor.live.secrets import Masker
from auditor.model import Finding, Location, Operation, Severity, Source, compute_fingerprint
from auditor.rules.registry import Registry, Rule

CODE_RULES: dict[str, str] = {
    "ST101": "reliability/server-error",
    "ST102": "reliability/server-error",
    "ST103": "contract/status-code",
    "ST104": "contract/content-type",
    "ST105": "contract/content-type",
    "ST106": "contract/content-type",
    "ST107": "contract/response-headers",
    "ST108": "contract/response-schema",
    "ST109": "contract/response-schema",
    "ST110": "contract/response-schema",
    "ST111": "contract/response-schema",
    "ST112": "reliability/response-time",
    "ST201": "inputs/reject-invalid",
    "ST202": "inputs/accept-valid",
    "ST203": "inputs/required-header",
    "ST204": "contract/unsupported-method",
    "ST205": "contract/unsupported-method",
    "ST301": "contract/use-after-free",
    "ST302": "contract/resource-availability",
    "ST401": "security/auth-enforced",
    "ST402": "security/object-authorization",
}
ERROR_RULES = {"timeout": "reliability/timeout", "connection": "reliability/connection-error", "other": "contract/live-untestable"}
FALLBACK_RULE = "contract/live-check"


def rule_for(failure: RawFailure) -> str:
    return CODE_RULES.get(failure.code) or FALLBACK_RULE


def to_findings(result: EngineResult, document: Document, config: Config, registry: Registry, masker: Masker) -> list[Finding]:
    operations = operation_index(document)
    findings: list[Finding] = []
    for failure in result.failures:
        rule = registry.get(rule_for(failure)) or registry.get(FALLBACK_RULE)
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
        finding = live_finding(rule, message, failure.operation, evidence, operations, document, config, masker, identity)  # type: ignore[arg-type]
        if finding is not None:
            findings.append(finding)
    for error in result.errors:
        findings_for_error = _error_finding(error, operations, document, config, registry, masker)
        if findings_for_error is not None:
            findings.append(findings_for_error)
    return merge_repeats(findings)


def _error_finding(error: RawError, operations, document: Document, config: Config, registry: Registry, masker: Masker) -> Finding | None:
    rule = registry.get(ERROR_RULES[error.kind])
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
    return live_finding(rule, message, error.operation, evidence, operations, document, config, masker)  # type: ignore[arg-type]


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
    if rule.id not in config.settings:
        return rule.severity
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
