"""``--include`` / ``--exclude``: which operations of the spec the fuzzer tests.

A selector is one of::

    GET                  a method
    /v1/items*           a path glob (fnmatch; `*` also crosses `/`)
    "GET /v1/items/*"    a method and a path glob (method may be `*`)
    tag:items            a tag (glob)
    id:createItem        an operationId (glob)

Includes are a union (none = every operation); excludes are removed from that.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from auditor.document.document import HTTP_METHODS, Document, OperationRef
from auditor.exceptions import UsageError

HELP = "METHOD, /path-glob, 'METHOD /path-glob', tag:NAME or id:operationId"


def matches(selector: str, op: OperationRef) -> bool:
    sel = selector.strip()
    if sel.startswith("tag:"):
        tags = op.node.get("tags") or []
        return any(isinstance(t, str) and fnmatch.fnmatchcase(t, sel[4:]) for t in tags)
    if sel.startswith("id:"):
        op_id = op.node.get("operationId")
        return isinstance(op_id, str) and fnmatch.fnmatchcase(op_id, sel[3:])
    method, _, path = sel.partition(" ")
    if not path and method.startswith("/"):
        method, path = "*", method
    if method != "*" and method.lower() != op.method:
        return False
    return not path.strip() or fnmatch.fnmatchcase(op.path, path.strip())


def check_selector(selector: str, option: str) -> None:
    sel = selector.strip()
    if sel.startswith(("tag:", "id:")) and len(sel.split(":", 1)[1]) > 0:
        return
    method, _, path = sel.partition(" ")
    if method.startswith("/") and not path:
        return
    if method == "*" or method.lower() in HTTP_METHODS:
        if not path or path.strip().startswith("/"):
            return
    raise UsageError(f"invalid {option} {selector!r}", hint=f"use {HELP}")


def select(document: Document, include: Iterable[str], exclude: Iterable[str]) -> frozenset[tuple[str, str]] | None:
    """(METHOD, path) pairs to test; None when no selector was given (every operation)."""
    include, exclude = list(include), list(exclude)
    for sel in include:
        check_selector(sel, "--include")
    for sel in exclude:
        check_selector(sel, "--exclude")
    if not include and not exclude:
        return None
    chosen = frozenset(
        (op.method.upper(), op.path)
        for op in document.operations()
        if (not include or any(matches(s, op) for s in include)) and not any(matches(s, op) for s in exclude)
    )
    if not chosen:
        raise UsageError("--include/--exclude leave no operation to test", hint=f"selectors are {HELP}")
    return chosen
