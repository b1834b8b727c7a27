"""ratelimit/ on the running service: rate-limit headers on successful answers, Retry-After on
429 and 503, and the opt-in burst that must end in 429."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from auditor.live.context import LiveContext, label
from auditor.live.headers import has_ratelimit_family, lower, ratelimit_problems, retry_after_problem
from auditor.live.model import Issue, Observed, untested
from auditor.live.prober import Prober
from auditor.model import Severity
from auditor.rules.registry import Option, live_check


@live_check(
    "ratelimit/live-headers",
    severity="warn",
    summary="2xx answers of non-exempt operations carry sane rate-limit headers",
    hint="send one rate-limit header family (IETF RateLimit/RateLimit-Policy, RateLimit-*, X-RateLimit-*) with correct values",
    on="answer",
    options=[
        Option(
            "exempt",
            list,
            [],
            "operations not rate limited: METHOD, /path-glob, 'METHOD /path-glob', tag:NAME, id:operationId (health probes are always exempt)",
        )
    ],
)
def live_headers(live: LiveContext, o: Observed) -> Iterator[Issue]:
    """
    What it checks: every 2xx response of an operation that is not exempt carries a rate-limit
    header family. IETF `RateLimit` and `RateLimit-Policy` are parsed as Structured Field Lists
    (RFC 9651): each item names a policy (String, Token tolerated) with `r` (remaining, integer
    >= 0, required) and optional `t` >= 0; policies need `q` >= 0 and a `w` > 0 when given.
    `RateLimit-*`, `X-RateLimit-*` and `X-Rate-Limit-*` values are non-negative integers with
    remaining <= limit. A reset that looks like an epoch (> 10^9) is accepted (GitHub, X).
    Health probes are exempt. When the contract itself declares no rate-limit header (the static
    `ratelimit/headers-documented` finding), missing headers are evidence on that finding.

    Why it matters: clients pace themselves by these headers; a missing or nonsensical value
    makes them either hammer the service or back off for nothing.

    Bad: `RateLimit-Limit: 100` with `RateLimit-Remaining: 250`; `RateLimit: default;r=x`.

    Good: `RateLimit-Policy: "default";q=100;w=60` and `RateLimit: "default";r=42;t=17`.

    Fix: the evidence shows the response headers; fix the middleware that sets them.
    """
    op = live.run.operations.get(o.operation or "")
    if op is None or not o.exchange.ok or live.run.rate_limit_exempt(op):
        return
    headers = lower(o.exchange.response_headers)
    if not has_ratelimit_family(headers):
        yield Issue("2xx answers carry no rate-limit header", o.operation, o.exchange, confirms="ratelimit/headers-documented")
        return
    for problem in ratelimit_problems(headers):
        yield Issue(problem, o.operation, o.exchange, group=re.sub(r"\d+", "#", problem))


@live_check(
    "ratelimit/live-retry-after",
    severity="error",
    summary="Every 429 and 503 answer carries a valid Retry-After",
    hint="send Retry-After with delay seconds or an HTTP date on every 429 and 503",
    on="answer",
)
def live_retry_after(live: LiveContext, o: Observed) -> Iterator[Issue]:
    """
    What it checks: each observed 429 or 503 carries `Retry-After` whose value is delay seconds
    (`^[0-9]+$`) or an IMF-fixdate (RFC 9110 §10.2.3). A delay above a day is reported as info.
    When the contract itself documents no Retry-After (the static `ratelimit/retry-after`
    finding), the missing header is evidence on that finding.

    Why it matters: without it, well-behaved clients guess, and retry storms follow.

    Bad: `HTTP/1.1 429` with no Retry-After, or `Retry-After: soon`.

    Good: `Retry-After: 30`.

    Fix: set the header where the limiter or the overload guard answers.
    """
    status = o.exchange.status
    if status not in (429, 503):
        return
    found = retry_after_problem(lower(o.exchange.response_headers).get("retry-after"))
    if found is not None:
        message, serious = found
        yield Issue(
            f"{status} answer: {message}",
            o.operation,
            o.exchange,
            severity=None if serious else Severity.INFO,
            confirms="ratelimit/retry-after" if message == "no Retry-After header" else None,
        )


@live_check(
    "ratelimit/throttles",
    severity="warn",
    summary="A burst of requests is throttled with 429 (opt-in probe)",
    hint="enforce the documented rate limit and answer 429 with Retry-After when it is exceeded",
    on="probe",
    setting="probe-rate-limit",
    order=90,
)
def throttles(live: LiveContext, prober: Prober) -> Iterator[Issue]:
    """
    What it checks: with `--probe-rate-limit N`, up to N requests are sent back to back to one
    cheap GET operation (a collection first, then the fastest seen). The first throttled answer
    must be 429 (503 with Retry-After is accepted); 403 with `X-RateLimit-Remaining: 0` is
    reported (GitHub style). Not throttled within N requests is reported as info: the limit may
    simply be higher.

    Why it matters: an unenforced limit leaves the service open to abuse and noisy neighbours.

    Bad: 1000 requests in a second, all 200.

    Good: the 101st request answers 429 with `Retry-After: 12`.

    Fix: check the limiter's configuration for this route.
    """
    count = int(live.run.settings["probe-rate-limit"])
    requests = live.run.requests
    candidates = [op for op in live.operations(unsafe=False) if op.method == "get" and live.run.health_kind(op) is None]
    candidates.sort(key=lambda op: ("{" in op.path, _median_ms(live, label(op)), op.path))  # collections first, then the cheapest
    target = None
    for op in candidates:
        attempt = requests.first_success(prober, label(op), tries=2) if requests is not None else None
        if attempt is not None and attempt.built is not None:
            target = (op, attempt.built)
            break
    if target is None:
        yield untested(None, "the burst found no GET operation that answers 2xx to send it to")
        return
    op, built = target
    lbl = label(op)
    started = time.monotonic()
    for i in range(count):
        ex = prober.send(built, lbl)
        if ex is None:
            if not prober.allowed(lbl):
                yield untested(lbl, f"the time budget ended the burst after {i} requests")
            else:
                yield Issue(f"the burst lost its connection after {i} requests", lbl)
            return
        status = ex.status or 0
        if 200 <= status < 300:
            continue
        took = f"after {i + 1} requests in {time.monotonic() - started:.1f} s"
        if status == 429 or (status == 503 and "retry-after" in lower(ex.response_headers)):
            live.run.notes.append(f"burst: {lbl} answered {status} {took}")
        elif status == 403 and lower(ex.response_headers).get("x-ratelimit-remaining", "").strip() == "0":
            yield Issue(f"throttled with 403 and X-RateLimit-Remaining: 0 {took}; 429 is the standard status", lbl, ex, severity=Severity.WARN)
        else:
            yield Issue(f"the burst was stopped by {status} {took}, not 429", lbl, ex)
        return
    yield Issue(f"not throttled within {count} requests in {time.monotonic() - started:.1f} s (the limit may be higher)", lbl, severity=Severity.INFO)


def _median_ms(live: LiveContext, lbl: str) -> float:
    values = sorted(o.exchange.elapsed_ms for o in live.run.observed if o.operation == lbl and o.exchange.elapsed_ms is not None)
    return values[len(values) // 2] if values else float("inf")
