"""Live policy rules: what ``auditor audit`` reports when the running service breaks the
reliability guideline (idempotent retries, rate-limit headers, structured errors, no leaks,
latency and error budgets, health probes).

Documentation only: the checks live in ``auditor.live.policy`` (over every observed request and
response) and ``auditor.live.probes`` (requests sent on purpose). Each shares the family of its
static counterpart; the options below are set in packs and project config like any rule's.
"""

from __future__ import annotations

from auditor.rules.registry import Option, live_rule

IDEMPOTENCY_REPLAY = live_rule(
    "idempotency/replay",
    severity="error",
    summary="Retrying a POST/PATCH with the same Idempotency-Key replays the first answer",
    hint="store the first answer per key and payload fingerprint; replay it for the same payload, refuse another payload",
    options=[
        Option("conflict-statuses", list, [409, 422], "statuses accepted for the same key with a different payload (400 is Zalando's choice)"),
        Option(
            "volatile-fields",
            list,
            ["date", "created", "created_at", "createdAt", "updated_at", "updatedAt", "timestamp", "request_id", "requestId", "trace_id", "traceId"],
            "body properties (any depth) ignored when comparing the replayed answer",
        ),
    ],
    doc="""
    What it checks: for each POST/PATCH operation that declares an idempotency key header
    (`idempotency/key-on-post` names), the audit sends one valid request twice with the same key
    and payload, then the same key with a changed payload, then (when the key is required) no key:
    - the replay answers the same status and body (volatile fields such as dates and request ids
      ignored) and creates no second resource (same id / Location);
    - the changed payload is refused with 409 or 422 (option `conflict-statuses`), never 2xx;
    - the request without a required key answers 4xx.

    Why it matters: clients retry after timeouts. If the retry creates a second order, or a key
    silently accepts another payload, retries are not safe and money or data is duplicated.

    Bad: the second `POST /v1/items` with `Idempotency-Key: k1` answers 201 with id 8 after id 7.

    Good: it answers 201 with id 7 again; the same key with another body answers 422.

    Fix: keep a key -> (payload fingerprint, answer) store with an expiry; mutating probes are off
    with `--read-only`.
    """,
)

RATELIMIT_HEADERS = live_rule(
    "ratelimit/live-headers",
    severity="warn",
    summary="2xx answers of non-exempt operations carry sane rate-limit headers",
    hint="send one rate-limit header family (IETF RateLimit/RateLimit-Policy, RateLimit-*, X-RateLimit-*) with correct values",
    options=[
        Option(
            "exempt",
            list,
            [],
            "operations not rate limited: METHOD, /path-glob, 'METHOD /path-glob', tag:NAME, id:operationId (health probes are always exempt)",
        )
    ],
    doc="""
    What it checks: every 2xx response of an operation that is not exempt carries a rate-limit
    header family. IETF `RateLimit` and `RateLimit-Policy` are parsed as Structured Field Lists
    (RFC 9651): each item names a policy (String, Token tolerated) with `r` (remaining, integer
    >= 0, required) and optional `t` >= 0; policies need `q` >= 0 and a `w` > 0 when given.
    `RateLimit-*`, `X-RateLimit-*` and `X-Rate-Limit-*` values are non-negative integers with
    remaining <= limit. A reset that looks like an epoch (> 10^9) is accepted (GitHub, X).

    Why it matters: clients pace themselves by these headers; a missing or nonsensical value
    makes them either hammer the service or back off for nothing.

    Bad: `RateLimit-Limit: 100` with `RateLimit-Remaining: 250`; `RateLimit: default;r=x`.

    Good: `RateLimit-Policy: "default";q=100;w=60` and `RateLimit: "default";r=42;t=17`.

    Fix: the evidence shows the response headers; fix the middleware that sets them.
    """,
)

RETRY_AFTER = live_rule(
    "ratelimit/live-retry-after",
    severity="error",
    summary="Every 429 and 503 answer carries a valid Retry-After",
    hint="send Retry-After with delay seconds or an HTTP date on every 429 and 503",
    doc="""
    What it checks: each observed 429 or 503 carries `Retry-After` whose value is delay seconds
    (`^[0-9]+$`) or an IMF-fixdate (RFC 9110 §10.2.3). A delay above a day is reported as info.

    Why it matters: without it, well-behaved clients guess, and retry storms follow.

    Bad: `HTTP/1.1 429` with no Retry-After, or `Retry-After: soon`.

    Good: `Retry-After: 30`.

    Fix: set the header where the limiter or the overload guard answers.
    """,
)

THROTTLES = live_rule(
    "ratelimit/throttles",
    severity="warn",
    summary="A burst of requests is throttled with 429 (opt-in probe)",
    hint="enforce the documented rate limit and answer 429 with Retry-After when it is exceeded",
    doc="""
    What it checks: with `--probe-rate-limit N`, up to N requests are sent back to back to one
    cheap GET operation. The first throttled answer must be 429 (503 with Retry-After is
    accepted); 403 with `X-RateLimit-Remaining: 0` is reported (GitHub style). Not throttled
    within N requests is reported as info: the limit may simply be higher.

    Why it matters: an unenforced limit leaves the service open to abuse and noisy neighbours.

    Bad: 1000 requests in a second, all 200.

    Good: the 101st request answers 429 with `Retry-After: 12`.

    Fix: check the limiter's configuration for this route.
    """,
)

ERROR_SCHEMA = live_rule(
    "errors/live-error-schema",
    severity="error",
    summary="Every 4xx/5xx body matches the documented error schema",
    hint="answer errors with the documented error body (one shared shape, e.g. problem details)",
    doc="""
    What it checks: each 4xx/5xx answer the audit sees (fuzzing, and errors provoked on purpose:
    unknown path, malformed JSON, wrong-typed parameter) has a body that validates against the
    schema documented for that status (exact, range or `default`).

    Why it matters: clients parse errors by the contract to show messages and decide on retries;
    an error in another shape becomes an unhandled exception in the client.

    Bad: `400 {"error": "bad json"}` where the contract documents a problem-details body.

    Good: `400 {"type": "about:blank", "title": "Bad Request", "status": 400}`.

    Fix: route every error through the same error handler.
    """,
)

PROBLEM_MEDIA_TYPE = live_rule(
    "errors/live-problem-media-type",
    severity="warn",
    summary="Error answers are application/problem+json (when the problem-details policy is on)",
    hint="serve error bodies with Content-Type: application/problem+json (RFC 9457)",
    doc="""
    What it checks: when the pack enables `errors/problem-details-media-type`, every 4xx/5xx
    answer with a body (also for unknown paths and malformed requests) is served as
    `application/problem+json`. Problem JSON sent as `application/json` is a warning.

    Why it matters: the media type tells clients the body is a problem document they can parse
    generically.

    Bad: `404 text/html` from the framework's default handler.

    Good: `404 application/problem+json`.

    Fix: install a catch-all error handler that renders problem details.
    """,
)

PROBLEM_STATUS = live_rule(
    "errors/live-problem-status",
    severity="error",
    summary="A problem-details body's status equals the HTTP status",
    hint="set the body's status member from the HTTP status the response is sent with",
    doc="""
    What it checks: a JSON error body with a `status` member (RFC 9457 §3.1) carries the same
    number as the HTTP status line.

    Why it matters: RFC 9457 requires generators to use the same code; clients that read the body
    (for example behind proxies that rewrite statuses) otherwise act on the wrong one.

    Bad: `HTTP/1.1 404` with `{"status": 400, ...}`.

    Good: `HTTP/1.1 404` with `{"status": 404, ...}`.

    Fix: build the problem body from the response status in one place.
    """,
)

NO_LEAK = live_rule(
    "errors/live-no-leak",
    severity="error",
    summary="No answer contains a stack trace, a database error or a debug page",
    hint="log internals server-side; answer a generic problem body with a correlation id",
    doc="""
    What it checks: every answer body seen (fuzzing, probes, and injection-style values such as
    quotes and comment markers sent to string parameters) is scanned with strict patterns for
    stack frames (Python, Java, .NET, Node, Go, Ruby, PHP), database and driver errors
    (PostgreSQL/psycopg, MySQL, SQLite, Oracle, SQL Server, MongoDB) and framework debug pages
    (Django, Werkzeug, Rails, Laravel/Whoops, ASP.NET, Spring Whitelabel). The finding quotes
    the matched excerpt. Words such as "error", "at" or a `trace` correlation id do not match.

    Why it matters: stack traces and SQL errors map the internals for an attacker (OWASP API8)
    and often show that input reaches a query unescaped.

    Bad: `500 Traceback (most recent call last): File "app.py", line 12 ...`.

    Good: `500 {"title": "Internal Server Error", "instance": "/errors/7f3c"}`.

    Fix: catch errors at the edge; for database errors also use parameterised queries.
    """,
)

LATENCY = live_rule(
    "reliability/latency-p95",
    severity="error",
    summary="The 95th percentile latency of each operation is within the budget",
    hint="profile the operation; the latency table shows p50/p95/p99/max per operation",
    options=[
        Option("budget-ms", float, 200.0, "p95 budget in milliseconds"),
        Option("samples", int, 100, "sequential samples per safe operation in the sampling pass"),
        Option("warmup", int, 5, "warm-up requests per operation before sampling (not counted)"),
        Option("min-samples", int, 20, "fewer successful samples than this is 'insufficient data' (info)"),
    ],
    doc="""
    What it checks: per operation, p50/p95/p99/max (nearest rank) over every response seen, and
    a sampling pass of sequential requests to safe operations (GET/HEAD), after a warm-up. The
    p95 of the successful samples (or of all 2xx answers for other operations) above `budget-ms`
    is a finding. Sampling stops early once the verdict cannot change (more than 5 % of the
    planned samples already over budget). Fewer than `min-samples` successes is reported as info.

    Why it matters: the guideline's budget is p95 < 200 ms; slow tails exhaust client timeouts
    and connection pools. Measured from the auditor's host, so network time is included.

    Bad: GET /v1/items p95 = 260 ms.

    Good: p95 = 12 ms.

    Fix: look at the operation's slow path (queries, N+1, missing index, cold caches).
    """,
)

ERROR_RATE = live_rule(
    "reliability/error-rate",
    severity="error",
    summary="5xx answers to valid requests stay under the error budget",
    hint="fix the failing requests listed in the evidence; the rate is over valid requests only",
    options=[Option("budget-percent", float, 0.1, "largest acceptable share of 5xx among valid requests, in percent")],
    doc="""
    What it checks: per operation, the share of 5xx answers among valid requests (requests the
    fuzzer generated to follow the contract, and the sampling pass; negative tests, probes and
    bursts are left out). Above the budget is a finding. Zero errors can only be claimed below
    the budget with enough requests: by the rule of three the 95 % upper bound is 3/n, so 0.1 %
    needs n >= 3000; below that the report says the sample is too small (info).

    Why it matters: the guideline's budget is < 0.1 % 5xx; a service failing 2 % of valid reads
    breaks every client that does not retry.

    Bad: 3 of 120 valid GET /v1/items/{itemId} answered 503.

    Good: 0 of 3000.

    Fix: the evidence shows a failing request; reproduce it and read the server logs.
    """,
)

HEALTH = live_rule(
    "health/live-probe",
    severity="error",
    summary="Liveness and readiness endpoints answer 2xx within a second",
    hint="serve a cheap liveness (e.g. /healthz) and readiness (e.g. /readyz) endpoint",
    options=[
        Option("timeout-ms", float, 1000.0, "slowest acceptable probe answer, in milliseconds"),
        Option(
            "paths",
            list,
            ["/healthz", "/health", "/livez", "/readyz", "/ready", "/actuator/health"],
            "conventional paths tried when the document declares none",
        ),
    ],
    doc="""
    What it checks: the documented liveness and readiness endpoints (the `health/liveness` and
    `health/readiness` patterns), or else the conventional paths (option `paths`, under the base
    URL), answer 2xx within `timeout-ms`. A readiness 503 means "not ready" and is reported as
    info; a 401 as info (protected probe). No liveness endpoint answering at all is a finding.

    Why it matters: orchestrators restart or route by these endpoints; a slow or failing probe
    takes healthy instances out of service.

    Bad: GET /healthz takes 1.8 s, or answers 500.

    Good: `200 {"status": "ok"}` in 2 ms.

    Fix: keep probes cheap (no downstream calls in liveness).
    """,
)
