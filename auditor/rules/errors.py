"""errors/: every operation documents its failures, and error bodies are structured, machine
readable and safe.

Error bodies are read after ``$ref`` and ``allOf`` are resolved (a problem-details base
schema extended through ``allOf`` is still problem details). ``oneOf``/``anyOf`` bodies are judged
branch by branch. ``default`` counts as both a 4xx and a 5xx response, ``4XX``/``5XX``
ranges (and the common but invalid lowercase ``4xx``) count as their class. Swagger 2.0 error
bodies are ``responses.<code>.schema`` with the media types of the effective ``produces``.
A ``$ref`` that cannot be followed is skipped here: ``contract/ref-resolvable`` reports it.
"""

from __future__ import annotations

from auditor.document.context import Context, Response, is_json
from auditor.document.document import At, OperationRef
from auditor.exceptions import InputError
from auditor.rules._error_bodies import (
    LEAK_NAMES,
    SHAPE_ALIASES,
    SHAPE_LABELS,
    SHAPES,
    Body,
    View,
    branches,
    code_and_message_of,
    containers,
    described_error_bodies,
    error_media,
    error_responses,
    is_hint_name,
    shapes_of,
    unresolved,
)
from auditor.rules._shared import health_kind, norm, resolve, status_class
from auditor.rules.registry import Option, Violation, rule

# --- rules ------------------------------------------------------------------------------------


@rule(
    "errors/error-responses-defined",
    severity="error",
    summary="Every operation declares a 4xx and a 5xx response (`default` counts for both)",
    hint="add the client errors the operation can return (400/404/422, or 4XX) and a 5XX or `default` error response",
)
def error_responses_defined(ctx: Context):
    """
    What it checks: each operation declares at least one client-error response (`4xx` code,
    `4XX` range, or `default`) and at least one server-error response (`5xx` code, `5XX`
    range, or `default`). Responses reached through `$ref` count; the invalid but common
    lowercase `4xx` range counts too (contract/spec-valid reports its spelling). Health probes
    (the liveness and readiness paths the health/ rules recognise) are exempt: an orchestrator
    polls them and reads only 2xx or 503.

    Why it matters: clients are generated and written from the contract. An operation whose
    contract lists only its success leaves every caller guessing what a failure looks like, so
    failures are handled as crashes. Severity error: "contract first" and "fail fast" both
    require the failure path to be part of the contract (Zalando #151, OWASP API8).

    Bad:
        get:
          responses:
            "200": {description: The pet}

    Good:
        get:
          responses:
            "200": {description: The pet}
            "404": {$ref: "#/components/responses/NotFound"}
            default: {$ref: "#/components/responses/Problem"}

    Fix: add the 4xx the operation really returns and a `default` (or `5XX`) error response,
    ideally shared components with a problem-details body.
    """
    for op in ctx.operations():
        if health_kind(op) is not None:
            continue
        classes = {status_class(r.status) for r in ctx.responses(op)}
        missing = [c for c in ("4", "5") if c not in classes and "default" not in classes]
        if missing:
            what = " and ".join(f"{c}xx" for c in missing)
            where = op.at.child("responses") if isinstance(op.node.get("responses"), dict) else op.at
            yield Violation(f"operation declares no {what} response (nor `default`)", where, operation=op)


@rule(
    "errors/structured-error-schema",
    severity="warn",
    summary="Error responses have a JSON body of a recognised error shape (RFC 9457 by default)",
    hint="give error responses a shared problem-details schema (type, title, status, detail, instance), served as application/problem+json",
    options=[
        Option("shapes", list, ["rfc9457"], f"accepted shapes: {', '.join(SHAPES)} (aliases: azure, ibm)"),
        Option(
            "custom-shapes",
            list,
            [],
            "your own shapes, each a comma-separated list of required property paths, e.g. 'code,message' or 'errors[].code,errors[].detail'",
        ),
    ],
    heavy=True,
)
def structured_error_schema(ctx: Context):
    """
    What it checks: every 4xx/5xx/`default` response of every operation except HEAD has a JSON
    body (`application/json`, `*+json`; Swagger 2.0: `schema` with a JSON type in the effective
    `produces`) whose schema, after `$ref` and `allOf` are merged, has an accepted shape:

    - `rfc9457` (default): served as `application/problem+json`, or an object with at least two
      of `type`, `title`, `status`, `detail`, `instance`;
    - `microsoft` (alias `azure`): `{error: {code, message}}`; `google`: `{error: {code,
      message, status}}`; `stripe`: `{error: {type, message}}`; `jsonapi` (alias `ibm`):
      `{errors: [{code|status, title|detail|message}]}`; `flat`: a code and a message at the
      top level (`{code, message}`, Twilio, Adyen; see errors/code-and-message for the names);
    - your own, with `custom-shapes: ["code,message"]` (paths like `error.code`, `errors[].code`).

    A `oneOf`/`anyOf` body passes only when every branch has an accepted shape. When a body has
    a known shape that the policy does not accept, the message names it. An error response
    without any body, or with only non-JSON bodies (`text/plain`, `application/xml`), is
    reported too. A body behind a `$ref` that cannot be followed (for example Zalando's hosted
    `problem-1.0.1.yaml` without `--allow-remote-refs`) is skipped: contract/ref-resolvable or
    contract/ref-allowed already reports the ref, and guessing its shape would be noise.

    Why it matters: a client can only handle errors it can parse. One structured shape across
    the API lets every caller show the message, branch on the code and log the occurrence.

    Severity warn (the catalogue suggests error): the default accepts only RFC 9457, and many
    well-structured APIs use another shape until the `shapes` option is set; strict makes it
    an error.

    Bad:
        "404":
          description: Not found
          content:
            text/plain: {schema: {type: string}}

    Good:
        "404":
          description: Not found
          content:
            application/problem+json:
              schema: {$ref: "#/components/schemas/Problem"}   # type, title, status, detail, instance

    Fix: define one error schema (problem details) as a component and reference it from every
    error response; or set `shapes`/`custom-shapes` to the shape your API standardised on.
    """
    accepted = {SHAPE_ALIASES.get(str(s).lower(), str(s).lower()) for s in ctx.options.get("shapes", [])}
    unknown = accepted - set(SHAPES)
    if unknown:
        raise InputError(
            f"rule errors/structured-error-schema: unknown shape(s) {', '.join(sorted(unknown))} in option 'shapes'",
            hint=f"known shapes: {', '.join(SHAPES)}; use 'custom-shapes' for your own",
        )
    custom = [str(c) for c in ctx.options.get("custom-shapes", [])]
    if custom:
        accepted.add("custom")
    label = ", ".join(sorted(accepted)) or "none"
    for op in ctx.operations():
        if op.method == "head":
            continue
        for resp in error_responses(ctx, op):
            yield from _check_error_body(ctx, op, resp, accepted, custom, label)


def _check_error_body(ctx: Context, op: OperationRef, resp: Response, accepted: set[str], custom: list[str], label: str):
    media = ctx.response_media(op, resp)
    if not media:
        yield Violation(f"error response {resp.status} declares no body", resp.at, operation=op)
        return
    json_media = [m for m in media if is_json(m.media_type)]
    if not json_media:
        types = ", ".join(sorted({m.media_type for m in media}))
        where = resp.at.child("content") if "content" in resp.node else resp.at
        yield Violation(f"error response {resp.status} has no JSON body (only {types})", where, operation=op)
        return
    problems: dict[At, str] = {}
    for m in json_media:
        if m.schema is None:
            problems[m.at] = f"error response {resp.status} ({m.media_type}) declares no schema"
            continue
        if unresolved(ctx, m.schema, m.at):
            return  # contract/ref-resolvable reports it
        merged, at = resolve(ctx, m.schema, m.at)
        alts = branches(ctx, merged, at)
        bad = []
        for schema, b_at in alts:
            if unresolved(ctx, schema, b_at):
                continue
            found = shapes_of(ctx, Body(schema, b_at, m.media_type), custom)
            if not found & accepted:
                bad.append((b_at, found))
        if not bad:
            return  # one JSON media type with an accepted shape is enough
        for b_at, found in bad:
            branch = " (a oneOf/anyOf branch)" if len(alts) > 1 else ""
            if found:
                names = ", ".join(SHAPE_LABELS.get(s, s) for s in sorted(found))
                problems[b_at] = f"error body{branch} has the {names} shape, which this policy does not accept (accepted: {label})"
            else:
                problems[b_at] = f"error body{branch} is not a recognised error shape (accepted: {label})"
    for where, message in problems.items():
        yield Violation(message, where, operation=op)


@rule(
    "errors/problem-details-media-type",
    severity="warn",
    summary="Error responses are served as application/problem+json",
    hint="list application/problem+json as the media type of error responses (Swagger 2.0: in `produces`)",
)
def problem_details_media_type(ctx: Context):
    """
    What it checks: OpenAPI 3.x: every error response (4xx, 5xx, `default`) that has a body lists
    `application/problem+json` (parameters allowed) among its `content` media types. Swagger 2.0,
    where media types are per operation: operations with an error body schema have
    `application/problem+json` in their effective `produces` (operation, else root); the finding
    is reported once at that `produces`. Bodiless error responses are left to
    errors/structured-error-schema. HEAD is skipped.

    Why it matters: RFC 9457 §3 makes the media type the signal that a body is problem details;
    generic clients and gateways branch on it. Frameworks often send the problem object as
    `application/json`, which is why this is a warning, not an error.

    Turn it off if your policy mandates a different error shape (Microsoft, Google, ...).

    Bad:
        "400":
          content:
            application/json: {schema: {$ref: "#/components/schemas/Problem"}}

    Good:
        "400":
          content:
            application/problem+json: {schema: {$ref: "#/components/schemas/Problem"}}

    Fix: declare (and serve) `application/problem+json` for error bodies.
    """
    for op in ctx.operations():
        if op.method == "head":
            continue
        if ctx.is_swagger2:
            if not any("schema" in r.node for r in error_responses(ctx, op)):
                continue
            if "produces" in op.node:
                produces, where = op.node.get("produces"), op.at.child("produces")
            elif "produces" in ctx.data:
                produces, where = ctx.data.get("produces"), ctx.root.child("produces")
            else:
                produces, where = [], ctx.root
            if not any(_is_problem(str(p)) for p in (produces if isinstance(produces, list) else [])):
                yield Violation("`produces` does not list application/problem+json for error bodies", where, operation=op)
            continue
        for resp in error_responses(ctx, op):
            content = resp.node.get("content")
            if isinstance(content, dict) and content and not any(_is_problem(str(k)) for k in content):
                listed = ", ".join(sorted(map(str, content)))
                yield Violation(
                    f"error response {resp.status} is served as {listed}, not application/problem+json",
                    resp.at.child("content"),
                    operation=op,
                )


def _is_problem(media_type: str) -> bool:
    return media_type.split(";")[0].strip().lower() == "application/problem+json"


@rule(
    "errors/code-and-message",
    severity="warn",
    summary="Error bodies carry a machine-readable code and a human-readable message",
    hint="add a stable code (problem `type` or an extension `code`; `error.code`) and a message (`title`/`detail`; `error.message`)",
    heavy=True,
)
def code_and_message(ctx: Context):
    """
    What it checks: every JSON error body object (after `$ref`/`allOf`; each `oneOf` branch) has
    both a machine-readable code and a human-readable message, either at the top level, in an
    `error` object, or in the items of an `errors` array. Codes: `code`, `type` (the problem
    type URI), `reason`, `kind`, any name ending in `code` (`errorCode`, `errcode`), a string
    `status` (Google's `NOT_FOUND`); a numeric `status`/`statusCode` only repeats the HTTP
    status and does not count. Messages: `message`, `detail`, `title`, `description`,
    `summary`, `msg` and names ending in them (`errorSummary`, `error_description`). A string
    `error` is the code when nothing else is (OAuth `{error, error_description}`) and the message
    otherwise (Matrix `{errcode, error}`). Bodies without properties are left to
    errors/structured-error-schema. Names compare ignoring case, `_` and `-`.

    Why it matters: programs branch on the code, people read the message. A body with only a
    message forces clients to parse prose; a body with only a numeric status repeats the HTTP
    status and tells nothing new.

    Bad:
        Error:
          type: object
          properties:
            status: {type: integer}
            detail: {type: string}

    Good:
        Error:
          type: object
          properties:
            type: {type: string, format: uri-reference}
            title: {type: string}
            detail: {type: string}

    Fix: add the missing field to the shared error schema.
    """
    cache: dict[At, tuple[bool, bool]] = {}
    for body, op in described_error_bodies(ctx):
        if body.at not in cache:
            found = [code_and_message_of(v) for v in containers(ctx, body)]
            both = any(c and m for c, m in found)
            cache[body.at] = (both or any(c for c, _ in found), both or any(m for _, m in found))
        has_code, has_message = cache[body.at]
        if has_code and has_message:
            continue
        missing = [w for w, ok in (("machine-readable code", has_code), ("human-readable message", has_message)) if not ok]
        yield Violation(f"error body has no {' and no '.join(missing)}", body.at, operation=op)


@rule(
    "errors/recovery-hint",
    severity="info",
    summary="Error bodies offer a way to recover: a documentation link or a per-field locator",
    hint="add a documentation link (problem `type` URI, `help`, `doc_url`) or a per-field locator (`errors[].pointer`, `target`, `param`)",
)
def recovery_hint(ctx: Context):
    """
    What it checks: every JSON error body (after `$ref`/`allOf`; each `oneOf` branch) offers a
    recovery hint somewhere inside it: a problem `type` (a URI that should lead to
    documentation) in an RFC 9457 body, a link field (`help`, `links`, `more_info`, `about`, or
    any name ending in `link`, `url`, `uri`, `href`: `doc_url`, `errorLink`, `helpUrl`) or a
    per-field locator (`pointer`, `target`, `param`, `field`, `source`, `invalid_params`, ...).

    Why it matters: a caller who hits an error needs to know what to change. A link to the
    error's documentation or the name of the offending field turns a support ticket into a fix.
    Info: advisory; the exact field names vary between guidelines.

    Bad:
        Error:
          properties:
            code: {type: string}
            message: {type: string}

    Good:
        Error:
          properties:
            code: {type: string}
            message: {type: string}
            target: {type: string, description: The offending field}
            help: {type: string, format: uri}

    Fix: add a documentation link and, for validation errors, a per-field locator.
    """
    cache: dict[At, bool] = {}
    for body, op in described_error_bodies(ctx):
        if body.at not in cache:
            cache[body.at] = _offers_hint(ctx, body)
        if not cache[body.at]:
            yield Violation("error body offers no documentation link or per-field locator", body.at, operation=op)


def _offers_hint(ctx: Context, body: Body) -> bool:
    if "rfc9457" in shapes_of(ctx, body) and View(ctx, body.schema, body.at).has("type"):
        return True
    names = (str(k) for node, _ in ctx.walk_schema(body.schema, body.at, max_nodes=500) for k in (node.get("properties") or {}))
    return any(is_hint_name(n) for n in names)


@rule(
    "errors/no-internal-leak",
    severity="warn",
    summary="Error schemas do not declare stack traces, exceptions or SQL details",
    hint="remove the field from the error schema and log the detail server-side, keyed by an occurrence id",
    options=[Option("names", list, LEAK_NAMES, "property names (compared ignoring case, '_' and '-') that must not appear in error schemas")],
)
def no_internal_leak(ctx: Context):
    """
    What it checks: no schema inside an error response body (at any depth, through `$ref`,
    `allOf`, `oneOf`, `items`) declares a property named `stack`, `stackTrace`, `stack_trace`,
    `exception`, `sqlState`, `sql`, `traceback` or `backtrace` (option `names`; compared ignoring
    case, `_` and `-`). Deliberately not flagged: `trace` and `traceId` (correlation
    ids, IBM), Azure's `innererror`, `debug`.

    Why it matters: stack traces and SQL text tell an attacker the framework, the database and
    the query shape (OWASP API8:2023, RFC 9457 §5, Zalando #177). A schema that declares them
    means production sends them.

    Severity warn: the name is a strong signal but the field may be disabled in production.

    Bad:
        Error:
          properties:
            message: {type: string}
            stackTrace: {type: array, items: {type: string}}

    Good:
        Error:
          properties:
            message: {type: string}
            instance: {type: string, description: Occurrence id to quote to support}

    Fix: drop the field from the public schema; log it server-side under an occurrence id.
    """
    banned = {norm(str(n)): str(n) for n in ctx.options.get("names", LEAK_NAMES)}
    cache: dict[At, list[tuple[str, At]]] = {}
    for op in ctx.operations():
        for _resp, m in error_media(ctx, op):
            if m.at not in cache:
                hits = []
                for node, node_at in ctx.walk_schema(m.schema, m.at):
                    props = node.get("properties")
                    for name in props if isinstance(props, dict) else ():
                        if norm(str(name)) in banned:
                            hits.append((str(name), node_at.child("properties", name)))
                cache[m.at] = hits
            for name, where in cache[m.at]:
                yield Violation(f"error schema declares `{name}`, which exposes internals", where, operation=op)
