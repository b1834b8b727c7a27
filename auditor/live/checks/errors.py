"""errors/ on the running service: error bodies follow the documented schema, are problem details
when the pack asks for them (with the right status), and never leak internals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from auditor.document.document import At, Document
from auditor.live.context import LiveContext
from auditor.live.headers import lower
from auditor.live.leaks import find_leak
from auditor.live.model import Issue, Observed
from auditor.rules.registry import live_check

PROBLEM_JSON = "application/problem+json"


@live_check(
    "errors/live-error-schema",
    severity="error",
    summary="Every 4xx/5xx body matches the documented error schema",
    hint="answer errors with the documented error body (one shared shape, e.g. problem details)",
    on="answer",
)
def live_error_schema(live: LiveContext, o: Observed) -> Iterator[Issue]:
    """
    What it checks: each 4xx/5xx answer the audit sees (fuzzing, and errors provoked on purpose:
    unknown path, malformed JSON, wrong-typed parameter) has a body that validates against the
    schema documented for that status (exact, range or `default`).

    Why it matters: clients parse errors by the contract to show messages and decide on retries;
    an error in another shape becomes an unhandled exception in the client.

    Bad: `400 {"error": "bad json"}` where the contract documents a problem-details body.

    Good: `400 {"type": "about:blank", "title": "Bad Request", "status": 400}`.

    Fix: route every error through the same error handler.
    """
    ex = o.exchange
    status = ex.status or 0
    op = live.run.operations.get(o.operation or "")
    if status < 400 or not ex.response_body or ex.method.upper() == "HEAD" or op is None:
        return
    declared = live.run.error_schema(op, status)
    if declared is None:
        return
    schema, at, media_type = declared
    ctype = _media_type(o)
    body = _json_body(o)
    if body is _NOT_JSON:
        if "json" in media_type.lower():
            yield Issue(f"{status} body is not JSON ({ctype or 'no Content-Type'}) but the contract documents {media_type}", o.operation, ex)
        return
    validator = _validator(live, schema, at)
    error = next(iter(sorted(validator.iter_errors(body), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/" + "/".join(map(str, error.absolute_path))
        yield Issue(
            f"{status} body does not match the documented error schema: {error.message[:160]} (at {where})",
            o.operation,
            ex,
            {"schema": f"{at.file}#{at.pointer}"},
            group=f"{status} {list(error.absolute_schema_path)}",
        )


@live_check(
    "errors/live-problem-media-type",
    severity="warn",
    summary="Error answers are application/problem+json (when the problem-details policy is on)",
    hint="serve error bodies with Content-Type: application/problem+json (RFC 9457)",
    on="answer",
)
def live_problem_media_type(live: LiveContext, o: Observed) -> Iterator[Issue]:
    """
    What it checks: when the pack enables `errors/problem-details-media-type`, every 4xx/5xx
    answer with a body (also for unknown paths and malformed requests) is served as
    `application/problem+json`. Problem JSON sent as `application/json` is a warning. When the
    contract itself documents the other media type for that error (the static
    `errors/problem-details-media-type` finding), the answer is evidence on that finding.

    Why it matters: the media type tells clients the body is a problem document they can parse
    generically.

    Bad: `404 text/html` from the framework's default handler.

    Good: `404 application/problem+json`.

    Fix: install a catch-all error handler that renders problem details.
    """
    ex = o.exchange
    status = ex.status or 0
    if status < 400 or not ex.response_body or ex.method.upper() == "HEAD" or not live.run.problem_details:
        return
    ctype = _media_type(o)
    if ctype == PROBLEM_JSON:
        return
    body = _json_body(o)
    looks_problem = isinstance(body, dict) and len({"type", "title", "status", "detail", "instance"} & set(body)) >= 2
    note = " (a problem-details body sent as application/json)" if looks_problem and ctype == "application/json" else ""
    op = live.run.operations.get(o.operation or "")
    documented = live.run.documented_media(op, status) if op is not None else []
    restates = bool(documented) and ctype in documented and PROBLEM_JSON not in documented
    yield Issue(
        f"{status} answer is {ctype or 'without Content-Type'}, not {PROBLEM_JSON}{note}",
        o.operation,
        ex,
        confirms="errors/problem-details-media-type" if restates else None,
    )


@live_check(
    "errors/live-problem-status",
    severity="error",
    summary="A problem-details body's status equals the HTTP status",
    hint="set the body's status member from the HTTP status the response is sent with",
    on="answer",
)
def live_problem_status(live: LiveContext, o: Observed) -> Iterator[Issue]:
    """
    What it checks: a JSON error body with a `status` member (RFC 9457 §3.1) carries the same
    number as the HTTP status line.

    Why it matters: RFC 9457 requires generators to use the same code; clients that read the body
    (for example behind proxies that rewrite statuses) otherwise act on the wrong one.

    Bad: `HTTP/1.1 404` with `{"status": 400, ...}`.

    Good: `HTTP/1.1 404` with `{"status": 404, ...}`.

    Fix: build the problem body from the response status in one place.
    """
    status = o.exchange.status or 0
    if status < 400 or not live.run.problem_details:
        return
    body = _json_body(o)
    if isinstance(body, dict) and "status" in body and body["status"] != status:
        yield Issue(f"problem body says status {body['status']!r} but the HTTP status is {status}", o.operation, o.exchange)


@live_check(
    "errors/live-no-leak",
    severity="error",
    summary="No answer contains a stack trace, a database error or a debug page",
    hint="log internals server-side; answer a generic problem body with a correlation id",
    on="answer",
)
def live_no_leak(live: LiveContext, o: Observed) -> Iterator[Issue]:
    """
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
    """
    leak = find_leak(o.exchange.body_text)
    if leak is not None:
        yield Issue(
            f"{o.exchange.status} answer leaks a {leak.what} {leak.kind}: {leak.excerpt[:200]}",
            o.operation,
            o.exchange,
            {"leak": {"kind": leak.kind, "what": leak.what, "excerpt": leak.excerpt}},
            group=f"{o.exchange.status} {leak.kind} {leak.what}",
        )


# --- helpers ---------------------------------------------------------------------------------------

_NOT_JSON = object()


def _media_type(o: Observed) -> str:
    return lower(o.exchange.response_headers).get("content-type", "").split(";", 1)[0].strip().lower()


def _json_body(o: Observed) -> Any:
    """The body as JSON when it is (or says it is) JSON; ``_NOT_JSON`` when it cannot be parsed."""
    text = o.exchange.body_text or ""
    if "json" not in _media_type(o) and text.lstrip()[:1] not in ("{", "["):
        return _NOT_JSON
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


def _validator(live: LiveContext, schema: Any, at: At) -> Any:
    """A JSON Schema validator for the documented schema at ``at`` (one per schema and run)."""
    import jsonschema

    cache: dict[tuple[str, str], Any] = live.run.document.memo("live/error-validators")
    key = (at.file, at.pointer)
    if key not in cache:
        document = live.run.document
        resolved = inline_schema(document, schema, at)
        cls = jsonschema.Draft202012Validator if document.oas_version.startswith("3.1") else jsonschema.Draft4Validator
        cache[key] = cls(_nullable(resolved) if isinstance(resolved, dict) else {})
    return cache[key]


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
