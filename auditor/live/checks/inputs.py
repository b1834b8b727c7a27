"""inputs/ on the running service, with requests sent on purpose: malformed requests are refused
with a 4xx (fail fast at the boundary), and injection-style values do not change the outcome of
a request into a server error. Every answer also goes through the error and leak checks."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

from auditor.document.context import Param
from auditor.document.document import OperationRef
from auditor.live.context import LiveContext, label
from auditor.live.leaks import INJECTION_MORE, INJECTION_OPERATOR, INJECTION_QUOTE
from auditor.live.model import SAFE_METHODS, Exchange, Issue
from auditor.live.prober import Built, Prober
from auditor.rules.registry import live_check

NOT_A_NUMBER = "auditor-not-a-number"
MALFORMED_JSON = b'{"auditor": '


@live_check(
    "inputs/live-malformed",
    severity="error",
    summary="Malformed requests (unknown path, broken JSON, wrong-typed parameter) answer 4xx",
    hint="validate requests at the edge and answer 400/404/422 with the documented error body",
    on="probe",
    order=30,
    setting="probes",
)
def live_malformed(live: LiveContext, prober: Prober) -> Iterator[Issue]:
    """
    What it checks: requests that are wrong on purpose are refused with a 4xx: an unknown path
    (a 5xx is a finding), a JSON body cut off in the middle (for operations with a JSON body;
    not under --read-only for unsafe operations), and a path or query parameter of type integer,
    number or boolean given a word. Each starts from a valid request of the operation (one the
    fuzzer saw succeed or one the engine generates), so only the one broken part differs. A 5xx
    or a 2xx is a finding; the answers' bodies are also judged by the error and leak checks.

    Why it matters: fail fast: a request the contract does not allow must be stopped at the
    boundary with a clear 4xx, not reach the business logic or the database.

    Bad: `POST /v1/items` with `{"auditor": ` answers 500; `GET /v1/items?limit=abc` answers 200.

    Good: 400 with a problem document naming the broken part.

    Fix: parse and validate before the handler runs (a schema-validating middleware).
    """
    unknown = Built("GET", f"/auditor-no-such-path-{uuid.uuid4().hex[:8]}")
    ex = prober.send(unknown, None)
    if ex is not None and (ex.status or 0) >= 500:
        yield Issue(f"an unknown path answered {ex.status}", None, ex)
    for op in live.operations():
        lbl = label(op)
        base = _template(live, op)
        if base is None:
            continue
        if _has_json_body(live, op) and (op.method.upper() in SAFE_METHODS or not live.run.read_only):
            broken = Built(base.method, base.url, {**base.headers, "Content-Type": "application/json"}, MALFORMED_JSON)
            yield from _expect_4xx(prober.send(_refresh(live, lbl, broken), lbl), lbl, "a JSON body cut off in the middle")
        if op.method.upper() not in SAFE_METHODS:
            continue
        for p in live.run.context.parameters(op):
            if p.location in ("path", "query") and _scalar_type(p) in ("integer", "number", "boolean"):
                built = base.with_param(op.path, p.location, p.name, NOT_A_NUMBER)
                if built is not None:
                    what = f"a {_scalar_type(p)} {p.location} parameter {p.name}={NOT_A_NUMBER!r}"
                    yield from _expect_4xx(prober.send(built, lbl), lbl, what)


@live_check(
    "inputs/live-injection",
    severity="error",
    summary="Injection-style values do not turn a working request into a server error",
    hint="pass input to queries and commands as parameters, never by string concatenation",
    on="probe",
    order=31,
    setting="probes",
)
def live_injection(live: LiveContext, prober: Prober) -> Iterator[Issue]:
    """
    What it checks: injection-style values are sent in the string path and query parameters of
    safe operations and in the top-level string fields of JSON bodies (not under --read-only),
    each in an otherwise valid request: a quote to every one and `{"$ne": null}` to every one
    but path parameters (a path segment never reaches a handler as an object), then `' OR
    '1'='1`, `";--` and `') /*` where one of those changed the answer other than by refusing it
    with a 4xx (a value refused at the boundary did not reach an interpreter). A finding needs
    the value to change the outcome: the same request with its plain value answers below 500
    (a request the fuzzer saw answered is not sent again unless an injected value answered 5xx),
    the injected one 5xx. The evidence shows both answers. An operation that fails whatever it
    is sent is not blamed on the value (the fuzzer reports it).
    Leaks in any of these answers are reported by `errors/live-no-leak`.

    Why it matters: a quote that crashes a handler is the classic sign of input concatenated into
    SQL or a shell command: the door to injection (OWASP API8).

    Bad: `GET /v1/items?q=shoes` answers 200, `GET /v1/items?q='` answers 500.

    Good: both answer 200 (the quote is just a character in the search).

    Fix: use parameterised queries and escape at the boundary of every interpreter.
    """
    for op in live.operations():
        lbl = label(op)
        unsafe = op.method.upper() not in SAFE_METHODS
        targets: list[tuple[str, str]] = []
        if not unsafe:
            targets += [(p.location, p.name) for p in live.run.context.parameters(op) if p.location in ("path", "query") and _scalar_type(p) == "string"]
        base = _template(live, op)
        if base is None:
            continue
        if base.body and not live.run.read_only:
            try:
                fields = json.loads(base.body)
            except ValueError:
                fields = None
            if isinstance(fields, dict):
                targets += [("body", k) for k, v in fields.items() if isinstance(v, str)]
        if not targets:
            continue
        # the plain answer to compare with: the fuzzer's own when it sent this very request (it is
        # sent again only to confirm a finding), else one sent now
        plain = prober.send(base, lbl) if base.answered is None else None
        reference = base.answered if plain is None else plain.status
        if reference is None or reference >= 500:
            continue  # no plain answer below 500 to compare with: nothing to blame on a value
        for location, name in targets:
            changed = False
            first = (INJECTION_QUOTE,) if location == "path" else (INJECTION_QUOTE, INJECTION_OPERATOR)
            for i, value in enumerate((*first, *INJECTION_MORE)):
                if i >= len(first) and not changed:
                    break  # the first values changed nothing: the others would not either
                built = base.with_json_field(name, value) if location == "body" else base.with_param(op.path, location, name, value)
                if built is None:
                    break
                ex = prober.send(_refresh(live, lbl, built), lbl)
                # a 4xx is the value refused at the boundary (what the guideline asks), not a value
                # that reached an interpreter: the further values are sent only after another change
                changed = changed or (ex is not None and ex.status != reference and not 400 <= (ex.status or 0) < 500)
                if ex is None or (ex.status or 0) < 500:
                    continue
                plain = plain or prober.send(base, lbl)
                if plain is None or (plain.status or 0) >= 500:
                    break  # the plain request fails now too: not the value's doing
                where = f"body field {name}" if location == "body" else f"{location} parameter {name}"
                yield Issue(
                    f"an injection-style value {value!r} in {where} answered {ex.status}; the same request with its plain value answered {plain.status}",
                    lbl,
                    ex,
                    {"plain": _brief(plain), "injected": _brief(ex)},
                    group=f"{where} 5xx",
                )
                break


def _template(live: LiveContext, op: OperationRef) -> Built | None:
    """A valid request of the operation to start from (not sent here)."""
    requests = live.run.requests
    return next(iter(requests.candidates(label(op), limit=1)), None) if requests is not None else None


def _refresh(live: LiveContext, lbl: str, built: Built) -> Built:
    requests = live.run.requests
    return requests.refresh(lbl, built) if requests is not None else built


def _has_json_body(live: LiveContext, op: OperationRef) -> bool:
    return any("json" in m.media_type.lower() for m in live.run.context.request_bodies(op))


def _expect_4xx(ex: Exchange | None, lbl: str, what: str) -> Iterator[Issue]:
    if ex is None:
        return
    status = ex.status or 0
    if status >= 500:
        yield Issue(f"{what} answered {status}", lbl, ex)
    elif status < 400:
        yield Issue(f"{what} was accepted ({status})", lbl, ex)


def _scalar_type(p: Param) -> str | None:
    schema = p.schema if isinstance(p.schema, dict) else {}
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def _brief(ex: Exchange) -> dict:
    return {"request": {"method": ex.method, "url": ex.url, "body": ex.body}, "status": ex.status, "body": ex.response_body}
