"""ratelimit/: clients can see that they are throttled, when to retry, and how much quota is left.

Header names are compared case-insensitively, headers and responses reached through
``$ref`` count, any rate-limit header family counts and several may be declared together, and Swagger 2.0 response headers are read the same way.
"""

from __future__ import annotations

from auditor.document.context import Context, Header
from auditor.rules._shared import RATELIMIT_PREFIXES, health_kind, is_ratelimit_header, status_class
from auditor.rules.registry import Option, Violation, rule


def _zalando_alternative(headers: dict[str, Header]) -> bool:
    """Zalando #153 accepts the IETF `RateLimit` field or the full X-RateLimit trio instead of
    Retry-After on a 429."""
    if "ratelimit" in headers:
        return True
    return any(all(f"{p}{s}" in headers for s in ("limit", "remaining", "reset")) for p in RATELIMIT_PREFIXES)


@rule(
    "ratelimit/429-documented",
    severity="warn",
    summary="Every operation documents a 429 Too Many Requests response",
    hint="add a 429 response (a shared components/responses entry with Retry-After and a problem-details body)",
    options=[Option("accept-ranges", bool, False, "let a `4XX` or `default` response count as documenting 429")],
)
def documented_429(ctx: Context):
    """
    What it checks: every operation declares a `429` response (directly or through `$ref`).
    A `4XX` range or `default` does not count unless the option `accept-ranges` is true: a
    catch-all does not tell a client that the API throttles, nor which headers come with it.
    Health probes (the paths the health/ rules recognise) are exempt: they are not rate limited.

    Why it matters: every production API is rate limited somewhere (gateway, load balancer,
    the service). A client that does not know 429 exists treats it as a failure instead of
    backing off, which turns throttling into an outage (OWASP API4:2023, RFC 6585 §4).

    Bad:
        responses:
          "200": {description: OK}
          default: {$ref: "#/components/responses/Problem"}

    Good:
        responses:
          "200": {description: OK}
          "429": {$ref: "#/components/responses/TooManyRequests"}

    Fix: define a `TooManyRequests` response once (with `Retry-After`) and reference it from
    every operation.
    """
    accept_ranges = bool(ctx.options.get("accept-ranges", False))
    for op in ctx.operations():
        if health_kind(op) is not None:
            continue
        statuses = {r.status.upper() for r in ctx.responses(op)}
        if "429" in statuses:
            continue
        if accept_ranges and statuses & {"4XX", "DEFAULT"}:
            continue
        where = op.at.child("responses") if isinstance(op.node.get("responses"), dict) else op.at
        yield Violation("operation declares no 429 (Too Many Requests) response", where, operation=op)


@rule(
    "ratelimit/retry-after",
    severity="warn",
    summary="429 and 503 responses declare a Retry-After header",
    hint="declare a `Retry-After` response header (delay in seconds or an HTTP date) on 429 and 503",
)
def retry_after(ctx: Context):
    """
    What it checks: every `429` and `503` response (inline or a shared component, reported once
    at the component) declares the `Retry-After` header, in any letter case. Following Zalando
    #153, a 429 that instead declares the IETF `RateLimit` field or a complete
    `*-Limit`/`*-Remaining`/`*-Reset` trio passes too.

    Why it matters: `Retry-After` (RFC 9110 §10.2.3) is the one signal every HTTP client library
    understands for "come back later". Without it clients retry at once, and a throttled or
    overloaded service gets hammered harder.

    Severity warn: RFC 6585 says MAY and Microsoft's guidelines MUST; strict makes it an error.

    Bad:
        "429": {description: Too many requests}

    Good:
        "429":
          description: Too many requests
          headers:
            Retry-After: {schema: {type: integer, minimum: 0}, description: Seconds to wait}

    Fix: add `Retry-After` to the 429 and 503 response components.
    """
    for op in ctx.operations():
        for resp in ctx.responses(op):
            if resp.status not in ("429", "503"):
                continue
            headers = ctx.response_headers(resp)
            if "retry-after" in headers or (resp.status == "429" and _zalando_alternative(headers)):
                continue
            yield Violation(f"{resp.status} response declares no Retry-After header", resp.at, operation=op)


@rule(
    "ratelimit/headers-documented",
    severity="warn",
    summary="Successful responses declare rate-limit headers (any family)",
    hint="declare the rate-limit headers you send on 2xx responses, e.g. RateLimit and RateLimit-Policy (IETF) or X-RateLimit-Limit/-Remaining/-Reset",
)
def headers_documented(ctx: Context):
    """
    What it checks: every operation with a 2xx response has at least one 2xx response declaring
    a rate-limit header of any family, in any letter case:

    - IETF draft -07..-10: `RateLimit`, `RateLimit-Policy`;
    - IETF drafts -00..-06: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`;
    - `X-RateLimit-*` (GitHub, Zalando) and `X-Rate-Limit-*` (X/Twitter).

    Declaring several families at once is fine (spectral's `oneOf` rejects that).
    Operations without a 2xx response and health probes (not rate limited) are skipped. Values
    (delta seconds vs epoch) are not judged.

    Why it matters: clients that can see their remaining quota slow down before they are
    throttled, instead of discovering the limit through 429s.

    Severity warn, not error: gateways often add these headers without the spec saying so.

    Bad:
        "200": {description: OK}

    Good:
        "200":
          description: OK
          headers:
            RateLimit: {$ref: "#/components/headers/RateLimit"}
            RateLimit-Policy: {$ref: "#/components/headers/RateLimitPolicy"}

    Fix: declare the headers once in `components/headers` and reference them from 2xx responses.
    """
    for op in ctx.operations():
        ok = [r for r in ctx.responses(op) if status_class(r.status) == "2"]
        if not ok or health_kind(op) is not None:
            continue
        if any(any(is_ratelimit_header(h.name) for h in ctx.response_headers(r).values()) for r in ok):
            continue
        if len(ok) == 1:
            yield Violation(f"{ok[0].status} response declares no rate-limit headers", ok[0].at, operation=op)
        else:
            yield Violation("no 2xx response declares rate-limit headers", op.at.child("responses"), operation=op)
