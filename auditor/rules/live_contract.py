"""Live rules: what ``auditor fuzz`` reports when the running service breaks its contract.

The checks are Schemathesis' own: each rule names the failure codes (``STnnn``) or the kinds of
request error (timeout, connection, other) it stands for, and ``auditor.live.findings`` turns
those failures into findings of the rule. Registering them here lets ``auditor rules`` list and
explain them, and packs and project config set their severity, without importing the fuzzer.
"""

from __future__ import annotations

from auditor.rules.registry import fuzzer_rule

fuzzer_rule(
    "reliability/server-error",
    codes=("ST101", "ST102"),
    severity="error",
    summary="The service never answers 5xx to a request the fuzzer sends",
    hint="find the crash from the request in the evidence; validate input and answer 4xx instead",
    doc="""
    What it checks: every response the fuzzer gets (valid and invalid requests alike) has a status
    below 500; also a 5xx caused only by an unexpected request Content-Type.

    Why it matters: a 5xx for client input is an unhandled error: clients retry it, alerts fire, and
    the body often leaks internals. Input problems are the client's to fix and deserve a 4xx.

    Bad: POST /v1/items with a long name answers 500 and a traceback.

    Good: the same request answers 422 with a problem+json body naming the field.

    Fix: reproduce with the curl line in the evidence, then validate or catch the error.
    """,
)

fuzzer_rule(
    "contract/status-code",
    codes=("ST103",),
    severity="error",
    summary="Every status code the service answers is documented for the operation",
    hint="document the status under the operation's responses, or stop returning it",
    doc="""
    What it checks: the response status is listed in the operation's `responses` (exactly, as a
    range such as `4XX`, or through `default`).

    Why it matters: generated clients and consumers handle what the contract lists; an undocumented
    status falls through to generic error paths or is treated as success.

    Bad: DELETE /v1/items/{itemId} answers 410 but documents 204, 404.

    Good: answer 404 for unknown items, or add `"410"` to the responses.

    Fix: decide which side is right and change the code or the contract.
    """,
)

fuzzer_rule(
    "contract/content-type",
    codes=("ST104", "ST105", "ST106"),
    severity="error",
    summary="Responses carry a documented Content-Type",
    hint="send the media type the contract documents for this status (or document the one you send)",
    doc="""
    What it checks: the response has a Content-Type, it is well formed, and it is one of the media
    types documented for that status.

    Why it matters: clients pick a parser by Content-Type; a text/plain answer where JSON is promised
    breaks them, and error bodies lose their structure.

    Bad: GET /readyz answers `text/plain` while the contract says `application/json`.

    Good: `Content-Type: application/json` with the documented body.

    Fix: set the header (and body) the contract promises, or correct the contract.
    """,
)

fuzzer_rule(
    "contract/response-headers",
    codes=("ST107",),
    severity="error",
    summary="Required response headers are present and match their schema",
    hint="send the header on every response where the contract marks it required",
    doc="""
    What it checks: every response header marked `required: true` for the status is present, and
    header values match their documented schema.

    Why it matters: clients rely on documented headers (Location, correlation ids, rate limits);
    a missing one breaks retries, tracing and pagination.

    Bad: GET /healthz omits `X-Request-Id`, which the contract marks required.

    Good: every response carries `X-Request-Id`.

    Fix: add the header in the code path shown by the evidence, or mark it optional.
    """,
)

fuzzer_rule(
    "contract/response-schema",
    codes=("ST108", "ST109", "ST110", "ST111"),
    severity="error",
    summary="Response bodies validate against the documented schema",
    hint="make the body match the schema (types, required properties), or correct the schema",
    doc="""
    What it checks: the body parses as the documented media type and validates against the schema
    of the response (types, required and additional properties, formats, discriminators).

    Why it matters: consumers deserialize by the contract; a string where a number is promised
    breaks typed clients at runtime, far from the cause.

    Bad: `{"price": "9.99"}` where `price` is `type: number`.

    Good: `{"price": 9.99}`.

    Fix: the evidence shows the body and the validation error; fix the serializer or the schema.
    """,
)

fuzzer_rule(
    "reliability/response-time",
    codes=("ST112",),
    severity="warn",
    summary="Responses arrive within the configured time limit",
    hint="find what makes this request slow, or raise the limit if the contract allows it",
    doc="""
    What it checks: a response took longer than the configured maximum response time.

    Why it matters: slow answers exhaust client timeouts and connection pools and cascade.

    Bad: a search that takes 2.5 s for a long query string.

    Good: every answer within the budget.

    Fix: profile the request in the evidence.
    """,
)

fuzzer_rule(
    "inputs/reject-invalid",
    codes=("ST201",),
    severity="error",
    summary="Requests that violate the schema are rejected with 4xx",
    hint="validate the request against the contract and answer 400/422 with a problem body",
    doc="""
    What it checks: requests the fuzzer builds to violate the contract (wrong type, out of range,
    missing required field, unknown property where closed, malformed body) are answered with a
    4xx (400, 401, 403, 404, 405, 406, 409, 415, 422, 428, 429), not accepted.

    Why it matters: accepting invalid input stores bad data, hides client bugs and widens the attack
    surface; the contract's constraints only help if the server enforces them.

    Bad: POST /v1/items with `"price": -1` (minimum 0) answers 201.

    Good: the same request answers 422.

    Fix: validate the field named in the evidence.
    """,
)

fuzzer_rule(
    "inputs/accept-valid",
    codes=("ST202",),
    severity="error",
    summary="Requests that follow the schema are not rejected",
    hint="accept every request the contract allows, or tighten the contract to what the server accepts",
    doc="""
    What it checks: requests generated to satisfy the contract are answered with 2xx/3xx (or 401,
    403, 404, 409, 429), not another 4xx.

    Why it matters: if valid requests are refused, the contract over-promises and clients built
    from it fail.

    Bad: a valid item id answers 410.

    Good: 200 for an existing item, 404 for an unknown one.

    Fix: align the validation in the server with the schema.
    """,
)

fuzzer_rule(
    "inputs/required-header",
    codes=("ST203",),
    severity="warn",
    summary="A request without a required header is rejected",
    hint="reject requests that omit a required header (401 for Authorization, else 400/422)",
    doc="""
    What it checks: the fuzzer drops a header the contract marks required (including
    Authorization) and expects a 4xx.

    Why it matters: a required header that is silently optional means the contract and the
    server disagree about what a request needs.

    Bad: GET /v1/items without Authorization answers 200.

    Good: 401 with `WWW-Authenticate`.

    Fix: enforce the header, or mark it optional in the contract.
    """,
)

fuzzer_rule(
    "contract/unsupported-method",
    codes=("ST204", "ST205"),
    severity="info",
    summary="Undocumented methods on a documented path answer 405 with an exact Allow header",
    hint="answer 405 Method Not Allowed with Allow listing the documented methods",
    doc="""
    What it checks: a method the contract does not document for a path answers 405, and the Allow
    header (on 405 and OPTIONS) lists exactly the documented methods.

    Why it matters: undocumented methods that work are hidden API surface; a wrong Allow header
    misleads clients and scanners.

    Bad: PATCH /v1/items/1 answers 200, or Allow lists PUT which is not documented.

    Good: 405 with `Allow: DELETE, GET`.

    Fix: remove the route or document it.
    """,
)

fuzzer_rule(
    "contract/use-after-free",
    codes=("ST301",),
    severity="error",
    summary="A deleted resource is no longer served",
    hint="after a successful DELETE, answer 404 (or 410, documented) for the resource",
    doc="""
    What it checks: in stateful sequences (create, delete, read through the contract's links), a
    resource answers 404 after a successful DELETE.

    Why it matters: a deleted resource that is still served means the delete did not happen, or
    caches and replicas disagree; it is a data-protection problem as much as a bug.

    Bad: DELETE /v1/items/7 answers 204, then GET /v1/items/7 answers 200.

    Good: the GET answers 404.

    Fix: the evidence lists each step as a curl line; replay them.
    """,
)

fuzzer_rule(
    "contract/resource-availability",
    codes=("ST302",),
    severity="error",
    summary="A just-created resource can be read through its link",
    hint="make the created resource readable right away, or document the delay (202)",
    doc="""
    What it checks: after a successful create, following the documented link to read the
    resource answers 2xx.

    Why it matters: clients read what they just created; a 404 right after 201 breaks them.

    Bad: POST /v1/items answers 201 with id 7, GET /v1/items/7 answers 404.

    Good: the GET answers 200 with the item.

    Fix: check the id in the link and the write path.
    """,
)

fuzzer_rule(
    "security/auth-enforced",
    codes=("ST401",),
    severity="error",
    summary="Operations that declare security reject missing or invalid credentials",
    hint="enforce the declared security scheme: answer 401 without valid credentials",
    doc="""
    What it checks: an operation whose contract requires credentials answers 401/403 when the
    fuzzer repeats a successful request without credentials and with invalid ones.

    Why it matters: the contract says the data is protected; if the server ignores credentials,
    anyone can read or change it.

    Bad: GET /v1/items answers 200 with no Authorization header.

    Good: 401 with `WWW-Authenticate: Bearer`.

    Fix: put the operation behind the authentication middleware.
    """,
)

fuzzer_rule(
    "security/object-authorization",
    codes=("ST402",),
    severity="error",
    summary="One identity cannot read another identity's objects",
    hint="check ownership of the object on every read",
    doc="""
    What it checks: with two configured identities, an object created by one is not readable by
    the other.

    Why it matters: broken object-level authorization is the most common API vulnerability.

    Bad: user B reads user A's order by id.

    Good: 403 or 404 for user B.

    Fix: authorize by object, not only by route.
    """,
)

fuzzer_rule(
    "reliability/timeout",
    codes=("timeout",),
    severity="error",
    summary="The service answers within the request timeout",
    hint="find what blocks this request; raise --request-timeout only if the slowness is expected",
    doc="""
    What it checks: a request got no response within `--request-timeout` seconds.

    Why it matters: a hung request ties up clients, threads and connections; under load it
    becomes an outage.

    Bad: GET /v1/search?q=... never answers.

    Good: an answer (even a 4xx) within the timeout.

    Fix: replay the request in the evidence and profile it.
    """,
)

fuzzer_rule(
    "reliability/connection-error",
    codes=("connection",),
    severity="error",
    summary="The service keeps accepting connections while being fuzzed",
    hint="check the service's logs: it closed or refused the connection for this request",
    doc="""
    What it checks: a request failed at the connection level (refused, reset, closed without an
    answer) after the run had started.

    Why it matters: a request that kills a connection, a worker or the process is a
    denial-of-service waiting to happen.

    Bad: a long header makes the server drop the connection.

    Good: 400 or 431 for the bad request, and the next request served normally.

    Fix: replay the request in the evidence and read the server logs.
    """,
)

fuzzer_rule(
    "contract/live-untestable",
    codes=("other",),
    severity="warn",
    summary="Every selected operation could be tested",
    hint="read the message: the operation's definition or the run settings kept the fuzzer from testing it",
    doc="""
    What it checks: the fuzzer could not build or send requests for an operation (an unresolvable
    schema, an unsupported construct, links filtered out, an engine error).

    Why it matters: an operation that is never tested is not audited; the report would be
    silently incomplete.

    Bad: a schema with a `$ref` the fuzzer cannot resolve.

    Good: every selected operation gets requests.

    Fix: fix the definition named in the message, or exclude the operation on purpose.
    """,
)

fuzzer_rule(
    "contract/live-check",
    severity="warn",
    summary="A custom live check failed",
    hint="read the message of the check",
    doc="""
    What it checks: a live check without its own rule id failed (a custom check registered with
    the fuzzer).

    Why it matters: the check's author decided this behaviour breaks the contract.

    Bad: see the message.

    Good: the check passes.

    Fix: see the message and the evidence.
    """,
)
