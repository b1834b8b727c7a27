"""Live policy checks over observed requests and responses (pure: no network here).

Every answer the audit sees (the fuzzer's, the sampling pass's, the probes') is an ``Observed``;
the checks below read them together with the document and the effective configuration
(``Policy``) and return ``Issue``s, which ``auditor.live.audit`` turns into ``source: live``
findings of the rule named in each issue.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from auditor.config import Config
from auditor.document.context import Context
from auditor.document.document import At, Document, OperationRef
from auditor.live.headers import has_ratelimit_family, lower, ratelimit_problems, retry_after_problem
from auditor.live.leaks import find_leak
from auditor.live.schemathesis_adapter import Exchange
from auditor.live.select import matches
from auditor.model import Severity
from auditor.rules._shared import LIVENESS, READINESS
from auditor.rules.registry import Registry

SAFE = ("GET", "HEAD", "OPTIONS")
PROBLEM_JSON = "application/problem+json"


@dataclass
class Observed:
    """One answered request: the operation it belongs to ("METHOD /path" as in the document, or
    None for requests outside any documented operation), where it came from and, for the
    fuzzer's requests, the generation mode."""

    operation: str | None
    exchange: Exchange
    origin: str = "fuzz"  # fuzz | sample | probe:<name>
    mode: str | None = None  # positive | negative (fuzz only)

    @property
    def valid(self) -> bool:
        """A request that follows the contract: counted by the error budget."""
        return self.origin == "sample" or (self.origin == "fuzz" and self.mode == "positive")


@dataclass
class Issue:
    rule: str
    operation: str | None
    message: str
    exchange: Exchange | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None  # None: the rule's configured severity


class Policy:
    """What the checks read: the document (through the rules' ``Context``), the effective
    configuration with each rule's options, and the ``live:`` settings."""

    def __init__(self, document: Document, config: Config, registry: Registry) -> None:
        self.document = document
        self.ctx = Context(document, public=config.public)
        self.config = config
        self.registry = registry
        self.operations: dict[str, OperationRef] = {f"{op.method.upper()} {op.path}": op for op in document.operations()}
        self._liveness = re.compile(LIVENESS, re.IGNORECASE)
        self._readiness = re.compile(READINESS, re.IGNORECASE)

    def options(self, rule_id: str) -> dict[str, Any]:
        rule = self.registry.get(rule_id)
        return dict(self.config.setting(rule).options) if rule is not None else {}

    @property
    def problem_details(self) -> bool:
        """The problem-details policy is on when the pack enables its static rule."""
        rule = self.registry.get("errors/problem-details-media-type")
        return rule is not None and self.config.setting(rule).enabled

    def health_kind(self, op: OperationRef) -> str | None:
        if op.method not in ("get", "head"):
            return None
        if self._readiness.search(op.path):
            return "readiness"
        if self._liveness.search(op.path):
            return "liveness"
        return None

    def rate_limit_exempt(self, op: OperationRef) -> bool:
        if self.health_kind(op) is not None:
            return True
        return any(matches(sel, op) for sel in self.options("ratelimit/live-headers").get("exempt") or [])

    def error_schema(self, op: OperationRef, status: int) -> tuple[Any, At, str] | None:
        """(schema, where, media type) documented for ``status`` (exact, range, default); the
        JSON media type is preferred."""
        wanted = (str(status), f"{str(status)[0]}XX", "default")
        by_status = {r.status.upper(): r for r in self.ctx.responses(op)}
        for key in wanted:
            resp = by_status.get(key.upper())
            if resp is None:
                continue
            media = [m for m in self.ctx.response_media(op, resp) if m.schema is not None]
            if not media:
                return None
            media.sort(key=lambda m: 0 if "json" in m.media_type.lower() else 1)
            return media[0].schema, media[0].at, media[0].media_type
        return None


# --- checks over observed answers ------------------------------------------------------------------


def check_rate_limit_headers(observed: Iterable[Observed], policy: Policy) -> list[Issue]:
    issues = []
    for o in observed:
        op = policy.operations.get(o.operation or "")
        status = o.exchange.status or 0
        if op is None or not 200 <= status < 300 or policy.rate_limit_exempt(op):
            continue
        headers = lower(o.exchange.response_headers)
        if not has_ratelimit_family(headers):
            issues.append(Issue("ratelimit/live-headers", o.operation, f"{status} answer carries no rate-limit header", o.exchange))
            continue
        for problem in ratelimit_problems(headers):
            issues.append(Issue("ratelimit/live-headers", o.operation, problem, o.exchange, {"group": re.sub(r"\d+", "#", problem)}))
    return issues


def check_retry_after(observed: Iterable[Observed], policy: Policy) -> list[Issue]:
    issues = []
    for o in observed:
        status = o.exchange.status
        if status not in (429, 503):
            continue
        found = retry_after_problem(lower(o.exchange.response_headers).get("retry-after"))
        if found is not None:
            message, serious = found
            issues.append(
                Issue("ratelimit/live-retry-after", o.operation, f"{status} answer: {message}", o.exchange, severity=None if serious else Severity.INFO)
            )
    return issues


def check_error_bodies(observed: Iterable[Observed], policy: Policy) -> list[Issue]:
    """Error bodies match the documented schema; under the problem-details policy they are
    application/problem+json with ``status`` equal to the HTTP status."""
    issues = []
    validators: dict[tuple, Any] = {}
    for o in observed:
        ex = o.exchange
        status = ex.status or 0
        if status < 400 or not ex.response_body or ex.method.upper() == "HEAD":
            continue
        ctype = lower(ex.response_headers).get("content-type", "").split(";", 1)[0].strip().lower()
        body = _json(ex.response_body) if "json" in ctype or ex.response_body.lstrip()[:1] in ("{", "[") else None
        op = policy.operations.get(o.operation or "")
        if op is not None:
            declared = policy.error_schema(op, status)
            if declared is not None:
                schema, at, media_type = declared
                key = (at.file, at.pointer)
                if key not in validators:
                    validators[key] = _validator(policy.document, schema, at)
                if body is _NOT_JSON or body is None:
                    if "json" in media_type.lower():
                        issues.append(
                            Issue(
                                "errors/live-error-schema",
                                o.operation,
                                f"{status} body is not JSON ({ctype or 'no Content-Type'}) but the contract documents {media_type}",
                                ex,
                            )
                        )
                else:
                    error = next(iter(sorted(validators[key].iter_errors(body), key=lambda e: list(e.path))), None)
                    if error is not None:
                        where = "/" + "/".join(map(str, error.absolute_path))
                        issues.append(
                            Issue(
                                "errors/live-error-schema",
                                o.operation,
                                f"{status} body does not match the documented error schema: {error.message[:160]} (at {where})",
                                ex,
                                {"schema": f"{at.file}#{at.pointer}", "group": f"{status} {list(error.absolute_schema_path)}"},
                            )
                        )
        if policy.problem_details:
            if ctype != PROBLEM_JSON:
                looks_problem = isinstance(body, dict) and len({"type", "title", "status", "detail", "instance"} & set(body)) >= 2
                note = " (a problem-details body sent as application/json)" if looks_problem and ctype == "application/json" else ""
                issues.append(
                    Issue("errors/live-problem-media-type", o.operation, f"{status} answer is {ctype or 'without Content-Type'}, not {PROBLEM_JSON}{note}", ex)
                )
            if isinstance(body, dict) and "status" in body and body["status"] != status:
                issues.append(
                    Issue("errors/live-problem-status", o.operation, f"problem body says status {body['status']!r} but the HTTP status is {status}", ex)
                )
    return issues


def check_leaks(observed: Iterable[Observed], policy: Policy) -> list[Issue]:
    issues = []
    for o in observed:
        leak = find_leak(o.exchange.response_body)
        if leak is not None:
            issues.append(
                Issue(
                    "errors/live-no-leak",
                    o.operation,
                    f"{o.exchange.status} answer leaks a {leak.what} {leak.kind}: {leak.excerpt[:200]}",
                    o.exchange,
                    {"leak": {"kind": leak.kind, "what": leak.what, "excerpt": leak.excerpt}, "group": f"{o.exchange.status} {leak.kind} {leak.what}"},
                )
            )
    return issues


# --- budgets -------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency_table(observed: Iterable[Observed]) -> dict[str, dict[str, Any]]:
    """Per operation: answers, p50/p95/p99/max over every answer (ms), and the sampling pass's
    successful samples with their p95."""
    every: dict[str, list[float]] = defaultdict(list)
    sampled: dict[str, list[float]] = defaultdict(list)
    for o in observed:
        ms = o.exchange.elapsed_ms
        if o.operation is None or ms is None:
            continue
        every[o.operation].append(ms)
        if o.origin == "sample" and 200 <= (o.exchange.status or 0) < 300:
            sampled[o.operation].append(ms)
    table = {}
    for label in sorted(every, key=_op_sort):
        values = every[label]
        row: dict[str, Any] = {
            "requests": len(values),
            "p50_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(max(values), 1),
            "samples": len(sampled.get(label, [])),
        }
        if sampled.get(label):
            row["sampled_p95_ms"] = round(percentile(sampled[label], 95), 1)
        table[label] = row
    return table


def check_latency(observed: list[Observed], policy: Policy, sampled_ops: Iterable[str]) -> list[Issue]:
    """p95 over budget. Sampled operations are judged on their successful samples, the others on
    every 2xx answer seen; fewer than ``min-samples`` is 'insufficient data' (info)."""
    opts = policy.options("reliability/latency-p95")
    budget, minimum = float(opts.get("budget-ms", 200.0)), int(opts.get("min-samples", 20))
    sampled_ops = set(sampled_ops)
    values: dict[str, list[float]] = defaultdict(list)
    slowest: dict[str, Observed] = {}
    for o in observed:
        if o.operation is None or o.exchange.elapsed_ms is None or not 200 <= (o.exchange.status or 0) < 300:
            continue
        if (o.operation in sampled_ops) != (o.origin == "sample"):
            continue
        values[o.operation].append(o.exchange.elapsed_ms)
        if o.operation not in slowest or o.exchange.elapsed_ms > (slowest[o.operation].exchange.elapsed_ms or 0):
            slowest[o.operation] = o
    issues = []
    for label in sorted(set(values) | sampled_ops, key=_op_sort):
        found = values.get(label, [])
        what = "sampled" if label in sampled_ops else "2xx"
        if len(found) < minimum and label not in sampled_ops:
            continue  # unsafe operations are judged only when the fuzzer saw enough 2xx answers
        if len(found) < minimum:
            shown = f", p95 {percentile(found, 95):.0f} ms" if found else ""
            issues.append(
                Issue(
                    "reliability/latency-p95",
                    label,
                    f"insufficient data: {len(found)} {what} answers (need {minimum}) to judge p95 against {budget:g} ms{shown}",
                    None,
                    {"samples": len(found)},
                    Severity.INFO,
                )
            )
            continue
        p95 = percentile(found, 95)
        if p95 > budget:
            issues.append(
                Issue(
                    "reliability/latency-p95",
                    label,
                    f"p95 {p95:.0f} ms over the {budget:g} ms budget ({len(found)} {what} answers, max {max(found):.0f} ms)",
                    slowest[label].exchange,
                    {"samples": len(found), "p95_ms": round(p95, 1), "budget_ms": budget},
                )
            )
    return issues


def error_rates(observed: Iterable[Observed]) -> dict[str, tuple[int, int, Observed | None]]:
    """Per operation: (valid requests, 5xx among them, one failing answer)."""
    out: dict[str, list] = {}
    for o in observed:
        if o.operation is None or not o.valid:
            continue
        row = out.setdefault(o.operation, [0, 0, None])
        row[0] += 1
        if (o.exchange.status or 0) >= 500:
            row[1] += 1
            row[2] = row[2] or o
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def check_error_rate(observed: list[Observed], policy: Policy) -> list[Issue]:
    budget = float(policy.options("reliability/error-rate").get("budget-percent", 0.1))
    needed = math.ceil(3 / (budget / 100)) if budget > 0 else None  # rule of three
    issues = []
    total, failed = 0, 0
    for label, (n, errors, example) in sorted(error_rates(observed).items(), key=lambda kv: _op_sort(kv[0])):
        total, failed = total + n, failed + errors
        rate = 100 * errors / n if n else 0.0
        if errors and rate > budget:
            issues.append(
                Issue(
                    "reliability/error-rate",
                    label,
                    f"{errors} of {n} valid requests answered 5xx ({rate:.2f} %, budget {budget:g} %)",
                    example.exchange if example else None,
                    {"requests": n, "errors": errors, "rate_percent": round(rate, 3)},
                )
            )
    if total and failed == 0 and needed and total < needed:
        issues.append(
            Issue(
                "reliability/error-rate",
                None,
                f"no 5xx in {total} valid requests, but at least {needed} are needed to show a rate under {budget:g} % "
                f"(rule of three: the 95 % upper bound is {300 / total:.2f} %)",
                None,
                {"requests": total, "errors": 0, "needed": needed},
                Severity.INFO,
            )
        )
    return issues


def check_all(observed: list[Observed], policy: Policy) -> list[Issue]:
    """Every check over observed answers (budgets are run by the caller, which knows the sampling)."""
    return [
        *check_rate_limit_headers(observed, policy),
        *check_retry_after(observed, policy),
        *check_error_bodies(observed, policy),
        *check_leaks(observed, policy),
    ]


# --- helpers -------------------------------------------------------------------------------------

_NOT_JSON = object()


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


def _op_sort(label: str) -> tuple[str, str]:
    method, _, path = label.partition(" ")
    return path, method


def inline_schema(document: Document, schema: Any, at: At, _seen: tuple[str, ...] = (), _depth: int = 0) -> Any:
    """``schema`` with every ``$ref`` replaced by its target (recursion cut to ``{}``)."""
    if _depth > 40:
        return {}
    if isinstance(schema, dict):
        if "$ref" in schema and isinstance(schema["$ref"], str):
            target, t_at = document.deref(schema, at)
            key = f"{t_at.file}#{t_at.pointer}"
            if key in _seen or target is schema:
                return {}
            return inline_schema(document, target, t_at, (*_seen, key), _depth + 1)
        return {k: inline_schema(document, v, at.child(k), _seen, _depth + 1) for k, v in schema.items()}
    if isinstance(schema, list):
        return [inline_schema(document, v, at.child(i), _seen, _depth + 1) for i, v in enumerate(schema)]
    return schema


def _validator(document: Document, schema: Any, at: At):
    import jsonschema

    resolved = inline_schema(document, schema, at)
    cls = jsonschema.Draft202012Validator if document.oas_version.startswith("3.1") else jsonschema.Draft4Validator
    return cls(_nullable(resolved) if isinstance(resolved, dict) else {})


def _nullable(schema: Any) -> Any:
    """OAS 3.0 ``nullable: true`` -> JSON Schema's null type."""
    if isinstance(schema, dict):
        out = {k: _nullable(v) for k, v in schema.items()}
        if out.pop("nullable", False) is True and "type" in out:
            t = out["type"]
            out["type"] = [*t, "null"] if isinstance(t, list) else [t, "null"]
        return out
    if isinstance(schema, list):
        return [_nullable(v) for v in schema]
    return schema
