"""diff/ (responses): what an existing client receives must still be what it understands. A
success status that is gone, a required property that is gone or optional, a changed type, a
new enum value and a media type no longer served break it. Schemas are compared after
resolution (``$ref`` followed, ``allOf`` merged), over the statuses both documents declare;
properties marked ``writeOnly`` were never returned and are left out."""

from __future__ import annotations

from auditor.diff.compat import covers, missing_values, show_values
from auditor.diff.pair import Change, DiffContext, covered
from auditor.diff.schemas import type_label
from auditor.rules._shared import status_class
from auditor.rules.registry import diff_rule

NEW_MAJOR = "or release the change in a new major version"


@diff_rule(
    "diff/response-status-removed",
    severity="error",
    summary="No documented success status disappears",
    hint=f"keep answering with the old status, {NEW_MAJOR}",
)
def response_status_removed(pair: DiffContext):
    """
    What it checks: every success status (2xx, or a `2XX` range) that an operation documents
    in the old document is still documented in the new one (a specific code stays covered by
    a new `2XX` range). Error statuses are not checked. The finding points at the response in
    the old document and names the success statuses that replace it.

    Why it matters: clients branch on the status; one that checks for `200` treats the new
    `201` as a failure.

    Bad:
        # old
        responses: {"200": {description: Created}}
        # new
        responses: {"201": {description: Created}}

    Good:
        # new: the old status stays documented (and answered)
        responses: {"200": {description: Created}}

    Fix: keep the old status, or release a new major version.
    """
    for op in pair.operation_pairs():
        responses = pair.response_pairs(op)
        now = sorted(new.status for _, new in responses if new is not None and status_class(new.status) == "2")
        ranges = {s.upper() for s in now if not s[:3].isdigit()}
        for old, new in responses:
            if old is None or new is not None or status_class(old.status) != "2" or "2XX" in ranges:
                continue
            if not old.status[:3].isdigit() and now:
                continue  # a 2XX range narrowed to the codes it had
            instead = f" (now documented: {', '.join(now)})" if now else ""
            yield Change(
                f"success response {old.status} was removed{instead}",
                op.old.at.child("responses", old.status),
                before=old.status,
                after=now or None,
                operation=op.old,
                in_old=True,
            )


@diff_rule(
    "diff/response-required-property-removed",
    severity="error",
    summary="Required response properties stay, and stay required",
    hint=f"keep returning the property, {NEW_MAJOR}",
)
def response_required_property_removed(pair: DiffContext):
    """
    What it checks: every property that a response schema required in the old document is
    still declared and required in the new one. A removed property is reported in the old
    document, one made optional in the new one. `writeOnly` properties are left out (they
    were never returned).

    Why it matters: clients read required properties without checking for them; when one is
    missing they fail, often far from the call.

    Bad:
        # old
        Pet: {type: object, required: [id, name], properties: {id: ..., name: ...}}
        # new
        Pet: {type: object, required: [name], properties: {id: ..., name: ...}}

    Good:
        # new: id stays required (new properties may be added)
        Pet: {type: object, required: [id, name], properties: {id: ..., name: ..., tag: ...}}

    Fix: keep returning the property, or release a new major version.
    """
    for op, c in pair.changes("response", "required"):
        if not c.before or c.after:
            continue
        if c.declared_after:
            yield Change.of_schema(f"response property `{c.key}` is no longer required", op, c, "required", "optional")
        else:
            yield Change(f"required response property `{c.key}` was removed", c.old_at, before="required", after=None, operation=op.old, in_old=True)


@diff_rule(
    "diff/response-type-changed",
    severity="error",
    summary="Response properties keep a type their clients understand",
    hint=f"keep the old type (narrowing, e.g. number -> integer, is fine), {NEW_MAJOR}",
)
def response_type_changed(pair: DiffContext):
    """
    What it checks: the type (and format) of every response body, property and item is one
    the old type already covered: `number` -> `integer` or adding a format are narrower and
    fine; `integer` -> `number`, `string` -> `object`, adding `null` (a value may now be
    null) or `int32` -> `int64` are not.

    Why it matters: clients parse the value into the type they were told; another type fails
    at parse time or, worse, later.

    Bad:
        # old
        id: {type: integer}
        # new
        id: {type: string}

    Good:
        # new: narrower
        price: {type: integer}   # was {type: number}

    Fix: keep the type, add a new property for the new one, or release a new major version.
    """
    for op, c in pair.changes("response", "type"):
        if not covers(c.before, c.after):
            before, after = type_label(*c.before), type_label(*c.after)
            yield Change.of_schema(f"response {pair.label(c.new_at)}: type {before} -> {after}", op, c, before, after)


@diff_rule(
    "diff/response-enum-value-added",
    severity="warn",
    summary="New enum values in responses are flagged: clients may not handle them",
    hint="make sure clients handle unknown values (document it), or return the new value only to clients that ask for it",
)
def response_enum_value_added(pair: DiffContext):
    """
    What it checks: a response body, property or item that was an `enum` (or `const`) in the
    old document may now hold a value the old document did not list: a new enum value, or the
    `enum` removed altogether. Removing values is fine.

    Why it matters: clients often map enums to closed types (a switch, a Java enum, a
    TypeScript union) and fail on a value they do not know. Warn, not error: a client written
    to tolerate unknown values (as it should be) is fine.

    Bad:
        # old
        status: {type: string, enum: [available, sold]}
        # new
        status: {type: string, enum: [available, sold, reserved]}

    Good:
        # new: the same values
        status: {type: string, enum: [available, sold]}

    Fix: announce the new value before returning it, and document that clients must accept
    unknown values.
    """
    for op, c in pair.changes("response", "enum"):
        label = pair.label(c.new_at)
        if c.before is not None and c.after is None:
            yield Change.of_schema(f"response {label}: no longer limited to {show_values(c.before)}", op, c)
        elif added := missing_values(c.after, c.before):
            yield Change.of_schema(f"response {label}: new enum value(s) {show_values(added)}", op, c)


@diff_rule(
    "diff/response-media-type-removed",
    severity="error",
    summary="Responses are still served in every media type they were",
    hint=f"keep serving the old media type, {NEW_MAJOR}",
)
def response_media_type_removed(pair: DiffContext):
    """
    What it checks: for every status that both documents declare, each media type of the old
    response is still one of the new response's (parameters such as `charset` ignored; `*/*`
    and `type/*` cover the rest); a response that lost its body loses all of them. The finding
    points at the media type in the old document.

    Why it matters: clients that ask for the removed media type (Accept) or parse it get
    406 Not Acceptable, or a body they cannot read.

    Bad:
        # old
        content: {application/json: ..., text/csv: ...}
        # new
        content: {application/json: ...}

    Good:
        # new
        content: {application/json: ..., text/csv: ..., application/xml: ...}

    Fix: keep serving the media type, or release a new major version.
    """
    for op in pair.operation_pairs():
        for old, new in pair.response_pairs(op):
            if old is None or new is None:
                continue
            now = pair.response_media(pair.new, op.new, new)
            for key, media in pair.response_media(pair.old, op.old, old).items():
                if not covered(key, now):
                    at = old.at.child("content", media.media_type) if not pair.old.is_swagger2 else old.at
                    yield Change(
                        f"response {old.status} is no longer served as {media.media_type}",
                        at,
                        before=media.media_type,
                        after=None,
                        operation=op.old,
                        in_old=True,
                    )
