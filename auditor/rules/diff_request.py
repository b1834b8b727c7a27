"""diff/ (requests): what an existing client sends must still be accepted. New required
parameters and properties, changed types, narrower bounds, removed enum values, a body that
became required and media types no longer accepted break it. Schemas are compared after
resolution (``$ref`` followed, ``allOf`` merged); properties marked ``readOnly`` are not sent by
clients and are left out."""

from __future__ import annotations

from auditor.diff.compat import bound_words, covers, missing_values, narrowed, show_values
from auditor.diff.pair import Change, DiffContext, covered
from auditor.diff.schemas import type_label
from auditor.rules.registry import diff_rule

NEW_MAJOR = "or release the change in a new major version"


@diff_rule(
    "diff/request-parameter-required",
    severity="error",
    summary="No new required parameter or header, and no optional one made required",
    hint=f"make the new parameter optional with a default, {NEW_MAJOR}",
)
def request_parameter_required(pair: DiffContext):
    """
    What it checks: for every operation in both documents, each required parameter (query,
    header, cookie) of the new document was already required in the old one: it is neither
    new nor an optional parameter made required. Header names compare case-insensitively;
    path parameters correspond by position (a renamed one is the same parameter).

    Why it matters: existing clients do not send the new parameter, so the service rejects
    their requests.

    Bad:
        # old
        parameters: [{name: limit, in: query, schema: {type: integer}}]
        # new
        parameters: [{name: limit, in: query, required: true, schema: {type: integer}}]

    Good:
        # new: optional, with a default
        parameters: [{name: limit, in: query, schema: {type: integer, default: 20}}]

    Fix: make it optional (with a default the service applies), or release a new major version.
    """
    for op in pair.operation_pairs():
        for old, new in pair.parameter_pairs(op):
            if new is None or not new.required or new.location == "path" or (old is not None and old.required):
                continue
            what = f"{new.location} parameter `{new.name}`"
            message = f"new required {what}" if old is None else f"{what} became required"
            yield Change(message, new.at, before=None if old is None else "optional", after="required", operation=op.new, old_at=old.at if old else None)


@diff_rule(
    "diff/request-property-required",
    severity="error",
    summary="No request body property becomes required",
    hint=f"make the property optional (the service applies a default), {NEW_MAJOR}",
)
def request_property_required(pair: DiffContext):
    """
    What it checks: every property that the new document requires in a request schema (body
    or parameter) was already required in the old one, whether the property is new or was
    optional. `readOnly` properties are left out (clients do not send them).

    Why it matters: existing clients do not send the property, so their requests fail
    validation.

    Bad:
        # old
        Pet: {type: object, required: [name], properties: {name: {type: string}, tag: {type: string}}}
        # new
        Pet: {type: object, required: [name, tag], properties: {name: {type: string}, tag: {type: string}}}

    Good:
        # new: tag stays optional
        Pet: {type: object, required: [name], properties: {name: {type: string}, tag: {type: string}}}

    Fix: keep the property optional and apply a default in the service, or release a new major
    version.
    """
    for op, c in pair.changes("request", "required"):
        if c.after and not c.before:
            message = f"request property `{c.key}` became required" if c.declared_before else f"new required request property `{c.key}`"
            yield Change.of_schema(message, op, c, "optional" if c.declared_before else None, "required")


@diff_rule(
    "diff/request-type-changed",
    severity="error",
    summary="Request parameters and properties accept every value of their old type",
    hint=f"keep the old type (widening, e.g. integer -> number, is fine), {NEW_MAJOR}",
)
def request_type_changed(pair: DiffContext):
    """
    What it checks: the type (and format) of every request parameter and body property still
    accepts the values of its old type: `integer` -> `number`, `int32` -> `int64`, adding
    `null`, or dropping a format are wider and fine; `string` -> `integer`, `number` ->
    `integer`, a new or another format are not.

    Why it matters: values that existing clients send are rejected, or worse, read as
    something else.

    Bad:
        # old
        {name: id, in: query, schema: {type: string}}
        # new
        {name: id, in: query, schema: {type: integer}}

    Good:
        # new: wider
        {name: id, in: query, schema: {type: [string, integer]}}

    Fix: keep the old type, add a new parameter or property for the new one, or release a new
    major version.
    """
    for op, c in pair.changes("request", "type"):
        if not covers(c.after, c.before):
            before, after = type_label(*c.before), type_label(*c.after)
            yield Change.of_schema(f"request {pair.label(c.new_at)}: type {before} -> {after}", op, c, before, after)


@diff_rule(
    "diff/request-bounds-narrowed",
    severity="error",
    summary="Request values keep their bounds: no new or tighter maximum, minimum, length, pattern",
    hint=f"keep the old bounds (widening is fine), {NEW_MAJOR}",
)
def request_bounds_narrowed(pair: DiffContext):
    """
    What it checks: no bound of a request parameter or body property is added or tightened:
    `maximum`, `maxLength`, `maxItems`, `maxProperties` lowered or added; `minimum`,
    `minLength`, `minItems`, `minProperties` raised or added; `exclusiveMaximum` /
    `exclusiveMinimum` added or tightened; a `pattern` added or changed; a `multipleOf` added
    or changed to a value the old one does not divide; `uniqueItems: true` added;
    `additionalProperties: false` added to an object that accepted unknown properties.

    Why it matters: values that were valid yesterday are rejected today.

    Bad:
        # old
        name: {type: string, maxLength: 100}
        # new
        name: {type: string, maxLength: 50}

    Good:
        # new: wider
        name: {type: string, maxLength: 200}

    Fix: keep the old bound, or release a new major version.
    """
    for op, c in pair.changes("request", "bound"):
        if narrowed(c.key, c.before, c.after):
            message = f"request {pair.label(c.new_at)}: {bound_words(c.key, c.before, c.after)}"
            yield Change.of_schema(message, op, c)


@diff_rule(
    "diff/request-enum-value-removed",
    severity="error",
    summary="Request enums keep every value they accepted",
    hint=f"keep accepting the old values (map them in the service), {NEW_MAJOR}",
)
def request_enum_value_removed(pair: DiffContext):
    """
    What it checks: every value that a request parameter or body property accepted as an
    `enum` (or `const`) is still accepted; adding an `enum` where any value was accepted
    counts as removing the rest. Adding enum values is fine.

    Why it matters: clients that send the removed value get an error.

    Bad:
        # old
        status: {type: string, enum: [available, pending, sold]}
        # new
        status: {type: string, enum: [available, sold]}

    Good:
        # new
        status: {type: string, enum: [available, pending, sold, reserved]}

    Fix: keep the value (and treat it in the service), or release a new major version.
    """
    for op, c in pair.changes("request", "enum"):
        label = pair.label(c.new_at)
        if c.before is None and c.after is not None:
            yield Change.of_schema(f"request {label}: now only accepts {show_values(c.after)}", op, c)
        elif removed := missing_values(c.before, c.after):
            yield Change.of_schema(f"request {label}: enum value(s) {show_values(removed)} removed", op, c)


@diff_rule(
    "diff/request-body-required",
    severity="error",
    summary="No request body becomes required",
    hint=f"keep the body optional, {NEW_MAJOR}",
)
def request_body_required(pair: DiffContext):
    """
    What it checks: an operation whose request body was optional (or absent) does not require
    one in the new document (`requestBody.required: true`; in Swagger 2.0 a required body or
    form parameter).

    Why it matters: clients that send no body have their requests rejected.

    Bad:
        # old
        requestBody: {content: {application/json: {schema: {type: object}}}}
        # new
        requestBody: {required: true, content: {application/json: {schema: {type: object}}}}

    Good:
        # new: still optional
        requestBody: {content: {application/json: {schema: {type: object}}}}

    Fix: keep the body optional, or release a new major version.
    """
    for op in pair.operation_pairs():
        old, new = pair.request_body(pair.old, op.old), pair.request_body(pair.new, op.new)
        if new.required and not old.required:
            message = "the request body became required" if old.present else "a required request body was added"
            yield Change(message, new.at, before="optional" if old.present else None, after="required", operation=op.new, old_at=old.at)


@diff_rule(
    "diff/request-media-type-removed",
    severity="error",
    summary="Request bodies are still accepted in every media type they were",
    hint=f"keep accepting the old media type, {NEW_MAJOR}",
)
def request_media_type_removed(pair: DiffContext):
    """
    What it checks: every media type of an operation's request body in the old document is
    still accepted by the new one (parameters such as `charset` ignored; `*/*` and `type/*`
    cover the rest), including when the body itself is gone. The finding points at the media
    type in the old document.

    Why it matters: clients that send the removed media type get 415 Unsupported Media Type.

    Bad:
        # old
        content: {application/json: ..., application/x-www-form-urlencoded: ...}
        # new
        content: {application/json: ...}

    Good:
        # new
        content: {application/json: ..., application/x-www-form-urlencoded: ..., multipart/form-data: ...}

    Fix: keep accepting the media type, or release a new major version.
    """
    for op in pair.operation_pairs():
        old, new = pair.request_body(pair.old, op.old), pair.request_body(pair.new, op.new)
        for key, media in old.media.items():
            if not covered(key, new.media):
                at = old.at.child("content", media.media_type) if not pair.old.is_swagger2 else old.at
                yield Change(
                    f"the request body is no longer accepted as {media.media_type}", at, before=media.media_type, after=None, operation=op.old, in_old=True
                )
