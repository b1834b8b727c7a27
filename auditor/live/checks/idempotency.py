"""idempotency/ on the running service: retries with an idempotency key replay the first answer
(one after the other and in parallel), and PUT and DELETE are idempotent as HTTP says they are
(RFC 9110 §9.2.2). All of them mutate: off under --read-only."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from auditor.document.document import OperationRef
from auditor.live.context import LiveContext, label
from auditor.live.headers import lower
from auditor.live.model import Exchange, Issue, untested
from auditor.live.prober import Built, Prober, replay_of, send_together
from auditor.live.valid_requests import fresh_key
from auditor.model import Severity
from auditor.rules._shared import DEFAULT_HEADERS, key_param
from auditor.rules.registry import Option, live_check

VOLATILE = ["date", "created", "created_at", "createdAt", "updated_at", "updatedAt", "timestamp", "request_id", "requestId", "trace_id", "traceId"]


@live_check(
    "idempotency/replay",
    severity="error",
    summary="Retrying a POST/PATCH with the same Idempotency-Key replays the first answer",
    hint="store the first answer per key and payload fingerprint; replay it for the same payload, refuse another payload",
    on="probe",
    mutates=True,
    order=10,
    options=[
        Option("conflict-statuses", list, [409, 422], "statuses accepted for the same key with a different payload (400 is Zalando's choice)"),
        Option("volatile-fields", list, VOLATILE, "body properties (any depth) ignored when comparing the replayed answer"),
        Option("parallel", int, 5, "requests sent at once with one key and payload (0: no parallel test)"),
    ],
)
def replay(live: LiveContext, prober: Prober) -> Iterator[Issue]:
    """
    What it checks: for each POST/PATCH operation that declares an idempotency key header
    (`idempotency/key-on-post` names), the audit takes a valid request (one the fuzzer saw
    succeed, else one the fuzzing engine generates, so patterns and formats hold) and sends it:
    - twice with the same key and payload: the replay answers the same status and body
      (volatile fields such as dates and request ids ignored) and creates no second resource;
    - with the same key and another valid payload: refused with 409 or 422 (option
      `conflict-statuses`), never 2xx;
    - without the key, when the key is required: 4xx;
    - `parallel` times at once with one fresh key and payload: one resource is created; the
      other answers replay it or answer 409.
    An operation where no valid request answers 2xx is reported as info ("not tested").

    Why it matters: clients retry after timeouts, and retries race. If the retry creates a
    second order, or a key silently accepts another payload, retries are not safe and money or
    data is duplicated.

    Bad: the second `POST /v1/items` with `Idempotency-Key: k1` answers 201 with id 8 after id 7.

    Good: it answers 201 with id 7 again; the same key with another body answers 422.

    Fix: keep a key -> (payload fingerprint, answer) store with an expiry, written atomically
    (a unique constraint on the key) so that parallel retries cannot both create.
    """
    conflict = {int(s) for s in live.options["conflict-statuses"]}
    volatile = {_norm(v) for v in live.options["volatile-fields"]}
    for op in live.operations():
        if op.method not in ("post", "patch"):
            continue
        key_p = _key_param(live, op)
        if key_p is None:
            continue
        lbl, name = label(op), key_p.name
        requests = live.run.requests
        key = fresh_key()
        first = requests.first_success(prober, lbl, adapt=_setting(name, key)) if requests is not None else None
        if first is None or first.built is None or first.answer is None:
            yield untested(lbl, f"the idempotency replay found {first.why_not() if first else 'no valid request'}")
            continue
        built, answer = first.built, first.answer
        second = prober.send(built, lbl)
        if second is not None:
            yield from _same_answer(lbl, answer, second, volatile, "the replay with the same key and payload")
        other = _other_payload(live, lbl, built)
        if other is not None:
            third = prober.send(other.with_header(name, key), lbl)
            status = third.status if third is not None else None
            if third is not None and third.ok:
                yield Issue(f"the same key with a different payload was accepted ({status}); expected {_codes(conflict)}", lbl, third)
            elif status is not None and status not in conflict:
                yield Issue(f"the same key with a different payload answered {status}; expected {_codes(conflict)}", lbl, third, severity=Severity.WARN)
        if key_p.required:
            fourth = prober.send(built.with_header(name, None), lbl)
            if fourth is not None and not 400 <= (fourth.status or 0) < 500:
                yield Issue(f"a request without the required {name} answered {fourth.status}, not 4xx", lbl, fourth)
        parallel = int(live.options["parallel"])
        if parallel > 1:  # the body that was accepted, under a key never used
            yield from _in_parallel(prober, lbl, built.with_header(name, fresh_key()), parallel, volatile, conflict)


def _in_parallel(prober: Prober, lbl: str, built: Built, count: int, volatile: set[str], conflict: set[int]) -> Iterator[Issue]:
    answers = [a for a in send_together(prober, built, lbl, count) if a is not None]
    created = [a for a in answers if a.ok]
    if not created:
        return
    first = created[0]
    bodies = {json.dumps(_comparable(a, volatile), sort_keys=True, default=str) for a in created}
    locations = {_location(a) for a in created} - {None}
    resources = max(len(bodies), len(locations))
    if resources > 1:
        yield Issue(
            f"{count} requests sent at once with one key and payload created {resources} different resources",
            lbl,
            created[-1],
            {"first": {"status": first.status, "body": first.response_body}, "statuses": [a.status for a in answers]},
        )
    odd = sorted({a.status or 0 for a in answers if not a.ok and a.status not in conflict and a.status not in (425, 429)})
    if odd:
        yield Issue(
            f"{count} requests sent at once with one key and payload: the others answered {', '.join(map(str, odd))}, not a replay or 409",
            lbl,
            next(a for a in answers if a.status in odd),
            severity=Severity.WARN,
        )


@live_check(
    "idempotency/put-repeatable",
    severity="error",
    summary="The same PUT twice leaves the same representation",
    hint="make PUT a full replacement: the second identical request must change nothing",
    on="probe",
    mutates=True,
    order=11,
)
def put_repeatable(live: LiveContext, prober: Prober) -> Iterator[Issue]:
    """
    What it checks: for each PUT operation, a valid request that succeeds (one the fuzzer saw
    answered 2xx, else one the engine generates) is sent a second time. The second answer has
    the same status class and, ignoring volatile fields (`idempotency/replay`'s
    `volatile-fields`), the same body; when the path also has a GET, the representation read
    after each PUT is the same. PUT is idempotent by definition (RFC 9110 §9.2.2), so clients and
    proxies retry it without asking.

    Why it matters: a PUT that appends, increments or creates anew on a retry corrupts data
    whenever a network hiccup makes a client send it twice.

    Bad: the second `PUT /v1/items/7` with the same body answers `{"revision": 2}` after
    `{"revision": 1}`, or appends the tags again.

    Good: both answers and the item read afterwards are identical.

    Fix: replace the whole resource with the request's representation; keep counters and
    history out of the PUT path.
    """
    volatile = {_norm(v) for v in live.run.options("idempotency/replay")["volatile-fields"]}
    for op in live.operations():
        if op.method != "put":
            continue
        lbl = label(op)
        requests = live.run.requests
        working = requests.first_success(prober, lbl) if requests is not None else None
        if requests is None or working is None or working.built is None or working.answer is None:
            yield untested(lbl, f"the repeated PUT found {working.why_not() if working else 'no valid request'}")
            continue
        # the resource the working request names, with the fullest valid body: optional fields
        # filled in show more when a PUT appends or counts instead of replacing
        richest = max(requests.candidates(lbl, limit=10), key=lambda b: len(b.body or b""), default=working.built)
        put: Built = Built("PUT", working.built.url, working.built.headers, richest.body)
        first = prober.send(put, lbl)
        if first is None or not first.ok:
            put, first = working.built, working.answer  # that body is refused here: the working one again
        read = _reader(live, op, put)
        before = prober.send(read, lbl) if read is not None else None
        second = prober.send(put, lbl)
        if second is None:
            continue
        if (second.status or 0) // 100 != (first.status or 0) // 100:
            yield Issue(f"the same PUT sent again answered {second.status} after {first.status}", lbl, second)
            continue
        if _comparable(first, volatile) != _comparable(second, volatile):
            _, diff = _difference(_comparable(first, volatile), _comparable(second, volatile))
            yield Issue(
                f"the same PUT sent again answered a different body ({diff})", lbl, second, {"first": {"status": first.status, "body": first.response_body}}
            )
            continue
        after = prober.send(read, lbl) if read is not None else None
        if before is not None and after is not None and before.ok and after.ok and _comparable(before, volatile) != _comparable(after, volatile):
            _, diff = _difference(_comparable(before, volatile), _comparable(after, volatile))
            yield Issue(f"the representation changed when the same PUT was sent again ({diff})", lbl, after, {"before": {"body": before.response_body}})


@live_check(
    "idempotency/delete-repeatable",
    severity="error",
    summary="A second DELETE of the same resource answers 404, 410 or 204, never 5xx or the old body",
    hint="answer a repeated DELETE with 404/410 (or 204) and never fail or resurrect the resource",
    on="probe",
    mutates=True,
    order=12,
)
def delete_repeatable(live: LiveContext, prober: Prober) -> Iterator[Issue]:
    """
    What it checks: for each DELETE operation, a DELETE that succeeded (one the fuzzer saw
    answered 2xx, whose resource is therefore gone, else a valid one the engine generates, sent
    once first) is sent again. The second answer is 404, 410 or 204; a 5xx, or a 2xx that still
    carries the deleted resource, is a finding. DELETE is idempotent by definition (RFC 9110
    §9.2.2): clients retry it after a timeout without knowing whether the first one arrived.

    Why it matters: a retried DELETE that crashes makes clients report a failure for an action
    that succeeded, and one that answers with the resource suggests it still exists.

    Bad: the second `DELETE /v1/items/7` answers 500 (the handler dereferences a missing row).

    Good: it answers 404 (or 204 again).

    Fix: treat "already gone" as success or 404 in the handler; never assume the row exists.
    """
    for op in live.operations():
        if op.method != "delete":
            continue
        lbl = label(op)
        gone = _seen_success(live, lbl)
        first_answer = None
        if gone is None:
            requests = live.run.requests
            first = requests.first_success(prober, lbl) if requests is not None else None
            if first is None or first.built is None:
                yield untested(lbl, f"the repeated DELETE found {first.why_not() if first else 'no valid request'}")
                continue
            gone, first_answer = first.built, first.answer
        second = prober.send(gone, lbl)
        if second is None:
            continue
        status = second.status or 0
        if status >= 500:
            yield Issue(f"a second DELETE of the same resource answered {status}", lbl, second)
        elif 200 <= status < 300 and second.response_body and status != 204:
            same = first_answer is not None and first_answer.response_body == second.response_body
            yield Issue(
                f"a second DELETE of the same resource answered {status} with a body"
                + (" identical to the first answer's" if same else "")
                + "; expected 404, 410 or 204",
                lbl,
                second,
                severity=None if same else Severity.WARN,
            )


# --- helpers ---------------------------------------------------------------------------------------


def _setting(name: str, value: str) -> Callable[[Built], Built]:
    return lambda built: built.with_header(name, value)


def _key_param(live: LiveContext, op: OperationRef):
    names = live.run.options("idempotency/key-on-post").get("header-names") or DEFAULT_HEADERS
    return key_param(live.run.context, op, list(names))


def key_header_of(live_run: Any) -> Any:
    """operation label -> the name of its idempotency-key header (for fresh keys on reused requests)."""

    def name(operation: str) -> str | None:
        op = live_run.operations.get(operation)
        if op is None or op.method not in ("post", "patch"):
            return None
        names = live_run.options("idempotency/key-on-post").get("header-names") or DEFAULT_HEADERS
        p = key_param(live_run.context, op, list(names))
        return p.name if p is not None else None

    return name


def _other_payload(live: LiveContext, lbl: str, built: Built) -> Built | None:
    """Another valid request for the operation, with a different body (engine-generated)."""
    requests = live.run.requests
    for other in requests.generated(lbl) if requests is not None else []:
        if other.body != built.body:
            return other
    return None


def _seen_success(live: LiveContext, lbl: str) -> Built | None:
    """The newest DELETE the fuzzer saw answered 2xx: its resource is gone now."""
    for o in reversed(live.run.observed):
        if o.operation == lbl and o.origin == "fuzz" and o.exchange.ok:
            return replace(replay_of(o.exchange), body=None)
    return None


def _reader(live: LiveContext, op: OperationRef, built: Built) -> Built | None:
    """A GET of the resource a PUT wrote (same URL), when the path documents a GET."""
    if f"GET {op.path}" not in live.run.operations:
        return None
    return Built("GET", built.url.split("?", 1)[0], {k: v for k, v in built.headers.items() if k.lower() not in ("content-type", "content-length")})


def _same_answer(lbl: str, first: Exchange, second: Exchange, volatile: set[str], what: str) -> Iterator[Issue]:
    a, b = _comparable(first, volatile), _comparable(second, volatile)
    if first.status != second.status:
        yield Issue(f"{what} answered {second.status}, the first {first.status}", lbl, second)
    elif a != b:
        keys, diff = _difference(a, b)
        created = _creates(first, second, volatile)
        yield Issue(
            f"{what} {'created a second resource' if created else 'answered a different body'} ({diff})",
            lbl,
            second,
            {"first": {"status": first.status, "body": first.response_body}},
        )


def _creates(first: Exchange, second: Exchange, volatile: set[str]) -> bool:
    keys, _ = _difference(_comparable(first, volatile), _comparable(second, volatile))
    return bool({_norm(k) for k in keys} & {"id", "uuid"}) or _location(first) != _location(second)


def _comparable(ex: Exchange, volatile: set[str]) -> Any:
    try:
        body = json.loads(ex.response_body or "null")
    except ValueError:
        return ex.response_body
    return _strip(body, volatile)


def _strip(value: Any, volatile: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, volatile) for k, v in value.items() if _norm(k) not in volatile}
    if isinstance(value, list):
        return [_strip(v, volatile) for v in value]
    return value


def _difference(a: Any, b: Any) -> tuple[list[str], str]:
    """(top-level keys that differ, a short description)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = [k for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
        return keys, ", ".join(f"{k}: {json.dumps(a.get(k))} then {json.dumps(b.get(k))}" for k in keys[:3])
    return [], "bodies differ"


def _location(ex: Exchange) -> str | None:
    return lower(ex.response_headers).get("location")


def _codes(codes: set[int]) -> str:
    return " or ".join(str(c) for c in sorted(codes))


def _norm(name: str) -> str:
    return str(name).lower().replace("_", "").replace("-", "")
