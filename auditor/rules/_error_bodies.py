"""What an error body looks like, for the errors/ rules and the live error checks: the shapes
auditor knows (RFC 9457 problem details, Microsoft, Google, Stripe, JSON:API, flat), the names
that make a code, a message or a recovery hint, and the error bodies of an operation read after
``$ref`` and ``allOf`` are resolved (``oneOf``/``anyOf`` bodies branch by branch)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.document import pointer as jp
from auditor.document.context import Context, Media, Response, is_error_status, is_json, schema_types
from auditor.document.document import At, OperationRef
from auditor.rules._shared import norm, resolve, status_class

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


def unresolved(ctx: Context, schema: Any, at: At) -> bool:
    """True when ``schema`` is the ``{}`` the context returns for a ``$ref`` it could not follow."""
    if schema != {}:
        return False
    f = ctx.document.files.get(at.file)
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


def shapes_of(ctx: Context, body: Body, custom: Sequence[str] = ()) -> set[str]:
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


def described_error_bodies(ctx: Context):
    """(body, operation) for every error body schema that declares properties (HEAD skipped)."""
    for op in ctx.operations():
        if op.method == "head":
            continue
        for _resp, body in error_bodies(ctx, op):
            if _has_properties(body):
                yield body, op


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
