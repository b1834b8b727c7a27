"""errors/: every operation documents its failures, and error bodies are structured, machine
readable and safe.

Error bodies are read after ``$ref`` and ``allOf`` are resolved (trap T1: a problem-details base
schema extended through ``allOf`` is still problem details). ``oneOf``/``anyOf`` bodies are judged
branch by branch. ``default`` counts as both a 4xx and a 5xx response (trap T2), ``4XX``/``5XX``
ranges (and the common but invalid lowercase ``4xx``) count as their class (T3). Swagger 2.0 error
bodies are ``responses.<code>.schema`` with the media types of the effective ``produces`` (T19).
A ``$ref`` that cannot be followed is skipped here: ``contract/ref-resolvable`` reports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditor.errors import InputError
from auditor.rules.context import Context, Media, Response, is_error_status, is_json, schema_types
from auditor.rules.registry import Option, Violation, rule
from auditor.spec import pointer as jp
from auditor.spec.document import At, OperationRef

SHAPES = ("rfc9457", "microsoft", "google", "stripe", "jsonapi", "flat")
SHAPE_ALIASES = {"azure": "microsoft", "problem": "rfc9457", "problem-details": "rfc9457", "ibm": "jsonapi"}
SHAPE_LABELS = {
    "rfc9457": "RFC 9457 problem details {type, title, status, detail, instance}",
    "microsoft": "Microsoft/Azure {error: {code, message}}",
    "google": "Google {error: {code, message, status}}",
    "stripe": "Stripe {error: {type, message}}",
    "jsonapi": "JSON:API {errors: [{code|status, title|detail|message}]}",
    "flat": "flat {code, message}",
}
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance"}
CODE_NAMES = {"code", "type", "reason", "kind", "errortype", "errcode"}
CODE_SUFFIXES = ("code",)
MESSAGE_NAMES = {"message", "msg", "detail", "title", "description", "summary", "errordescription"}
MESSAGE_SUFFIXES = ("message", "msg", "detail", "title", "description", "summary")
HINT_NAMES = {
    "help", "links", "link", "documentation", "moreinfo", "about", "target", "pointer", "param",
    "parameter", "field", "fields", "source", "invalidparams", "location", "path", "jsonpointer",
}  # fmt: skip
HINT_SUFFIXES = ("link", "links", "url", "uri", "href")
LEAK_NAMES = ["stack", "stackTrace", "stack_trace", "exception", "sqlState", "sql", "traceback", "backtrace"]


def status_class(status: str) -> str:
    """"4", "5", "2", ... for a code or range (``4XX``, ``4xx``), "default" for ``default``."""
    s = status.strip().lower()
    if s == "default":
        return "default"
    return s[0] if s[:1].isdigit() else ""


def norm(name: str) -> str:
    """Property-name comparison key: case-insensitive, ``_`` and ``-`` ignored."""
    return re.sub(r"[_\-]", "", name).lower()


def is_code_name(name: str, schema: Any) -> bool:
    """A machine-readable code field: ``code``, ``errorCode``, ``type``, ``reason``, ... A numeric
    ``status``/``statusCode``/``httpCode`` only repeats the HTTP status and does not count;
    Google's string ``status`` (``NOT_FOUND``) does."""
    n = norm(name)
    numeric = isinstance(schema, dict) and bool(schema_types(schema) & {"integer", "number"})
    if "status" in n or "http" in n:
        return (n == "status" or n.endswith("code")) and not numeric and "string" in schema_types(schema)
    return n in CODE_NAMES or n.endswith(CODE_SUFFIXES)


def is_message_name(name: str) -> bool:
    n = norm(name)
    return n in MESSAGE_NAMES or n.endswith(MESSAGE_SUFFIXES)


def is_hint_name(name: str) -> bool:
    n = norm(name)
    return n in HINT_NAMES or n.endswith(HINT_SUFFIXES)


# --- reading error bodies ---------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """One error body schema after ``$ref`` + ``allOf`` merge: where it lives and its media type."""

    schema: dict
    at: At
    media_type: str


def resolve(ctx: Context, schema: Any, at: At) -> tuple[dict, At]:
    node, node_at = ctx.deref(schema, at)
    return ctx.merged_schema(node, node_at), node_at


def unresolved(ctx: Context, schema: Any, at: At) -> bool:
    """True when ``schema`` is the ``{}`` the context returns for a ``$ref`` it could not follow."""
    if schema != {}:
        return False
    f = ctx.spec.files.get(at.file)
    raw = jp.get(f.data, at.pointer, None) if f is not None else None
    return isinstance(raw, dict) and "$ref" in raw


def error_responses(ctx: Context, op: OperationRef) -> list[Response]:
    return [r for r in ctx.responses(op) if is_error_status(r.status) or status_class(r.status) in ("4", "5")]


def branches(ctx: Context, schema: dict, at: At) -> list[tuple[dict, At]]:
    """``oneOf``/``anyOf`` alternatives (each resolved), or the schema itself."""
    for key in ("oneOf", "anyOf"):
        alts = schema.get(key)
        if isinstance(alts, list) and alts and not schema.get("properties"):
            return [resolve(ctx, s, at.child(key, i)) for i, s in enumerate(alts)]
    return [(schema, at)]


def error_media(ctx: Context, op: OperationRef) -> Iterator[tuple[Response, Media]]:
    """Every JSON error body schema of ``op`` that can be resolved (``Media.schema`` as written,
    ``$ref`` followed, ``allOf`` not merged)."""
    for resp in error_responses(ctx, op):
        for m in ctx.response_media(op, resp):
            if m.schema is not None and is_json(m.media_type) and not unresolved(ctx, m.schema, m.at):
                yield resp, m


def error_bodies(ctx: Context, op: OperationRef) -> Iterator[tuple[Response, Body]]:
    """Every JSON error body of ``op`` after ``allOf`` merge (each branch of a oneOf/anyOf
    separately), once per schema location."""
    seen: set[At] = set()
    for resp, m in error_media(ctx, op):
        merged, at = resolve(ctx, m.schema, m.at)
        for schema, b_at in branches(ctx, merged, at):
            if b_at not in seen and not unresolved(ctx, schema, b_at):
                seen.add(b_at)
                yield resp, Body(schema, b_at, m.media_type)


class View:
    """Property access on a merged object schema, names compared with ``norm``."""

    def __init__(self, ctx: Context, schema: dict, at: At) -> None:
        self.ctx, self.schema, self.at = ctx, schema, at
        props = schema.get("properties")
        self.props: dict[str, Any] = props if isinstance(props, dict) else {}
        self.names = {norm(str(k)): str(k) for k in self.props}

    def has(self, *names: str) -> bool:
        return any(norm(n) in self.names for n in names)

    def prop(self, name: str) -> dict | None:
        key = self.names.get(norm(name))
        if key is None:
            return None
        return resolve(self.ctx, self.props[key], self.at.child("properties", key))[0]

    def child(self, name: str) -> View | None:
        sub = self.prop(name)
        if not isinstance(sub, dict):
            return None
        if "items" in sub and ("array" in schema_types(sub) or not sub.get("properties")):
            return None
        return View(self.ctx, sub, self.at)

    def items(self, name: str) -> View | None:
        sub = self.prop(name)
        if not isinstance(sub, dict) or not isinstance(sub.get("items"), dict):
            return None
        return View(self.ctx, resolve(self.ctx, sub["items"], self.at)[0], self.at)

    def at_path(self, path: str) -> bool:
        """``error.code`` / ``errors[].code``: every segment exists."""
        view: View | None = self
        parts = path.strip().split(".")
        for i, part in enumerate(parts):
            if view is None:
                return False
            array = part.endswith("[]")
            name = part[:-2] if array else part
            if not view.has(name):
                return False
            if i < len(parts) - 1 or array:
                view = view.items(name) if array else view.child(name)
        return view is not None


def shapes_of(ctx: Context, body: Body, custom: list[str] = ()) -> set[str]:
    """The recognised error shapes ``body`` has (``custom`` = configured required-path lists)."""
    found: set[str] = set()
    if "string" in schema_types(body.schema) or "array" in schema_types(body.schema):
        return found
    v = View(ctx, body.schema, body.at)
    base = body.media_type.split(";")[0].strip().lower()
    if base.endswith("problem+json") or len({norm(n) for n in PROBLEM_MEMBERS} & set(v.names)) >= 2:
        found.add("rfc9457")
    err = v.child("error")
    if err is not None:
        if err.has("code") and err.has("message"):
            found.add("microsoft")
            if err.has("status"):
                found.add("google")
        if err.has("type") and err.has("message"):
            found.add("stripe")
    errs = v.items("errors")
    if errs is not None and errs.has("code", "status") and errs.has("title", "detail", "message"):
        found.add("jsonapi")
    code, message = code_and_message_of(v)
    if code and message:
        found.add("flat")
    for entry in custom:
        if all(v.at_path(p) for p in entry.split(",") if p.strip()):
            found.add("custom")
            break
    return found


def containers(ctx: Context, body: Body) -> list[View]:
    """Where code/message live: the body, its ``error`` object, the items of its ``errors`` array."""
    v = View(ctx, body.schema, body.at)
    out = [v]
    for sub in (v.child("error"), v.items("errors")):
        if sub is not None:
            out.append(sub)
    return out


def _has_properties(body: Body) -> bool:
    return bool(body.schema.get("properties"))


def _described_error_bodies(ctx: Context):
    """(body, operation) for every error body schema that declares properties (HEAD skipped)."""
    for op in ctx.operations():
        if op.method == "head":
            continue
        for _resp, body in error_bodies(ctx, op):
            if _has_properties(body):
                yield body, op


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
    lowercase `4xx` range counts too (contract/spec-valid reports its spelling).

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
    `application/json` (trap T24), which is why this is a warning, not an error.

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
    for body, op in _described_error_bodies(ctx):
        if body.at not in cache:
            found = [code_and_message_of(v) for v in containers(ctx, body)]
            both = any(c and m for c, m in found)
            cache[body.at] = (both or any(c for c, _ in found), both or any(m for _, m in found))
        has_code, has_message = cache[body.at]
        if has_code and has_message:
            continue
        missing = [w for w, ok in (("machine-readable code", has_code), ("human-readable message", has_message)) if not ok]
        yield Violation(f"error body has no {' and no '.join(missing)}", body.at, operation=op)


def code_and_message_of(v: View) -> tuple[bool, bool]:
    """Whether the object has a code field and a message field. A string ``error`` is the code
    when nothing else is (OAuth ``{error, error_description}``) and the message when a code
    exists (Matrix ``{errcode, error}``)."""
    code = message = False
    for key in v.props:
        if norm(str(key)) == "error":
            continue
        if not code and is_code_name(str(key), v.prop(str(key))):
            code = True
        elif not message and is_message_name(str(key)):
            message = True
    err = v.prop("error")
    if isinstance(err, dict) and "string" in schema_types(err):
        if not code:
            code = True
        elif not message:
            message = True
    return code, message


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
    for body, op in _described_error_bodies(ctx):
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
    case, `_` and `-`). Deliberately not flagged (trap T15): `trace` and `traceId` (correlation
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
