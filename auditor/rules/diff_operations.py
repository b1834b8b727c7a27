"""diff/ (operations): operations that disappear, appear or are deprecated between two versions
of a document, removals that skipped the deprecation, and security that got stricter.
``auditor diff OLD NEW`` runs these; ``lint`` never does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from auditor.diff.compat import alternatives, op_label, satisfies
from auditor.diff.pair import Change, DiffContext
from auditor.document.context import Context
from auditor.document.document import OperationRef
from auditor.rules._shared import SUNSET_EXTENSIONS
from auditor.rules.registry import Option, diff_rule

REMOVAL_HINT = "keep the operation, deprecated with a Sunset date, until clients have moved; remove it in a new major version"


@diff_rule(
    "diff/operation-removed",
    severity="error",
    summary="No operation disappears",
    hint=REMOVAL_HINT,
)
def operation_removed(pair: DiffContext):
    """
    What it checks: every operation of the old document still exists in the new one.
    Operations correspond by method and path shape, so renaming a path parameter
    (`/pets/{id}` -> `/pets/{petId}`) is not a removal; removing a whole path removes each of
    its operations. The finding points at the operation in the old document.

    Why it matters: every client that calls a removed operation breaks on the day the new
    version ships.

    Bad:
        # old
        paths: {/pets: {get: ..., post: ...}}
        # new
        paths: {/pets: {get: ...}}

    Good:
        # new: the operation stays, deprecated, until its sunset
        paths: {/pets: {get: ..., post: {deprecated: true, x-sunset: "2026-06-30", ...}}}

    Fix: restore the operation (deprecated), or ship the removal in a new major version.
    """
    for op in pair.removed_operations():
        yield Change(f"{op_label(op)} was removed", op.at, before=op_label(op), after=None, operation=op, in_old=True)


@diff_rule(
    "diff/removed-without-deprecation",
    severity="error",
    summary="An operation is deprecated (and, in strict, past its Sunset date) before it is removed",
    hint="deprecate the operation in one release (`deprecated: true`, a Sunset date), remove it in a later one",
    options=[
        Option("require-sunset", bool, False, "the old operation must also declare a Sunset date (x-sunset or a Sunset header example) that has passed"),
    ],
)
def removed_without_deprecation(pair: DiffContext):
    """
    What it checks: an operation that is removed was marked `deprecated: true` in the old
    document. With the option `require-sunset` (strict) it must also have declared its
    Sunset date, and that date must have passed: an `x-sunset` (or `x-sunset-date`,
    `x-deprecation-date`) extension on the operation, or the `example` of a `Sunset` response
    header (RFC 8594), as a date (`2026-06-30`) or an HTTP date.

    Why it matters: deprecation is how clients learn that an operation goes away, and the
    Sunset date is when; removing an operation nobody was warned about, or before the
    announced date, breaks clients that did everything right.

    Bad:
        # old: not deprecated
        paths: {/v1/orders: {get: {responses: ...}}}
        # new: /v1/orders is gone

    Good:
        # old: deprecated, with a sunset date in the past
        paths: {/v1/orders: {get: {deprecated: true, x-sunset: "2024-01-31", responses: ...}}}
        # new: /v1/orders is gone

    Fix: deprecate first and remove after the sunset date; or keep the operation.
    """
    require_sunset = pair.options.get("require-sunset", False)
    today = datetime.now(UTC).date()
    for op in pair.removed_operations():
        if op.node.get("deprecated") is not True:
            yield Change(f"{op_label(op)} was removed without being deprecated first", op.at, before="not deprecated", after=None, operation=op, in_old=True)
            continue
        if not require_sunset:
            continue
        sunset = sunset_date(pair.old, op)
        if sunset is None:
            yield Change(
                f"{op_label(op)} was removed, but its deprecation named no Sunset date", op.at, before="deprecated, no sunset", operation=op, in_old=True
            )
        elif sunset > today:
            yield Change(f"{op_label(op)} was removed before its Sunset date {sunset.isoformat()}", op.at, before=sunset.isoformat(), operation=op, in_old=True)


def sunset_date(ctx: Context, op: OperationRef) -> date | None:
    """The sunset date an operation declares: an extension, else a Sunset header's example."""
    for key in SUNSET_EXTENSIONS:
        if key in op.node:
            return _date(op.node[key])
    for response in ctx.responses(op):
        header = ctx.response_headers(response).get("sunset")
        if header is None:
            continue
        schema = header.node.get("schema")
        for value in (header.node.get("example"), schema.get("example") if isinstance(schema, dict) else None):
            if value is not None:
                return _date(value)
    return None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    import email.utils  # only for a removal under strict (8 ms otherwise spent on every lint)

    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        return None


@diff_rule(
    "diff/operation-added",
    severity="info",
    summary="New operations are listed (a compatible change)",
    hint="nothing to do: a new operation breaks no client",
)
def operation_added(pair: DiffContext):
    """
    What it checks: operations of the new document that the old one did not have (by method
    and path shape). Compatible: listed so that a review sees what a release adds.

    Why it matters: additions are the change log of an API; they need no new major version.

    Bad:
        # old
        paths: {/pets: {get: ...}}
        # new
        paths: {/pets: {get: ..., post: ...}}

    Good:
        # new: the same operations as the old document
        paths: {/pets: {get: ...}}

    Fix: nothing to fix; switch the rule off in the config if the list is noise.
    """
    for op in pair.added_operations():
        yield Change(f"{op_label(op)} was added", op.at, before=None, after=op_label(op), operation=op)


@diff_rule(
    "diff/operation-deprecated",
    severity="info",
    summary="Operations newly marked deprecated are listed",
    hint="announce the deprecation (Deprecation and Sunset headers, a replacement) and keep the operation until its sunset",
)
def operation_deprecated(pair: DiffContext):
    """
    What it checks: operations that are `deprecated: true` in the new document and were not in
    the old one. Compatible: the operation still works, but its clients need to move.

    Why it matters: a deprecation starts the clock towards a removal; it should be announced
    (deprecation/documented checks how) and seen in review.

    Bad:
        # old
        get: {responses: ...}
        # new
        get: {deprecated: true, responses: ...}

    Good:
        # new: unchanged
        get: {responses: ...}

    Fix: nothing to fix; make sure the deprecation names a replacement and a Sunset date.
    """
    for op in pair.operation_pairs():
        if op.new.node.get("deprecated") is True and op.old.node.get("deprecated") is not True:
            yield Change(f"{op_label(op.new)} is now deprecated", op.new.at.child("deprecated"), before=False, after=True, operation=op.new, old_at=op.old.at)


@diff_rule(
    "diff/security-added",
    severity="error",
    summary="No operation requires new credentials or scopes",
    hint="keep an alternative requirement that existing clients meet, or require the new credentials in a new major version",
)
def security_added(pair: DiffContext):
    """
    What it checks: for every operation in both documents, each security requirement a client
    could meet before (the operation's `security`, else the document's; none or `[]` meaning
    anonymous access) is still enough: the new document keeps an alternative with no new
    scheme and no new scope. Adding an alternative is fine; requiring authentication where
    there was none, a second scheme, or another OAuth scope is not. Schemes are compared by
    name.

    Why it matters: clients that called the operation with their existing credentials get 401
    or 403 after the release.

    Bad:
        # old
        security: [{oauth: [pets:read]}]
        # new
        security: [{oauth: [pets:read, pets:admin]}]

    Good:
        # new: the old requirement stays an alternative
        security: [{oauth: [pets:read]}, {apiKey: []}]

    Fix: keep a requirement the old clients meet, or release the change as a new major version.
    """
    for op in pair.operation_pairs():
        old_sec, new_sec = pair.old.security(op.old), pair.new.security(op.new)
        old_alts, new_alts = alternatives(old_sec), alternatives(new_sec)
        lost = next((a for a in old_alts if not any(satisfies(a, b) for b in new_alts)), None)
        if lost is None:
            continue
        at = op.new.at.child("security") if "security" in op.new.node else pair.new.root.child("security") if "security" in pair.new.data else op.new.at
        yield Change(_security_words(lost, new_alts), at, before=old_sec or [], after=new_sec or [], operation=op.new, old_at=op.old.at)


def _security_words(lost: dict[str, set[str]], new_alts: list[dict[str, set[str]]]) -> str:
    """The message: which scopes were added, or which credentials are now needed (the finding
    names the operations, so one change of the document-wide requirement is one finding)."""
    for b in new_alts:
        if set(b) <= set(lost):
            added = sorted(f"{s}:{scope}" for s, scopes in b.items() for scope in scopes - lost[s])
            return f"security now requires the scope(s) {', '.join(added)}"
    needed = " or ".join(" + ".join(sorted(b)) for b in new_alts)
    if not lost:
        return f"security now requires authentication ({needed})"
    return f"security no longer accepts {' + '.join(sorted(lost))}; it requires {needed}"
