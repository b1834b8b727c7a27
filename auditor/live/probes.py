"""Requests the audit sends on purpose, with ``requests``, only to the given base URL: idempotency
replay, provoked errors, injection-style values, the latency sampling pass, health probes and
the opt-in burst. Every answer is recorded as an ``Observed`` (so the checks in
``auditor.live.policy`` see it too); what a probe itself concludes is an ``Issue``.

``--read-only``: the ``Prober`` refuses to send anything but GET, HEAD and OPTIONS, and the
mutating probes (replay, malformed bodies, injection into bodies) are not run.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auditor.document.context import Param
from auditor.document.document import OperationRef
from auditor.live.examples import UNSET, body_value, param_value, to_text
from auditor.live.headers import lower
from auditor.live.leaks import INJECTION_VALUES
from auditor.live.policy import SAFE, Issue, Observed, Policy
from auditor.live.schemathesis_adapter import Exchange, _excerpt
from auditor.model import Severity

HOP_HEADERS = {"content-length", "connection", "accept-encoding", "host", "transfer-encoding", "x-schemathesis-testcaseid"}
NOT_A_NUMBER = "auditor-not-a-number"
HEALTHY = {"pass", "ok", "up", "warn"}  # draft-inadarei-api-health-check: 2xx statuses (any case)


@dataclass
class Built:
    method: str
    path: str  # with parameters filled in, and the query string (or a full URL under base_url)
    headers: dict[str, str]
    body: bytes | None = None


class ReadOnlyViolation(AssertionError):
    """A bug: something tried to send an unsafe method under --read-only."""


@dataclass
class Prober:
    base_url: str
    headers: dict[str, str]
    policy: Policy
    record: Callable[[Observed], None]
    read_only: bool = False
    timeout: float = 10.0
    tls_verify: bool = True
    sent: int = 0
    session: Any = field(default=None, repr=False)
    errors: list[str] = field(default_factory=list)  # "METHOD /path: why" for requests that got no answer

    def __post_init__(self) -> None:
        import requests

        from auditor.live.bounded import bound

        self.session = bound(requests.Session())  # bodies capped, no proxies from the environment
        self.session.verify = self.tls_verify

    def close(self) -> None:
        self.session.close()

    # --- sending --------------------------------------------------------------------------------

    def send(self, built: Built, operation: str | None, origin: str, timeout: float | None = None) -> Exchange | None:
        import requests

        method = built.method.upper()
        if self.read_only and method not in SAFE:
            raise ReadOnlyViolation(f"{method} sent under --read-only")
        url = built.path if built.path.startswith(self.base_url + "/") else self.base_url + built.path
        headers = {**self.headers, **built.headers}
        try:
            response = self.session.request(method, url, headers=headers, data=built.body, timeout=timeout or self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            self.errors.append(f"{method} {urllib.parse.urlsplit(url).path}: {_reason(exc)}")
            return None
        self.sent += 1
        req = response.request
        exchange = Exchange(
            method=method,
            url=req.url or url,
            headers={k: str(v) for k, v in req.headers.items()},
            body=_excerpt(req.body),
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=_excerpt(response.content),
            elapsed_ms=round(response.elapsed.total_seconds() * 1000, 1),
        )
        self.record(Observed(operation, exchange, origin))
        return exchange

    # --- building requests from the document ----------------------------------------------------

    def build(
        self, op: OperationRef, *, overrides: dict[tuple[str, str], str] | None = None, body: Any = None, raw_body: bytes | None = None, with_body: bool = True
    ) -> Built | None:
        """A valid request for ``op`` (None when a required value cannot be built). ``overrides``
        replaces (location, name) values; ``body`` replaces the example body."""
        ctx = self.policy.ctx
        overrides = overrides or {}
        path, query, headers = op.path, [], {}
        for p in ctx.parameters(op):
            key = (p.location, p.name)
            if key in overrides:
                value: Any = overrides[key]
            elif p.required or p.location == "path":
                if p.location == "header" and p.name.lower() in {h.lower() for h in self.headers}:
                    continue
                value = param_value(ctx, p)
                if value is UNSET:
                    return None
            else:
                continue
            text = to_text(value)
            if p.location == "path":
                path = path.replace("{" + p.name + "}", urllib.parse.quote(text, safe=""))
            elif p.location == "query":
                query.append((p.name, text))
            elif p.location == "header":
                headers[p.name] = text
        if query:
            path += "?" + urllib.parse.urlencode(query)
        payload = raw_body
        if payload is None and with_body:
            media = self.json_body(op)
            if media is not None:
                value = body if body is not None else body_value(ctx, media, op)
                if value is UNSET:
                    return None
                payload = json.dumps(value).encode("utf-8")
                headers.setdefault("Content-Type", media.media_type if "json" in media.media_type else "application/json")
        elif payload is not None:
            headers.setdefault("Content-Type", "application/json")
        return Built(op.method.upper(), path, headers, payload)

    def json_body(self, op: OperationRef):
        for media in self.policy.ctx.request_bodies(op):
            if "json" in media.media_type.lower():
                return media
        return None


def _reason(exc: Exception) -> str:
    """One line on why a request got no answer."""
    import requests

    from auditor.live.bounded import ResponseTooLarge

    if isinstance(exc, ResponseTooLarge):
        return str(exc)
    if isinstance(exc, requests.Timeout):
        return "no complete answer within the request timeout"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed (refused, reset or closed)"
    return type(exc).__name__


def label(op: OperationRef) -> str:
    return f"{op.method.upper()} {op.path}"


def selected_operations(policy: Policy, selected: frozenset[tuple[str, str]] | None) -> list[OperationRef]:
    return [op for name, op in policy.operations.items() if selected is None or (op.method.upper(), op.path) in selected]


# --- idempotency replay ------------------------------------------------------------------------


def idempotency_key_param(policy: Policy, op: OperationRef) -> Param | None:
    from auditor.rules._shared import DEFAULT_HEADERS, key_param

    names = policy.options("idempotency/key-on-post").get("header-names") or DEFAULT_HEADERS
    return key_param(policy.ctx, op, list(names))


def replay(prober: Prober, op: OperationRef, notes: list[str]) -> list[Issue]:
    """Same key + payload twice -> same answer, no second resource; same key + other payload ->
    refused; required key left out -> 4xx."""
    key_p = idempotency_key_param(prober.policy, op)
    if key_p is None:
        return []
    opts = prober.policy.options("idempotency/replay")
    conflict = {int(s) for s in opts.get("conflict-statuses") or [409, 422]}
    volatile = {_norm(v) for v in opts.get("volatile-fields") or []}
    name, key = key_p.name, f"auditor-{uuid.uuid4().hex[:24]}"
    first_built = prober.build(op, overrides={("header", name): key})
    if first_built is None:
        notes.append(f"{label(op)}: replay skipped (no valid request could be built from the document)")
        return []
    lbl = label(op)
    first = prober.send(first_built, lbl, "probe:idempotency")
    if first is None or not 200 <= (first.status or 0) < 300:
        notes.append(f"{lbl}: replay skipped (the first request answered {first.status if first else 'nothing'})")
        return []
    issues = []
    second = prober.send(first_built, lbl, "probe:idempotency")
    if second is not None:
        a, b = _comparable(first, volatile), _comparable(second, volatile)
        if first.status != second.status:
            issues.append(
                Issue("idempotency/replay", lbl, f"the replay with the same key and payload answered {second.status}, the first {first.status}", second)
            )
        elif a != b:
            keys, diff = _difference(a, b)
            created = bool({_norm(k) for k in keys} & {"id", "uuid"}) or _location(first) != _location(second)
            what = "created a second resource" if created else "answered a different body"
            issues.append(
                Issue(
                    "idempotency/replay",
                    lbl,
                    f"the replay with the same key and payload {what} ({diff})",
                    second,
                    {"first": {"status": first.status, "body": first.response_body}},
                )
            )
    changed = _changed_body(prober, op)
    if changed is not None:
        other = prober.build(op, overrides={("header", name): key}, body=changed)
        third = prober.send(other, lbl, "probe:idempotency") if other else None
        if third is not None:
            status = third.status or 0
            if 200 <= status < 300:
                issues.append(
                    Issue("idempotency/replay", lbl, f"the same key with a different payload was accepted ({status}); expected {_codes(conflict)}", third)
                )
            elif status not in conflict:
                issues.append(
                    Issue(
                        "idempotency/replay",
                        lbl,
                        f"the same key with a different payload answered {status}; expected {_codes(conflict)}",
                        third,
                        severity=Severity.WARN,
                    )
                )
    if key_p.required:
        without = prober.build(op)
        if without is not None:
            without.headers.pop(name, None)
            fourth = prober.send(without, lbl, "probe:idempotency")
            if fourth is not None and not 400 <= (fourth.status or 0) < 500:
                issues.append(Issue("idempotency/replay", lbl, f"a request without the required {name} answered {fourth.status}, not 4xx", fourth))
    return issues


def _changed_body(prober: Prober, op: OperationRef) -> Any:
    media = prober.json_body(op)
    if media is None:
        return None
    value = body_value(prober.policy.ctx, media, op)
    if not isinstance(value, dict):
        return None
    out = dict(value)
    for k, v in out.items():
        if isinstance(v, str) and k != "id":
            out[k] = (v[:-1] + ("x" if v[-1:] != "x" else "y")) if v else "x"
            return out
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = v + 1
            return out
    return None


def _comparable(ex: Exchange, volatile: set[str]) -> Any:
    try:
        body = json.loads(ex.response_body or "null")
    except ValueError:
        return ex.response_body
    return _strip(body, volatile)


def _strip(value: Any, volatile: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, volatile) for k, v in value.items() if _norm(k) not in volatile}
    if isinstance(value, list):
        return [_strip(v, volatile) for v in value]
    return value


def _difference(a: Any, b: Any) -> tuple[list[str], str]:
    """(top-level keys that differ, a short description)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = [k for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
        return keys, ", ".join(f"{k}: {json.dumps(a.get(k))} then {json.dumps(b.get(k))}" for k in keys[:3])
    return [], "bodies differ"


def _location(ex: Exchange) -> str | None:
    return lower(ex.response_headers).get("location")


def _codes(codes: set[int]) -> str:
    return " or ".join(str(c) for c in sorted(codes))


def _norm(name: str) -> str:
    return str(name).lower().replace("_", "").replace("-", "")


# --- provoked errors and injection -------------------------------------------------------------


def provoke_errors(prober: Prober, ops: list[OperationRef]) -> list[Issue]:
    """Unknown path, malformed JSON, wrong-typed parameters: each must answer 4xx (the bodies go
    through the structured-error and leak checks like every other answer)."""
    issues = []
    unknown = Built("GET", f"/auditor-no-such-path-{uuid.uuid4().hex[:8]}", {})
    ex = prober.send(unknown, None, "probe:unknown-path")
    if ex is not None and (ex.status or 0) >= 500:
        issues.append(Issue("reliability/server-error", None, f"an unknown path answered {ex.status}", ex))
    for op in ops:
        lbl = label(op)
        method = op.method.upper()
        if prober.json_body(op) is not None and not prober.read_only:
            built = prober.build(op, overrides=_fresh_key(prober, op), raw_body=b'{"auditor": ')
            ex = prober.send(built, lbl, "probe:malformed-json") if built else None
            issues += _expect_4xx(ex, lbl, "malformed JSON")
        if method not in SAFE:
            continue
        for p in prober.policy.ctx.parameters(op):
            if p.location in ("path", "query") and _scalar_type(p) in ("integer", "number", "boolean"):
                built = prober.build(op, overrides={(p.location, p.name): NOT_A_NUMBER})
                ex = prober.send(built, lbl, "probe:wrong-type") if built else None
                issues += _expect_4xx(ex, lbl, f"a wrong-typed {p.location} parameter {p.name}={NOT_A_NUMBER!r}")
    return issues


def inject(prober: Prober, ops: list[OperationRef]) -> list[Issue]:
    """Injection-style values into string parameters (and, unless read-only, top-level string
    body fields): no 5xx; leaks are caught by the leak check."""
    issues = []
    for op in ops:
        lbl = label(op)
        targets: list[tuple[str, Any]] = []
        for p in prober.policy.ctx.parameters(op):
            if p.location in ("path", "query") and _scalar_type(p) == "string":
                targets.append(("param", p))
        media = prober.json_body(op)
        if media is not None and not prober.read_only:
            example = body_value(prober.policy.ctx, media, op)
            if isinstance(example, dict):
                targets += [("body", k) for k, v in example.items() if isinstance(v, str)]
        if op.method.upper() not in SAFE and prober.read_only:
            continue
        for kind, target in targets:
            for value in INJECTION_VALUES:
                if kind == "param":
                    built = prober.build(op, overrides={(target.location, target.name): value})
                else:
                    example = body_value(prober.policy.ctx, media, op)
                    built = prober.build(op, overrides=_fresh_key(prober, op), body={**example, target: value})
                ex = prober.send(built, lbl, "probe:injection") if built else None
                if ex is not None and (ex.status or 0) >= 500:
                    issues.append(
                        Issue(
                            "reliability/server-error",
                            lbl,
                            f"an injection-style value {value!r} in {target if kind == 'body' else target.name} answered {ex.status}",
                            ex,
                        )
                    )
                    break
    return issues


def _fresh_key(prober: Prober, op: OperationRef) -> dict[tuple[str, str], str]:
    key_p = idempotency_key_param(prober.policy, op)
    return {("header", key_p.name): f"auditor-{uuid.uuid4().hex[:24]}"} if key_p is not None else {}


def _expect_4xx(ex: Exchange | None, lbl: str, what: str) -> list[Issue]:
    if ex is None:
        return []
    status = ex.status or 0
    if status >= 500:
        return [Issue("reliability/server-error", lbl, f"{what} answered {status}", ex)]
    if status < 400:
        return [Issue("inputs/reject-invalid", lbl, f"{what} was accepted ({status})", ex)]
    return []


def _scalar_type(p: Param) -> str | None:
    schema = p.schema if isinstance(p.schema, dict) else {}
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


# --- latency sampling --------------------------------------------------------------------------


def sample_latency(prober: Prober, ops: list[OperationRef], seen: list[Observed], notes: list[str]) -> list[str]:
    """Warm-up, then sequential samples of each safe operation, replaying a request that already
    succeeded (so path ids exist) or one built from the document. Stops early when the p95
    verdict can no longer change. Returns the sampled operation labels."""
    opts = prober.policy.options("reliability/latency-p95")
    budget, planned, warmup = float(opts.get("budget-ms", 200.0)), int(opts.get("samples", 100)), int(opts.get("warmup", 5))
    settled_at = planned - max(1, -(-95 * planned // 100)) + 1  # over-budget answers that fix p95 above budget
    done = []
    for op in ops:
        if op.method.upper() != "GET" or planned <= 0:
            continue
        lbl = label(op)
        built = working_request(prober, op, seen)
        if built is None:
            notes.append(f"{lbl}: not sampled (no request that answers 2xx was found)")
            continue
        for _ in range(warmup):
            prober.send(built, None, "probe:warmup")
        over = 0
        for i in range(planned):
            ex = prober.send(built, lbl, "sample")
            if ex is not None and ex.elapsed_ms is not None and ex.elapsed_ms > budget and 200 <= (ex.status or 0) < 300:
                over += 1
                if over >= settled_at:
                    notes.append(f"{lbl}: sampling stopped after {i + 1} of {planned}: p95 is over budget whatever follows")
                    break
        done.append(lbl)
    return done


def _median_ms(seen: list[Observed], lbl: str) -> float:
    values = sorted(o.exchange.elapsed_ms for o in seen if o.operation == lbl and o.exchange.elapsed_ms is not None)
    return values[len(values) // 2] if values else float("inf")


def working_request(prober: Prober, op: OperationRef, seen: list[Observed], tries: int = 5) -> Built | None:
    """A GET for ``op`` that answers 2xx now: a request the fuzzer sent with success (newest
    first, so path ids exist), else one built from the document; each checked with one request."""
    lbl, candidates, urls = label(op), [], set()
    for o in reversed(seen):
        ex = o.exchange
        if o.operation == lbl and o.origin == "fuzz" and 200 <= (ex.status or 0) < 300 and ex.method.upper() == "GET" and ex.url not in urls:
            urls.add(ex.url)
            candidates.append(Built("GET", ex.url, {k: v for k, v in ex.headers.items() if k.lower() not in HOP_HEADERS}))
            if len(candidates) >= tries:
                break
    built = prober.build(op)
    if built is not None:
        candidates.append(built)
    for candidate in candidates:
        answer = prober.send(candidate, None, "probe:warmup")
        if answer is not None and 200 <= (answer.status or 0) < 300:
            return candidate
    return None


# --- health ------------------------------------------------------------------------------------


def health(prober: Prober, notes: list[str]) -> list[Issue]:
    opts = prober.policy.options("health/live-probe")
    limit = float(opts.get("timeout-ms", 1000.0))
    documented: dict[str, list[OperationRef]] = {"liveness": [], "readiness": []}
    for op in prober.policy.operations.values():
        kind = prober.policy.health_kind(op)
        if kind is not None and op.method == "get" and "{" not in op.path:
            documented[kind].append(op)
    issues = []
    for kind, ops in documented.items():
        if ops:
            for op in ops:
                ex = prober.send(Built("GET", op.path, {}), label(op), "probe:health", timeout=max(2 * limit / 1000, 2.0))
                issues += _judge_probe(ex, label(op), kind, limit, prober.errors[-1] if ex is None and prober.errors else None)
            continue
        tried = [p for p in opts.get("paths") or [] if (kind == "readiness") == ("read" in p)]
        answered = None
        for path in tried:
            ex = prober.send(Built("GET", path, {}), None, "probe:health", timeout=max(2 * limit / 1000, 2.0))
            if ex is not None and 200 <= (ex.status or 0) < 300:
                answered = (path, ex)
                break
        if answered is None:
            issues.append(
                Issue(
                    "health/live-probe",
                    None,
                    f"no {kind} endpoint is documented and none of {', '.join(tried)} answered 2xx",
                    severity=None if kind == "liveness" else Severity.WARN,
                )
            )
        else:
            notes.append(f"{kind}: undocumented {answered[0]} answered {answered[1].status}")
            issues += _judge_probe(answered[1], None, kind, limit)
    return issues


def _judge_probe(ex: Exchange | None, lbl: str | None, kind: str, limit_ms: float, why: str | None = None) -> list[Issue]:
    if ex is None:
        return [Issue("health/live-probe", lbl, f"the {kind} probe did not answer" + (f" ({why.partition(': ')[2]})" if why else ""))]
    status = ex.status or 0
    if kind == "readiness" and status == 503:
        return [Issue("health/live-probe", lbl, "the readiness probe answered 503: the service says it is not ready", ex, severity=Severity.INFO)]
    if status == 401:
        return [Issue("health/live-probe", lbl, f"the {kind} probe requires credentials (401)", ex, severity=Severity.INFO)]
    if not 200 <= status < 300:
        return [Issue("health/live-probe", lbl, f"the {kind} probe answered {status}, not 2xx", ex)]
    if ex.elapsed_ms is not None and ex.elapsed_ms > limit_ms:
        return [Issue("health/live-probe", lbl, f"the {kind} probe took {ex.elapsed_ms:.0f} ms (limit {limit_ms:g} ms)", ex)]
    try:
        body = json.loads(ex.response_body or "")
    except ValueError:
        body = None
    said = body.get("status") if isinstance(body, dict) else None
    if isinstance(said, str) and said.strip().lower() not in HEALTHY:
        return [
            Issue(
                "health/live-probe", lbl, f"the {kind} probe answered {status} but its body says status {said!r} (pass, ok, up or warn expected with 2xx)", ex
            )
        ]
    return []


# --- burst -------------------------------------------------------------------------------------


def burst(prober: Prober, ops: list[OperationRef], seen: list[Observed], count: int, notes: list[str]) -> list[Issue]:
    """Up to ``count`` back-to-back requests to one cheap GET: the first throttled answer must be a
    429 (or 503 with Retry-After; Retry-After itself is judged by the retry-after check)."""
    candidates = [op for op in ops if op.method == "get" and prober.policy.health_kind(op) is None]
    candidates.sort(key=lambda op: ("{" in op.path, _median_ms(seen, label(op)), op.path))  # collections first, then the cheapest
    target = next(((op, b) for op in candidates if (b := working_request(prober, op, seen)) is not None), None)
    if target is None:
        notes.append("burst: no GET operation to send it to")
        return []
    op, built = target
    lbl = label(op)
    started = time.monotonic()
    for i in range(count):
        ex = prober.send(built, lbl, "probe:burst")
        if ex is None:
            return [Issue("ratelimit/throttles", lbl, f"the burst lost its connection after {i} requests")]
        status = ex.status or 0
        if 200 <= status < 300:
            continue
        notes.append(f"burst: {lbl} answered {status} after {i + 1} requests in {time.monotonic() - started:.1f} s")
        if status == 429 or (status == 503 and "retry-after" in lower(ex.response_headers)):
            return []
        if status == 403 and lower(ex.response_headers).get("x-ratelimit-remaining", "").strip() == "0":
            return [
                Issue(
                    "ratelimit/throttles",
                    lbl,
                    f"throttled with 403 and X-RateLimit-Remaining: 0 after {i + 1} requests; 429 is the standard status",
                    ex,
                    severity=Severity.WARN,
                )
            ]
        return [Issue("ratelimit/throttles", lbl, f"the burst was stopped by {status} after {i + 1} requests, not 429", ex)]
    return [
        Issue(
            "ratelimit/throttles",
            lbl,
            f"not throttled within {count} requests in {time.monotonic() - started:.1f} s (the limit may be higher)",
            severity=Severity.INFO,
        )
    ]
