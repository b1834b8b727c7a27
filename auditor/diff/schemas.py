"""Two versions of a schema compared after resolution.

``$ref``s are followed and ``allOf`` parts merged before anything is compared, so moving a
schema into components, renaming a component or splitting it with ``allOf`` is no change when
it resolves to the same thing. ``SchemaDiff.changes(old, old_at, new, new_at)`` lists the raw
differences anywhere under a pair of schemas, whatever the direction; the diff rules decide
which of them break a client (a removed enum value breaks a request, an added one a response).

The pairs of nodes (old, new) form a graph: properties pair by name, ``items`` with ``items``,
``oneOf``/``anyOf`` variants by their ``$ref`` or position. Recursive schemas make it cyclic,
and large APIs (Stripe's expandable objects) make most of it one strongly connected component
that every operation reaches. So the graph is walked once, iteratively (Tarjan), and each
component of it keeps the changes found in it or below it: an operation's changes are then one
lookup, not a walk.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from auditor.document.document import At, Document

MAX_PAIRS = 500_000  # pairs of nodes compared in one diff; beyond it the rest is not compared (said in stats)
MAX_ALLOF_DEPTH = 16
# keywords that narrow what a value may be, compared one by one
BOUNDS = (
    "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength", "maxItems",
    "minItems", "maxProperties", "minProperties", "pattern", "multipleOf", "uniqueItems",
)  # fmt: skip

Pair = tuple[At, At]


class SchemaChange(NamedTuple):
    """One difference between two resolved schemas. ``kind``: ``type`` (types or format),
    ``enum`` (allowed values; ``None`` = any), ``bound`` (``key`` is the keyword, including
    ``additionalProperties`` as allowed or not), ``required`` (``key`` is the property;
    before/after: required or not; ``declared_before``/``declared_after``: whether each schema
    declares the property). ``old_at``/``new_at``: the nodes (for ``required``, the property
    where it is declared, else the object)."""

    kind: str
    key: str
    before: Any
    after: Any
    old_at: At
    new_at: At
    declared_before: bool = True
    declared_after: bool = True
    read_only: bool = False  # the new node is readOnly: clients do not send it
    write_only: bool = False  # the old node was writeOnly: clients never received it


class Flat(NamedTuple):
    """A schema with ``$ref`` followed and ``allOf`` folded in: its keywords (a keyword is read
    from the first node that has it, the schema itself before its ``allOf`` parts), its
    properties (each with the node that declares it) and the names it requires."""

    at: At
    keywords: dict[str, Any]  # the node itself when it has no allOf (most do): no copy
    owners: dict[str, At] | None  # where each keyword is written, when parts were merged
    props: dict[str, tuple[Any, At]]
    required: frozenset[str]

    def get(self, key: str) -> Any:
        return self.keywords.get(key)

    def keyword_at(self, key: str) -> At:
        """Where a keyword is written."""
        return (self.owners[key] if self.owners is not None else self.at).child(key)

    def prop_at(self, name: str) -> At:
        return self.props[name][1].child("properties", name)

    def types(self) -> frozenset[str]:
        """Explicit types, else what the keywords imply (properties: object, items: array);
        ``null`` added for OpenAPI 3.0 ``nullable``. Empty: any type."""
        raw = self.get("type")
        types = {str(t) for t in raw} if isinstance(raw, list) else {raw} if isinstance(raw, str) else set()
        if not types:
            if self.props or isinstance(self.get("additionalProperties"), dict):
                types = {"object"}
            elif self.get("items") is not None:
                types = {"array"}
        if types and self.get("nullable") is True:
            types.add("null")
        return frozenset(types)

    def enum(self) -> list | None:
        if "const" in self.keywords:
            return [self.get("const")]
        values = self.get("enum")
        return values if isinstance(values, list) else None

    def allows_more(self) -> bool:
        """Whether properties beyond the declared ones are accepted."""
        return self.get("additionalProperties") is not False and self.get("unevaluatedProperties") is not False


def type_label(types: frozenset[str] | set[str], fmt: Any) -> str:
    text = " | ".join(sorted(types)) or "any"
    return f"{text} ({fmt})" if fmt is not None else text


class SchemaDiff:
    """The comparison of schemas between two documents, shared by every rule of one diff."""

    def __init__(self, old: Document, new: Document) -> None:
        self.old = old
        self.new = new
        self.truncated = False
        self._flat: dict[tuple[bool, At], Flat] = {}
        self._expanded: dict[Pair, tuple[list[SchemaChange], list[Pair]]] = {}
        self._below: dict[Pair, tuple[SchemaChange, ...]] = {}
        self._nodes: dict[Pair, tuple[dict, dict]] = {}

    def changes(self, old: Any, old_at: At, new: Any, new_at: At) -> tuple[SchemaChange, ...]:
        """Every difference under the pair of schemas (each once)."""
        o, o_at = self.old.deref(old, old_at)
        n, n_at = self.new.deref(new, new_at)
        if not isinstance(o, dict) or not isinstance(n, dict):
            return ()
        key = (o_at, n_at)
        self._nodes.setdefault(key, (o, n))
        if key not in self._below:
            self._walk(key)
        return self._below[key]

    # --- one pair of nodes ------------------------------------------------------------------------

    def _flatten(self, in_old: bool, node: dict, at: At) -> Flat:
        cached = self._flat.get((in_old, at))
        if cached is not None:
            return cached
        doc = self.old if in_old else self.new
        if "allOf" not in node:  # most schemas: the node is the flat schema
            props = {str(k): (v, at) for k, v in node["properties"].items()} if isinstance(node.get("properties"), dict) else {}
            names = node.get("required")
            required = frozenset(r for r in names if isinstance(r, str)) if isinstance(names, list) else frozenset()
            flat = self._flat[(in_old, at)] = Flat(at, node, None, props, required)
            return flat
        keywords: dict[str, Any] = {}
        owners: dict[str, At] = {}
        props = {}
        merged: set[str] = set()
        seen: set[At] = set()
        stack: list[tuple[Any, At, int]] = [(node, at, 0)]
        while stack:
            part, part_at, depth = stack.pop()
            part, part_at = doc.deref(part, part_at)
            if not isinstance(part, dict) or part_at in seen or depth > MAX_ALLOF_DEPTH:
                continue
            seen.add(part_at)
            for k, v in part.items():
                if k not in keywords:
                    keywords[k] = v
                    owners[k] = part_at
            declared = part.get("properties")
            if isinstance(declared, dict):
                for name, sub in declared.items():
                    props.setdefault(str(name), (sub, part_at))
            names = part.get("required")
            if isinstance(names, list):
                merged.update(r for r in names if isinstance(r, str))
            subs = part.get("allOf")
            if isinstance(subs, list):
                stack.extend((p, part_at.child("allOf", i), depth + 1) for i, p in reversed(list(enumerate(subs))))
        keywords.pop("allOf", None)
        flat = self._flat[(in_old, at)] = Flat(at, keywords, owners, props, frozenset(merged))
        return flat

    def _expand(self, key: Pair) -> tuple[list[SchemaChange], list[Pair]]:
        """The changes of one pair of nodes and the pairs below it."""
        done = self._expanded.get(key)
        if done is not None:
            return done
        if len(self._expanded) >= MAX_PAIRS:
            self.truncated = True
            return [], []
        o_node, n_node = self._nodes[key]
        o = self._flatten(True, o_node, key[0])
        n = self._flatten(False, n_node, key[1])
        local = self._local(o, n)
        below: list[Pair] = []
        for o_sub, o_sub_at, n_sub, n_sub_at in self._children(o, n):
            o_res, o_res_at = self.old.deref(o_sub, o_sub_at)
            n_res, n_res_at = self.new.deref(n_sub, n_sub_at)
            if isinstance(o_res, dict) and isinstance(n_res, dict):
                pair = (o_res_at, n_res_at)
                self._nodes.setdefault(pair, (o_res, n_res))
                below.append(pair)
        done = self._expanded[key] = (local, below)
        return done

    def _local(self, o: Flat, n: Flat) -> list[SchemaChange]:
        out: list[SchemaChange] = []
        o_types, n_types = o.types(), n.types()
        o_fmt, n_fmt = o.get("format"), n.get("format")
        if (o_types and n_types and o_types != n_types) or (o_fmt is not None and n_fmt is not None and o_fmt != n_fmt):
            out.append(
                SchemaChange("type", "type", (o_types, o_fmt), (n_types, n_fmt), o.at, n.at, read_only=_flag(n, "readOnly"), write_only=_flag(o, "writeOnly"))
            )
        o_enum, n_enum = o.enum(), n.enum()
        if o_enum != n_enum and ((o_enum is None) != (n_enum is None) or _value_set(o_enum or []) != _value_set(n_enum or [])):
            out.append(SchemaChange("enum", "enum", o_enum, n_enum, o.at, n.at, read_only=_flag(n, "readOnly"), write_only=_flag(o, "writeOnly")))
        o_kw, n_kw = o.keywords, n.keywords
        for key in BOUNDS:
            before, after = o_kw.get(key), n_kw.get(key)
            if before != after:
                out.append(SchemaChange("bound", key, before, after, o.at, n.at, read_only=_flag(n, "readOnly")))
        if o.allows_more() != n.allows_more():
            out.append(SchemaChange("bound", "additionalProperties", o.allows_more(), n.allows_more(), o.at, n.at, read_only=_flag(n, "readOnly")))
        objects = (not o_types or "object" in o_types) and (not n_types or "object" in n_types)
        for name in sorted(o.required ^ n.required) if objects else ():  # an object that became an array: the type change says it
            o_prop, n_prop = o.props.get(name), n.props.get(name)
            out.append(
                SchemaChange(
                    "required",
                    name,
                    name in o.required,
                    name in n.required,
                    o.prop_at(name) if o_prop else o.at,
                    n.prop_at(name) if n_prop else n.at,
                    declared_before=o_prop is not None,
                    declared_after=n_prop is not None,
                    read_only=n_prop is not None and self._prop_flag(False, n_prop[0], n.prop_at(name), "readOnly"),
                    write_only=o_prop is not None and self._prop_flag(True, o_prop[0], o.prop_at(name), "writeOnly"),
                )
            )
        return out

    def _prop_flag(self, in_old: bool, prop: Any, at: At, flag: str) -> bool:
        node, _ = (self.old if in_old else self.new).deref(prop, at)
        return isinstance(node, dict) and node.get(flag) is True

    def _children(self, o: Flat, n: Flat):
        for name, (o_sub, _) in o.props.items():
            n_prop = n.props.get(name)
            if n_prop is not None:
                yield o_sub, o.prop_at(name), n_prop[0], n.prop_at(name)
        o_kw, n_kw = o.keywords, n.keywords
        for key in ("items", "additionalProperties", "not", "contains", "propertyNames"):
            if isinstance(o_kw.get(key), dict) and isinstance(n_kw.get(key), dict):
                yield o_kw[key], o.keyword_at(key), n_kw[key], n.keyword_at(key)
        for key in ("oneOf", "anyOf", "prefixItems"):
            o_subs, n_subs = o_kw.get(key), n_kw.get(key)
            if isinstance(o_subs, list) and isinstance(n_subs, list):
                o_at, n_at = o.keyword_at(key), n.keyword_at(key)
                for i, j in _variant_pairs(o_subs, n_subs, by_position=key == "prefixItems"):
                    yield o_subs[i], o_at.child(i), n_subs[j], n_at.child(j)

    # --- the graph of pairs -------------------------------------------------------------------------

    def _walk(self, root: Pair) -> None:
        """Tarjan's strongly connected components over the pairs reachable from ``root``,
        iteratively (schemas nest deeper than Python's recursion limit): each component gets
        the changes found in it and in every component below it."""
        index: dict[Pair, int] = {root: 0}
        low: dict[Pair, int] = {root: 0}
        gathered: dict[Pair, dict[int, SchemaChange]] = {root: _by_id(self._expand(root)[0])}
        stack: list[Pair] = [root]
        on_stack: set[Pair] = {root}
        work = [(root, iter(self._expand(root)[1]))]
        while work:
            node, pending = work[-1]
            descended = False
            for child in pending:
                if child in self._below:  # a component finished earlier
                    gathered[node].update(_by_id(self._below[child]))
                elif child not in index:
                    index[child] = low[child] = len(index)
                    gathered[child] = _by_id(self._expand(child)[0])
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(self._expand(child)[1])))
                    descended = True
                    break
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
            if descended:
                continue
            work.pop()
            if low[node] == index[node]:  # node roots a component: everything above it on the stack
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                found: dict[int, SchemaChange] = {}
                for member in members:
                    found.update(gathered.pop(member))
                result = tuple(found.values())
                for member in members:
                    self._below[member] = result
                if work:
                    gathered[work[-1][0]].update(found)
            elif work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])


def _by_id(changes) -> dict[int, SchemaChange]:
    """Changes keyed by identity (each is made once, for its pair of nodes; enum values are
    lists, so the tuples themselves do not hash)."""
    return {id(c): c for c in changes}


def _flag(flat: Flat, name: str) -> bool:
    return flat.get(name) is True


def _value_set(values: list) -> set[str]:
    return {value_key(v) for v in values}


def value_key(value: Any) -> str:
    """A comparable key for an enum value of any JSON type (1 and 1.0 and true kept apart)."""
    return json.dumps(value, sort_keys=True, default=str) + type(value).__name__


def _variant_pairs(old: list, new: list, *, by_position: bool):
    """Indices of ``oneOf``/``anyOf`` variants that correspond: the same ``$ref``, then the same
    ``type`` (variants are often reordered), then the rest by position when as many remain on
    both sides (``prefixItems``: by position only)."""
    if by_position:
        yield from ((i, i) for i in range(min(len(old), len(new))))
        return
    rest_old, rest_new = list(range(len(old))), list(range(len(new)))
    for key in (_ref_of, _type_of):
        old_keys, new_keys = _indices(old, rest_old, key), _indices(new, rest_new, key)
        for k, at_old in old_keys.items():
            at_new = new_keys.get(k)
            if len(at_old) == 1 and at_new is not None and len(at_new) == 1:
                rest_old.remove(at_old[0])
                rest_new.remove(at_new[0])
                yield at_old[0], at_new[0]
    if len(rest_old) == len(rest_new):
        yield from zip(rest_old, rest_new)


def _indices(variants: list, among: list[int], key) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i in among:
        k = key(variants[i])
        if k is not None:
            out.setdefault(k, []).append(i)
    return out


def _ref_of(variant: Any) -> str | None:
    return variant["$ref"] if isinstance(variant, dict) and isinstance(variant.get("$ref"), str) else None


def _type_of(variant: Any) -> str | None:
    t = variant.get("type") if isinstance(variant, dict) and "$ref" not in variant else None
    return t if isinstance(t, str) else "|".join(sorted(map(str, t))) if isinstance(t, list) else None
