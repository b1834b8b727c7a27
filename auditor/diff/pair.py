"""What a diff rule reads: the two documents side by side (``DiffContext``), and what it yields
(``Change``).

Operations correspond by method and path shape: ``/pets/{id}`` and ``/pets/{petId}`` are one
operation whose path parameter was renamed, not a removal and an addition (an exact path match
is preferred when several paths share a shape). Parameters correspond by location and name,
path parameters by their position in the path. Request bodies and responses correspond by
media type (parameters like ``charset`` ignored, ``*/*`` and ``application/*`` cover the rest)
and status. Both documents are read through their ``Context``, the normalised Swagger 2.0 /
OpenAPI 3.x view, so a 2.0 document is compared with a 3.x one on the same terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from auditor.diff.schemas import SchemaChange, SchemaDiff
from auditor.document import pointer as jp
from auditor.document.context import Context, Media, Param, Response
from auditor.document.document import At, OperationRef
from auditor.model import Finding

_TEMPLATE = re.compile(r"\{[^}/]*\}")
SAME = object()  # Change.of_schema: keep the change's own before/after


@dataclass(frozen=True)
class Change:
    """What a diff rule yields: a message, where (in the new document, or in the old one when
    the thing is gone: ``in_old``), the value before and after, the operation concerned and,
    for a change located in the new document, where its old counterpart is (``old_at``)."""

    message: str
    at: At
    before: Any = None
    after: Any = None
    operation: OperationRef | None = None
    in_old: bool = False
    old_at: At | None = None
    hint: str | None = None
    evidence: dict[str, Any] | None = None  # more than before/after, for the finding's evidence

    @classmethod
    def of_schema(cls, message: str, op: OpPair, change: SchemaChange, before: Any = SAME, after: Any = SAME) -> Change:
        """A schema change located at the new node (the old one as its counterpart); before and
        after default to the change's own values."""
        return cls(
            message,
            change.new_at,
            before=change.before if before is SAME else before,
            after=change.after if after is SAME else after,
            operation=op.new,
            old_at=change.old_at,
        )


class OpPair(NamedTuple):
    old: OperationRef
    new: OperationRef


class Body(NamedTuple):
    """A request body: whether there is one, whether it is required, where, and its media types
    (normalised name -> Media). Swagger 2.0 ``formData`` parameters count as a form body."""

    present: bool
    required: bool
    at: At
    media: dict[str, Media]


@dataclass
class Shared:
    """What every rule of one diff shares: the schema comparison and the pairings."""

    schemas: SchemaDiff
    memo: dict[tuple, Any] = field(default_factory=dict)


@dataclass
class DiffContext:
    """Handed to every diff rule: the old and the new document (each as a ``Context``), this
    rule's effective options and, for an ``after_changes`` rule, the breaking findings of the
    other rules."""

    old: Context
    new: Context
    shared: Shared
    options: dict[str, Any] = field(default_factory=dict)
    breaking: tuple[Finding, ...] = ()

    @classmethod
    def of(cls, old: Context, new: Context) -> DiffContext:
        return cls(old, new, Shared(SchemaDiff(old.document, new.document)))

    def with_options(self, options: dict[str, Any], breaking: tuple[Finding, ...] = ()) -> DiffContext:
        return replace(self, options=options, breaking=breaking)

    def _memo(self, key: tuple, compute):
        try:
            return self.shared.memo[key]
        except KeyError:
            value = self.shared.memo[key] = compute()
            return value

    # --- operations -------------------------------------------------------------------------------

    def operation_pairs(self) -> list[OpPair]:
        return self._matched()[0]

    def removed_operations(self) -> list[OperationRef]:
        """Operations of the old document with no counterpart in the new one."""
        return self._matched()[1]

    def added_operations(self) -> list[OperationRef]:
        return self._matched()[2]

    def _matched(self) -> tuple[list[OpPair], list[OperationRef], list[OperationRef]]:
        return self._memo(("operations",), self._match_operations)

    def _match_operations(self) -> tuple[list[OpPair], list[OperationRef], list[OperationRef]]:
        new_ops = list(self.new.operations())
        exact = {(op.method, op.path): op for op in new_ops}
        by_shape: dict[tuple[str, str], list[OperationRef]] = {}
        for op in new_ops:
            by_shape.setdefault((op.method, path_shape(op.path)), []).append(op)
        old_ops = list(self.old.operations())
        old_exact = {(op.method, op.path) for op in old_ops}
        pairs, removed, taken = [], [], set()
        for op in old_ops:
            match = exact.get((op.method, op.path))
            if match is None:
                candidates = [c for c in by_shape.get((op.method, path_shape(op.path)), []) if (c.method, c.path) not in old_exact and id(c) not in taken]
                match = candidates[0] if len(candidates) == 1 else None
            if match is None:
                removed.append(op)
            else:
                taken.add(id(match))
                pairs.append(OpPair(op, match))
        added = [op for op in new_ops if id(op) not in taken]
        return pairs, removed, added

    # --- parameters -------------------------------------------------------------------------------

    def parameter_pairs(self, op: OpPair) -> list[tuple[Param | None, Param | None]]:
        """(old, new) for every parameter but a Swagger 2.0 body; None on the side it is missing."""
        old = {_param_key(op.old, p): p for p in self.old.parameters(op.old) if p.location != "body"}
        new = {_param_key(op.new, p): p for p in self.new.parameters(op.new) if p.location != "body"}
        return [(old.get(k), new.get(k)) for k in dict.fromkeys([*old, *new])]

    # --- request bodies ---------------------------------------------------------------------------

    def request_body(self, side: Context, op: OperationRef) -> Body:
        media = {media_key(m.media_type): m for m in side.request_bodies(op)}
        if side.is_swagger2:
            params = [p for p in side.parameters(op) if p.location in ("body", "formData")]
            if any(p.location == "formData" for p in params):
                consumes = op.node.get("consumes") or side.data.get("consumes") or ["application/x-www-form-urlencoded"]
                for mt in consumes if isinstance(consumes, list) else []:
                    media.setdefault(media_key(str(mt)), Media(str(mt), None, op.at.child("parameters")))
            body = next((p for p in params if p.location == "body"), None)
            at = body.at if body is not None else op.at.child("parameters")
            return Body(bool(params), any(p.required for p in params), at, media)
        raw = op.node.get("requestBody")
        if raw is None:
            return Body(False, False, op.at, media)
        node, at = side.deref(raw, op.at.child("requestBody"))
        return Body(True, isinstance(node, dict) and node.get("required") is True, at, media)

    # --- responses --------------------------------------------------------------------------------

    def response_pairs(self, op: OpPair) -> list[tuple[Response | None, Response | None]]:
        old = {r.status.upper(): r for r in self.old.responses(op.old)}
        new = {r.status.upper(): r for r in self.new.responses(op.new)}
        return [(old.get(k), new.get(k)) for k in dict.fromkeys([*old, *new])]

    def response_media(self, side: Context, op: OperationRef, response: Response) -> dict[str, Media]:
        return {media_key(m.media_type): m for m in side.response_media(op, response)}

    # --- schema changes ---------------------------------------------------------------------------

    def changes(self, side: str, kind: str) -> Iterator[tuple[OpPair, SchemaChange]]:
        """Every schema change of ``kind`` on one side of every operation, with the operation:
        ``request`` (what clients send; ``readOnly`` nodes left out) or ``response`` (what they
        receive; ``writeOnly`` nodes left out)."""
        for op in self.operation_pairs():
            for c in self.request_changes(op) if side == "request" else self.response_changes(op):
                if c.kind == kind and not (c.read_only if side == "request" else c.write_only):
                    yield op, c

    def request_changes(self, op: OpPair) -> list[SchemaChange]:
        """Every schema difference in what the client sends: parameters and request bodies."""

        def compute() -> list[SchemaChange]:
            out: list[SchemaChange] = []
            for old, new in self.parameter_pairs(op):
                if old is not None and new is not None:
                    out += self.shared.schemas.changes(old.schema, old.schema_at, new.schema, new.schema_at)
            old_body, new_body = self.request_body(self.old, op.old), self.request_body(self.new, op.new)
            for old_media, new_media in media_pairs(old_body.media, new_body.media):
                out += self._media_changes(old_media, new_media)
            return _unique(out)

        return self._memo(("request", op.old.at, op.new.at), compute)

    def response_changes(self, op: OpPair) -> list[SchemaChange]:
        """Every schema difference in what the client receives, over the statuses both
        documents declare."""

        def compute() -> list[SchemaChange]:
            out: list[SchemaChange] = []
            for old, new in self.response_pairs(op):
                if old is None or new is None:
                    continue
                pairs = media_pairs(self.response_media(self.old, op.old, old), self.response_media(self.new, op.new, new))
                for old_media, new_media in pairs:
                    out += self._media_changes(old_media, new_media)
            return _unique(out)

        return self._memo(("response", op.old.at, op.new.at), compute)

    def _media_changes(self, old: Media, new: Media) -> tuple[SchemaChange, ...]:
        if old.schema is None or new.schema is None:
            return ()
        return self.shared.schemas.changes(old.schema, old.at, new.schema, new.at)

    # --- words ------------------------------------------------------------------------------------

    def label(self, at: At, in_old: bool = False) -> str:
        """What a schema node is, in words, from where it is written: ``property `status```,
        ``schema `Pet``` (``items``, ``values`` or ``anyOf[1]`` after it for what is inside),
        ``query parameter `limit```, ``body (application/json)``, ``200 body
        (application/json)``. Rules say which side (request, response) it is on."""
        tokens = jp.split(at.pointer)
        inside: list[str] = []  # read from the end: items, values, anyOf[1] (a loop: schemas nest deep)
        while tokens:
            if tokens[-1] in ("items", "additionalProperties"):
                inside.append("items" if tokens.pop() == "items" else "values")
            elif len(tokens) >= 2 and tokens[-2] in ("oneOf", "anyOf", "prefixItems"):
                index = tokens.pop()
                inside.append(f"{tokens.pop()}[{index}]")
            else:
                break
        return " ".join([self._node_label(tokens, at.file, in_old), *reversed(inside)])

    def _node_label(self, tokens: list[str], file: str, in_old: bool) -> str:
        if len(tokens) >= 2 and tokens[-2] == "properties":
            return f"property `{tokens[-1]}`"
        if len(tokens) >= 2 and tokens[-2] in ("schemas", "definitions"):
            return f"schema `{tokens[-1]}`"
        if "parameters" in tokens:
            i = len(tokens) - 1 - tokens[::-1].index("parameters")
            param = _node((self.old if in_old else self.new).document, file, tokens[: i + 2])
            if isinstance(param, dict) and isinstance(param.get("name"), str):
                return f"{param.get('in')} parameter `{param['name']}`" if param.get("in") != "body" else "body"
        status = tokens[tokens.index("responses") + 1] if "responses" in tokens[:-1] else ""
        if "content" in tokens[:-1] and tokens[-1] == "schema":
            media = tokens[tokens.index("content") + 1]
            return f"{status} body ({media})" if status else f"body ({media})"
        if status and tokens and tokens[-1] == "schema":
            return f"{status} body"
        return f"schema at {jp.join('', *tokens) or '/'}"


def path_shape(path: str) -> str:
    """``/pets/{petId}`` -> ``/pets/{}``: paths that differ only in parameter names."""
    return _TEMPLATE.sub("{}", path)


def media_key(media_type: str) -> str:
    """A media type without parameters, in lower case (``application/json; charset=utf-8`` ->
    ``application/json``)."""
    return media_type.split(";", 1)[0].strip().lower()


def covered(media: str, others: dict[str, Any]) -> bool:
    """Whether ``media`` is among ``others`` or one of their wildcards (``*/*``, ``type/*``)."""
    return media in others or "*/*" in others or f"{media.split('/', 1)[0]}/*" in others


def media_pairs(old: dict[str, Media], new: dict[str, Media]) -> list[tuple[Media, Media]]:
    """(old, new) media of the same type (keys from ``media_key``)."""
    return [(m, new[k]) for k, m in old.items() if k in new]


def _param_key(op: OperationRef, p: Param) -> tuple[str, str]:
    if p.location == "path":
        names = [m.group()[1:-1] for m in _TEMPLATE.finditer(op.path)]
        if p.name in names:
            return ("path", str(names.index(p.name)))
    return (p.location, p.name.lower() if p.location == "header" else p.name)


def _node(doc, file: str, tokens: list[str]) -> Any:
    try:
        return jp.get(doc.files[file].data, jp.join("", *tokens))
    except (KeyError, IndexError, TypeError):
        return None


def _unique(changes: list[SchemaChange]) -> list[SchemaChange]:
    return list({id(c): c for c in changes}.values())
