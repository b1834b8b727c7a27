"""``--include`` / ``--exclude``: which operations of the spec the fuzzer tests.

A selector is one of::

    GET                  a method
    /v1/items*           a path glob (fnmatch; `*` also crosses `/`)
    "GET /v1/items/*"    a method and a path glob (method may be `*`)
    tag:items            a tag (glob)
    id:createItem        an operationId (glob)

Includes are a union (none = every operation); excludes are removed from that. ``--shard I/N``
then keeps the I-th of N shares of what is left (``Shard``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from auditor.document.document import HTTP_METHODS, Document, OperationRef
from auditor.exceptions import UsageError

HELP = "METHOD, /path-glob, 'METHOD /path-glob', tag:NAME or id:operationId"
_SHARD = re.compile(r"(\d+)/(\d+)")


@dataclass(frozen=True)
class Shard:
    """``--shard I/N``: the I-th (1-based) of N shares of the operations, for a CI matrix of N
    jobs. A hash of an operation's ``METHOD /path`` alone picks its share: the N shards split
    the operations evenly on average, every operation is in exactly one, and an operation stays
    in its shard when others are added or removed."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise UsageError(f"invalid --shard {str(self)!r}", hint="use I/N with 1 <= I <= N, e.g. --shard 1/4 ... --shard 4/4 in a CI matrix of 4 jobs")

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SHARD.fullmatch(text.strip())
        if match is None:
            raise UsageError(f"invalid --shard {text!r}", hint="use I/N, e.g. --shard 1/4 ... --shard 4/4 in a CI matrix of 4 jobs")
        return cls(int(match[1]), int(match[2]))

    def __contains__(self, operation: tuple[str, str]) -> bool:
        """Whether ``(METHOD, path)`` falls to this shard."""
        method, path = operation
        digest = hashlib.sha256(f"{method.upper()} {path}".encode("utf-8", "surrogatepass")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


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


def select(document: Document, include: Iterable[str], exclude: Iterable[str], shard: Shard | None = None) -> frozenset[tuple[str, str]] | None:
    """(METHOD, path) pairs to test; None when no selector and no shard was given (every
    operation). A shard may be empty (fewer operations than shards, or chance): an empty set."""
    include, exclude = list(include), list(exclude)
    for sel in include:
        check_selector(sel, "--include")
    for sel in exclude:
        check_selector(sel, "--exclude")
    if not include and not exclude and shard is None:
        return None
    chosen = frozenset(
        (op.method.upper(), op.path)
        for op in document.operations()
        if (not include or any(matches(s, op) for s in include)) and not any(matches(s, op) for s in exclude)
    )
    if not chosen and (include or exclude):
        raise UsageError("--include/--exclude leave no operation to test", hint=f"selectors are {HELP}")
    return chosen if shard is None else frozenset(op for op in chosen if op in shard)
