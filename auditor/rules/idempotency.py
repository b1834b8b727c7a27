"""idempotency/: retried mutations do not happen twice.

Only POST and PATCH need a key: GET, HEAD, OPTIONS, TRACE, PUT, DELETE and the OAS 3.2 ``query``
method are idempotent by definition (RFC 9110 §9.2.2). Header names are compared
case-insensitively and parameters declared at path level or in shared components count. Swagger 2.0 header parameters are read the same way.
"""

from __future__ import annotations

import re

from auditor.document.context import Context, schema_types
from auditor.document.document import OperationRef
from auditor.rules._shared import DEFAULT_HEADERS, key_param, norm, resolve
from auditor.rules.registry import Option, Violation, rule

UNSAFE = ("post", "patch")
DEFAULT_BODY_FIELDS = ["request_id", "requestId", "idempotency_key", "idempotencyKey"]
DEFAULT_EXEMPT = (
    r"\b(search|query|find|lookup|filter|validate|verify|preview|login|logout|signin|signout|"
    r"token|tokens|authenticate|authorize|graphql|estimate|calculate)\b"
)
HEADER_NAMES = Option(
    "header-names",
    list,
    DEFAULT_HEADERS,
    "request headers that carry an idempotency key (case-insensitive), e.g. add PayPal-Request-Id",
)


def words(text: str) -> str:
    """``searchPets`` / ``/oauth2/token`` / ``Find pets`` -> ``search pets`` / ``oauth2 token`` / ``find pets``."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return " ".join(re.split(r"[^A-Za-z0-9]+", text)).lower().strip()


def exemption_texts(op: OperationRef) -> list[str]:
    """What the exemption regex is matched against: the first word of the operationId and of
    the summary (the verb: ``searchPets``, "Find pets by tag") and the words of the last literal
    path segment (``/pets/search``, ``/oauth2/token``). Whole summaries are prose and match too
    much ("... returns the tokens used")."""
    first = [words(str(op.node.get(k) or "")).split(" ")[0] for k in ("operationId", "summary")]
    literal = [s for s in op.path.split("/") if s and not s.startswith("{")]
    return [t for t in (*first, words(literal[-1]) if literal else "") if t]


def _exempt(ctx: Context, op: OperationRef, pattern: re.Pattern[str]) -> bool:
    if isinstance(op.node.get("x-idempotent"), bool):
        return True
    return any(pattern.search(t) for t in exemption_texts(op))


def _if_match_required(ctx: Context, op: OperationRef) -> bool:
    p = ctx.header_params(op).get("if-match")
    return p is not None and p.required


def _body_key(ctx: Context, op: OperationRef, fields: list[str]) -> bool:
    wanted = {norm(str(f)) for f in fields}
    for media in ctx.request_bodies(op):
        schema, _ = resolve(ctx, media.schema, media.at)
        props = schema.get("properties")
        if isinstance(props, dict) and wanted & {norm(str(k)) for k in props}:
            return True
    return False


@rule(
    "idempotency/key-on-post",
    severity="warn",
    summary="POST and PATCH operations accept an Idempotency-Key header",
    hint="declare an `Idempotency-Key` header parameter (a shared components/parameters entry) so clients can retry safely",
    options=[
        HEADER_NAMES,
        Option("body-fields", list, DEFAULT_BODY_FIELDS, "request-body properties that carry an idempotency key (Google AIP-155 `request_id`)"),
        Option(
            "exempt-pattern",
            str,
            DEFAULT_EXEMPT,
            "regex searched in the first word of operationId and of summary and in the last literal path segment (lower case, words separated by one space); a match exempts the operation",
        ),
    ],
)
def key_on_post(ctx: Context):
    """
    What it checks: every POST and PATCH operation declares an idempotency-key request header
    (`Idempotency-Key`, `X-Idempotency-Key` or Azure's `Repeatability-Request-ID` by default;
    option `header-names`), in any letter case, at operation or path level, inline or through
    `$ref`. Also accepted: a request-body field `request_id`/`requestId`/`idempotency_key`
    (option `body-fields`, Google AIP-155), and, for PATCH, a required `If-Match` header
    (optimistic concurrency already makes the retry safe; Zalando #229).

    Exempt: GET, PUT, DELETE and the other idempotent methods (never checked); operations with
    an explicit `x-idempotent: true|false` (the decision is recorded); operations that read
    like a query or a session call: the first word of the operationId or of the summary, or a
    word of the last literal path segment, is `search`, `query`, `find`, `lookup`, `filter`,
    `validate`, `verify`, `preview`, `login`, `logout`, `signin`, `token(s)`, `authenticate`,
    `authorize`, `graphql`, `estimate` or `calculate` (option `exempt-pattern`). Matching is
    on whole words, so `searchPets`, "Find pets by tag", `/pets/search` and `/oauth2/token`
    are exempt while `/authors`, `/checkout` and `createFile` (summary "... counts tokens")
    are not. After looking at the corpus, `check` was dropped (`/checklists/{id}/checkItems`
    creates items) and summaries are matched on their first word only.

    Why it matters: networks drop responses. A client that retries a POST without a key may
    pay twice, create two orders, send two emails. With a key the server replays the first
    result (draft-ietf-httpapi-idempotency-key-header).

    Bad:
        post:
          operationId: createPayment
          parameters: []

    Good:
        post:
          operationId: createPayment
          parameters:
            - $ref: "#/components/parameters/IdempotencyKey"

    Fix: define the header once in `components/parameters` and reference it from every
    creating POST/PATCH; mark read-only POSTs with `x-idempotent: true`.
    """
    names = [str(n) for n in ctx.options.get("header-names", DEFAULT_HEADERS)]
    fields = [str(f) for f in ctx.options.get("body-fields", DEFAULT_BODY_FIELDS)]
    try:
        pattern = re.compile(str(ctx.options.get("exempt-pattern", DEFAULT_EXEMPT)), re.IGNORECASE)
    except re.error as exc:
        from auditor.exceptions import InputError

        raise InputError(f"rule idempotency/key-on-post: option 'exempt-pattern' is not a valid regex: {exc}") from None
    for op in ctx.operations():
        if op.method not in UNSAFE or _exempt(ctx, op, pattern):
            continue
        if key_param(ctx, op, names) is not None or _body_key(ctx, op, fields):
            continue
        if op.method == "patch" and _if_match_required(ctx, op):
            continue
        yield Violation(f"{op.method.upper()} operation declares no {names[0] if names else 'idempotency-key'} header", op.at, operation=op)


@rule(
    "idempotency/key-definition",
    severity="info",
    summary="The idempotency key is a bounded string (maxLength, format uuid or pattern)",
    hint="define the key as `{type: string, maxLength: 255}` or `{type: string, format: uuid}`",
    options=[HEADER_NAMES],
)
def key_definition(ctx: Context):
    """
    What it checks: wherever an idempotency-key header (option `header-names`) is declared, its
    schema (Swagger 2.0: the parameter itself) is a string bounded by `maxLength`, `format: uuid`,
    a `pattern` or an `enum`. Reported once at a shared parameter component.

    Why it matters: the server stores every key it sees. An unbounded key is a cheap way to fill
    that store, and a low-entropy key collides across clients (draft §2 security
    considerations). A declared bound also tells client authors what to generate.

    Info: advisory; inputs/string-bounded already warns about unbounded request strings.

    Bad:
        IdempotencyKey: {name: Idempotency-Key, in: header, schema: {type: string}}

    Good:
        IdempotencyKey: {name: Idempotency-Key, in: header, schema: {type: string, format: uuid, maxLength: 36}}

    Fix: add `maxLength` (255 is common) and, if you require UUIDs, `format: uuid`.
    """
    names = [str(n) for n in ctx.options.get("header-names", DEFAULT_HEADERS)]
    for op in ctx.operations():
        p = key_param(ctx, op, names)
        if p is None:
            continue
        schema, _ = resolve(ctx, p.schema, p.schema_at)
        types = schema_types(schema)
        if types and "string" not in types:
            yield Violation(f"{p.name} is declared as {'/'.join(sorted(types))}, not a string", p.schema_at, operation=op)
        elif not (schema.get("maxLength") is not None or schema.get("format") == "uuid" or schema.get("pattern") or schema.get("enum")):
            yield Violation(f"{p.name} is an unbounded string", p.schema_at, operation=op)


@rule(
    "idempotency/conflict-documented",
    severity="warn",
    summary="Operations taking an idempotency key document 409 (in progress) and 422 (key reused)",
    hint="add 409 (a request with this key is still in progress) and 422 (key reused with a different payload) responses",
    options=[HEADER_NAMES],
)
def conflict_documented(ctx: Context):
    """
    What it checks: every operation that declares an idempotency-key header (option
    `header-names`) documents `409 Conflict` (a retry arrived while the first request is still
    being processed) and `422 Unprocessable Content` for a key reused with a different payload.
    `400` is accepted instead of 422 (Zalando #230 and Stripe use it). Ranges and
    `default` do not count: these are specific, actionable answers.

    Why it matters: the two conflicts need different client reactions: wait and retry the same
    request (409), or stop and fix the client's key generation (422). Undocumented, both end up
    as generic failures.

    Bad:
        post:
          parameters: [{$ref: "#/components/parameters/IdempotencyKey"}]
          responses: {"201": {description: Created}}

    Good:
        post:
          parameters: [{$ref: "#/components/parameters/IdempotencyKey"}]
          responses:
            "201": {description: Created}
            "409": {$ref: "#/components/responses/Conflict"}
            "422": {$ref: "#/components/responses/IdempotencyKeyReused"}

    Fix: add the two responses, ideally as shared components.
    """
    names = [str(n) for n in ctx.options.get("header-names", DEFAULT_HEADERS)]
    for op in ctx.operations():
        p = key_param(ctx, op, names)
        if p is None:
            continue
        statuses = {r.status for r in ctx.responses(op)}
        missing = []
        if "409" not in statuses:
            missing.append("409 (request in progress)")
        if not statuses & {"422", "400"}:
            missing.append("422 (key reused with a different payload)")
        if missing:
            where = op.at.child("responses") if isinstance(op.node.get("responses"), dict) else op.at
            yield Violation(f"operation takes {p.name} but documents no {' and no '.join(missing)}", where, operation=op)
