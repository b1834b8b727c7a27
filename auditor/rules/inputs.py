"""inputs/: what a client may send is described and bounded, so the server can fail fast.

Decisions:

- Only the request side is checked: request bodies and parameters. Response schemas stay open
  for extension (Zalando #111) and their sizes are the server's business.
- A schema is read with its ``allOf`` parts merged (a ``maxLength`` in one part bounds the
  string), ``$ref`` followed, ``readOnly`` properties skipped (they are not sent), and each
  ``oneOf``/``anyOf`` branch checked on its own.
- A problem in a shared component is reported once, at the component (the engine merges the
  same place and message and lists the operations).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from auditor.document import pointer as jp
from auditor.document.context import Context, is_json, schema_types
from auditor.document.document import At, OperationRef
from auditor.rules.registry import Option, Violation, rule

BOUNDED_FORMATS = ["date", "date-time", "time", "full-date", "uuid", "ipv4", "ipv6", "byte", "binary"]
UNBOUNDED_QUANTIFIER = re.compile(r"(?<!\\)[*+]|\{\d*,\}")
STRUCTURED_MEDIA = re.compile(r"^(application/(x-www-form-urlencoded|xml)|multipart/|text/xml)|[+/]xml\b", re.IGNORECASE)


# --- reading request-side schemas ---------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """One request-side schema with its ``allOf`` parts (``parts[0]`` is the schema itself)."""

    parts: tuple[tuple[dict, At], ...]
    at: At

    def get(self, key: str, default: Any = None) -> Any:
        for part, _ in self.parts:
            if key in part:
                return part[key]
        return default

    def has(self, key: str) -> bool:
        return any(key in part for part, _ in self.parts)

    @cached_property  # nodes are cached per document and read by every inputs/ rule, per operation
    def types(self) -> frozenset[str]:
        for part, _ in self.parts:
            t = schema_types(part)
            if t:
                return frozenset(t)
        if self.has("properties") or isinstance(self.get("additionalProperties"), dict):
            return frozenset({"object"})
        if self.has("items"):
            return frozenset({"array"})
        return frozenset()

    @property
    def properties(self) -> set[str]:
        out: set[str] = set()
        for part, _ in self.parts:
            if isinstance(part.get("properties"), dict):
                out.update(map(str, part["properties"]))
        return out

    @property
    def enumerated(self) -> bool:
        return self.has("enum") or self.has("const")


def _parts(ctx: Context, schema: Any, at: At, depth: int = 0) -> list[tuple[dict, At]]:
    schema, at = ctx.deref(schema, at)
    if not isinstance(schema, dict) or depth > 16:
        return []
    out = [(schema, at)]
    subs = schema.get("allOf")
    if isinstance(subs, list):
        for i, sub in enumerate(subs):
            out += _parts(ctx, sub, at.child("allOf", i), depth + 1)
    return out


def walk(ctx: Context, schema: Any, at: At) -> Iterator[Node]:
    """Every sub-schema reachable from a request schema, each once, ``allOf`` merged."""
    seen: set[At] = set()
    stack = [(schema, at)]
    while stack and len(seen) < 10_000:
        raw, raw_at = stack.pop()
        node, children = _expand(ctx, raw, raw_at)
        if node is None or node.at in seen:
            continue
        seen.add(node.at)
        if children is None:  # readOnly: not sent
            continue
        yield node
        stack.extend(children)


def _expand(ctx: Context, raw: Any, raw_at: At) -> tuple[Node | None, list[tuple[Any, At]] | None]:
    """The node written at ``raw_at`` and the sub-schemas it leads to, worked out once per
    document: the same components are reached from thousands of request schemas."""
    cache: dict[At, tuple] = ctx.document.memo("inputs/expand-cache")
    hit = cache.get(raw_at)
    if hit is not None:
        return hit
    parts = _parts(ctx, raw, raw_at)
    if not parts:
        hit = (None, None)
    else:
        node = Node(tuple(parts), parts[0][1])
        children: list[tuple[Any, At]] | None = None
        if node.get("readOnly") is not True:
            children = []
            for part, part_at in parts:
                props = part.get("properties")
                if isinstance(props, dict):
                    children.extend((sub, part_at.child("properties", name)) for name, sub in props.items())
                for key in ("items", "additionalProperties", "unevaluatedProperties"):
                    if isinstance(part.get(key), dict):
                        children.append((part[key], part_at.child(key)))
                for key in ("anyOf", "oneOf", "prefixItems"):
                    if isinstance(part.get(key), list):
                        children.extend((s, part_at.child(key, i)) for i, s in enumerate(part[key]))
        hit = (node, children)
    cache[raw_at] = hit
    return hit


def walk_cached(ctx: Context, schema: Any, at: At) -> list[Node]:
    """``walk`` once per schema location and document: every inputs/ rule and every operation
    that shares a component reuses the result (large specs reuse one body schema many times)."""
    by_place: dict[At, list[Node]] = ctx.document.memo("inputs/walk-places")
    nodes = by_place.get(at)  # where the schema is written (a $ref site, or the schema itself)
    if nodes is None:
        cache: dict[At, list[Node]] = ctx.document.memo("inputs/walk-cache")
        key = ctx.deref(schema, at)[1]  # where it leads
        nodes = cache.get(key)
        if nodes is None:
            nodes = cache[key] = list(walk(ctx, schema, at))
        by_place[at] = nodes
    return nodes


def request_nodes(ctx: Context, *, params: bool = True) -> list[tuple[Node, tuple[OperationRef, ...]]]:
    """Every request-side schema node once, with the operations that use it: bodies (every
    media type) and, with ``params``, parameters (Swagger 2.0 non-body parameters are schemas
    themselves). Cached per document: large specs share a few body schemas among thousands of
    operations."""
    return _groups(ctx, False)["all" if params else "bodies"]


def _groups(ctx: Context, check_params: bool) -> dict[str, list[tuple[Node, tuple[OperationRef, ...]]]]:
    """The three groupings the inputs/ rules read, in one pass over operations and schemas:
    "all" (bodies and parameters), "bodies", and "size" (bodies, form fields, and with
    ``check_params`` query, header and cookie parameters). Each lists a node with its
    operations in document order, nodes in the order the grouping first reaches them."""
    cache: dict[tuple, dict] = ctx.document.memo("inputs/groups")
    key = ("groups", check_params)
    if key not in cache:
        sized = {"formData"} | ({"query", "header", "cookie"} if check_params else set())
        entries: dict[At, list] = {}  # node.at -> [node, ops of "all", of "bodies", of "size"]
        orders: tuple[list, list, list, list] = ([], [], [], [])
        for op in ctx.operations():
            roots: list[tuple[Any, At, tuple[int, ...]]] = [(m.schema, m.at, (1, 2, 3)) for m in ctx.request_bodies(op) if m.schema is not None]
            roots += [(p.schema, p.schema_at, (1, 3) if p.location in sized else (1,)) for p in ctx.parameters(op) if p.location != "body"]
            for schema, at, slots in roots:
                for node in walk_cached(ctx, schema, at):
                    entry = entries.get(node.at)
                    if entry is None:
                        entry = entries[node.at] = [node, [], [], []]
                    for slot in slots:
                        ops = entry[slot]
                        if not ops:
                            orders[slot].append(entry)
                            ops.append(op)
                        elif ops[-1] is not op:
                            ops.append(op)
        cache[key] = {name: [(e[0], tuple(e[slot])) for e in orders[slot]] for name, slot in (("all", 1), ("bodies", 2), ("size", 3))}
    return cache[key]


def label(ctx: Context, node: Node) -> str:
    """A short name for messages, derived from where the node lives (stable across operations)."""
    cache: dict[At, str] = ctx.document.memo("inputs/label-cache")
    if node.at not in cache:
        cache[node.at] = _label(ctx, node)
    return cache[node.at]


def _label(ctx: Context, node: Node) -> str:
    schema = node.parts[0][0]
    if isinstance(schema.get("name"), str) and "in" in schema:
        return f"parameter {schema['name']!r}"
    tokens = jp.split(node.at.pointer)
    suffix = ""
    while tokens:
        if tokens[-1] in ("items", "schema", "additionalProperties"):
            suffix = {"items": "[]", "additionalProperties": "{}"}.get(tokens[-1], "") + suffix
            tokens = tokens[:-1]
        elif len(tokens) >= 2 and tokens[-1].isdigit() and tokens[-2] in ("oneOf", "anyOf", "prefixItems"):
            tokens = tokens[:-2]
        else:
            break
    if len(tokens) >= 2 and tokens[-2] in ("properties", "schemas", "definitions"):
        kind = "property" if tokens[-2] == "properties" else "schema"
        return f"{kind} {tokens[-1] + suffix!r}"
    if len(tokens) >= 2 and tokens[-2] == "parameters":
        f = ctx.document.files.get(node.at.file)
        param = jp.get(f.data, jp.from_tokens(tokens), None) if f is not None else None
        if isinstance(param, dict) and param.get("in") == "body":
            return "request body" + (f" {suffix!r}" if suffix else "")
        if isinstance(param, dict) and isinstance(param.get("name"), str):
            return f"parameter {param['name'] + suffix!r}"
    return "request schema" + (f" {suffix!r}" if suffix else "")


_PARAMS_OPTION = Option(
    "check-parameters",
    bool,
    False,
    "also check query, header and cookie parameters (bounded by the server's URL and header size limits otherwise)",
)


# --- rules --------------------------------------------------------------------------------------


@rule(
    "inputs/request-schemas-defined",
    severity="error",
    summary="Every request body and parameter has a non-empty schema",
    hint="describe what the operation accepts: a schema with types, required properties and bounds",
)
def request_schemas_defined(ctx: Context):
    """
    What it checks: every request body media type that carries structured data (JSON, `+json`,
    XML, form and multipart) has a schema, and that schema is not empty (`{}` accepts anything);
    every OpenAPI 3.x parameter schema is not empty. Binary and opaque media types
    (`application/octet-stream`, `image/*`, `text/plain`, `*/*`) may omit the schema: their
    content is not described by JSON Schema. Missing parameter schemas are invalid OpenAPI and
    are reported by `contract/spec-valid`.

    Why it matters: the request schema is what lets the server reject bad input before it
    reaches business logic, and what lets clients and fuzzers build valid requests.

    Bad:
        requestBody:
          content:
            application/json: {}

    Good:
        requestBody:
          content:
            application/json:
              schema: {$ref: "#/components/schemas/NewOrder"}

    Fix: write the schema (even a small one) and reference it.
    """
    for op in ctx.operations():
        for media in ctx.request_bodies(op):
            structured = (is_json(media.media_type) and media.media_type.strip() != "*/*") or STRUCTURED_MEDIA.search(media.media_type)
            if not structured:
                continue
            if media.schema is None:
                yield Violation(
                    f"request body {media.media_type!r} has no schema",
                    media.at,
                    operation=op,
                )
            elif _literally_empty(ctx, media.schema, media.at):
                yield Violation("request body schema is empty: it accepts anything", media.at, operation=op)
        if ctx.is_swagger2:
            continue
        for p in ctx.parameters(op):
            if "schema" in p.node and _literally_empty(ctx, p.schema, p.schema_at):
                yield Violation(f"parameter {p.name!r} has an empty schema", p.schema_at, operation=op)


def _literally_empty(ctx: Context, schema: Any, at: At) -> bool:
    """``{}`` as written (an unresolvable ``$ref`` also yields ``{}``: that is contract/ref-*'s)."""
    if not isinstance(schema, dict) or schema:
        return False
    f = ctx.document.files.get(at.file)
    raw = jp.get(f.data, at.pointer, None) if f is not None else None
    return isinstance(raw, dict) and "$ref" not in raw


def _anchored_finite(pattern: Any) -> bool:
    return isinstance(pattern, str) and pattern.startswith("^") and pattern.endswith("$") and not UNBOUNDED_QUANTIFIER.search(pattern)


@rule(
    "inputs/string-bounded",
    severity="warn",
    summary="Strings the client sends have a maximum length",
    hint="add maxLength (or an enum, a const, or a bounded format such as uuid or date-time)",
    options=[
        Option("bounded-formats", list, BOUNDED_FORMATS, "formats that bound a string by themselves (binary/byte are size-limited elsewhere)"),
        _PARAMS_OPTION,
    ],
    heavy=True,
)
def string_bounded(ctx: Context):
    """
    What it checks: every string in a request body or a Swagger 2.0 form parameter (3.1: a
    `type` list containing `string`) has `maxLength`, an `enum`, a `const`, a
    bounded `format` (`date`, `date-time`, `time`, `uuid`, `ipv4`, `ipv6`; option
    `bounded-formats`), or an anchored `pattern` with no unbounded quantifier (`^[A-Z]{3}$`).
    Binary uploads (`format: binary`/`byte`) are skipped: their size is limited by the server's
    body limit, not by the schema. Query, header and cookie parameters are checked only with
    the option `check-parameters` (on in the strict pack): the server's URL and header size
    limits (414, 431) already bound them. Path parameters are never checked. `allOf` parts are
    merged; `readOnly` properties are skipped.

    Why it matters: an unbounded string is a free memory, CPU and storage budget for any client
    (OWASP API4); a documented limit lets the server reject early and clients validate early.

    Bad:
        NewUser:
          properties:
            name: {type: string}

    Good:
        NewUser:
          properties:
            name: {type: string, maxLength: 200}
            id: {type: string, format: uuid}

    Fix: add the limit your storage or business rule already has.
    """
    formats = set(ctx.options.get("bounded-formats", BOUNDED_FORMATS))
    for node, ops in _size_nodes(ctx):
        if "string" not in node.types or node.types & {"object", "array"}:
            continue
        if node.has("maxLength") or node.enumerated or node.get("format") in formats:
            continue
        if _anchored_finite(node.get("pattern")):
            continue
        yield Violation(f"string {label(ctx, node)} has no maxLength", node.at, operations=ops)


def _size_nodes(ctx: Context) -> list[tuple[Node, tuple[OperationRef, ...]]]:
    """Request nodes whose size matters: bodies and form fields; query, header and cookie
    parameters only with the option ``check-parameters`` (the server's URL and header size
    limits already bound them); path parameters never."""
    return _groups(ctx, bool(ctx.options.get("check-parameters", False)))["size"]


@rule(
    "inputs/array-bounded",
    severity="warn",
    summary="Arrays the client sends have a maximum number of items",
    hint="add maxItems",
    options=[_PARAMS_OPTION],
    heavy=True,
)
def array_bounded(ctx: Context):
    """
    What it checks: every array in a request body or a Swagger 2.0 form parameter has
    `maxItems` (or an `enum`/`const`); query, header and cookie arrays (2.0 `collectionFormat`)
    only with the option `check-parameters` (on in the strict pack), as for strings. `allOf`
    parts are merged; `readOnly` properties are skipped.

    Why it matters: an unbounded array turns one request into unbounded work: a batch of a
    million ids, a query with ten thousand filters (OWASP API4).

    Bad:
        ids: {type: array, items: {type: string, format: uuid}}

    Good:
        ids: {type: array, maxItems: 100, items: {type: string, format: uuid}}

    Fix: add the largest batch the server is designed to handle.
    """
    for node, ops in _size_nodes(ctx):
        if node.types != {"array"} or node.has("maxItems") or node.enumerated:
            continue
        yield Violation(f"array {label(ctx, node)} has no maxItems", node.at, operations=ops)


@rule(
    "inputs/number-bounded",
    severity="warn",
    summary="Numbers the client sends have a minimum and a maximum",
    hint="add minimum and maximum (or exclusiveMinimum/exclusiveMaximum, or an enum)",
    heavy=True,
)
def number_bounded(ctx: Context):
    """
    What it checks: every `integer` or `number` in a request body or parameter has a lower
    bound (`minimum` or a numeric 3.1 `exclusiveMinimum`) and an upper bound (`maximum` or
    `exclusiveMaximum`), or an `enum`/`const`. `format: int32`/`int64` does not count: it says
    how the number is stored, not which values make sense (a quantity of -2147483648 is
    still accepted). `allOf` parts are merged; `readOnly` properties are skipped.

    Why it matters: unbounded numbers reach business logic as negative quantities, page sizes
    of a billion, or timeouts of a year (OWASP API4).

    Bad:
        quantity: {type: integer}
        limit: {name: limit, in: query, schema: {type: integer}}

    Good:
        quantity: {type: integer, minimum: 1, maximum: 1000}
        limit: {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}

    Fix: add the range the operation actually supports.
    """
    for node, ops in request_nodes(ctx):
        if not node.types & {"integer", "number"} or not node.types <= {"integer", "number", "null"} or node.enumerated:
            continue
        low = node.has("minimum") or isinstance(node.get("exclusiveMinimum"), (int, float)) and not isinstance(node.get("exclusiveMinimum"), bool)
        high = node.has("maximum") or isinstance(node.get("exclusiveMaximum"), (int, float)) and not isinstance(node.get("exclusiveMaximum"), bool)
        missing = [name for name, ok in (("minimum", low), ("maximum", high)) if not ok]
        if missing:
            kind = "integer" if "integer" in node.types else "number"
            yield Violation(f"{kind} {label(ctx, node)} has no {' or '.join(missing)}", node.at, operations=ops)


@rule(
    "inputs/closed-request-objects",
    severity="warn",
    summary="Request objects reject unknown properties; maps are bounded",
    hint="add `additionalProperties: false` (3.1 with allOf: `unevaluatedProperties: false`); give maps a maxProperties",
    heavy=True,
)
def closed_request_objects(ctx: Context):
    """
    What it checks: every object in a request body (not parameters, not responses):
    - with `properties`: has `additionalProperties: false` or `unevaluatedProperties: false`;
    - used as a map (`additionalProperties: <schema>` or `true`): has `maxProperties`;
    - with neither (`type: object` alone, a free-form object): is reported as accepting anything.
    Composition is handled: an object built with `allOf` is closed by `unevaluatedProperties:
    false` on the composing schema (OpenAPI 3.1). In 3.0 such an object cannot be closed
    without flattening it, so it is not reported as open; but an `allOf` part carrying
    `additionalProperties: false` while its siblings add properties IS reported: in JSON Schema
    that part rejects the siblings' properties, so valid requests fail (OAI #2478). Objects
    with `oneOf`/`anyOf` are judged through their branches; `readOnly` properties are skipped.

    Why it matters: an open request object is how mass assignment happens (OWASP API3): a
    client adds `"role": "admin"` and a framework binds it. A typo'd field silently ignored is
    the friendlier version of the same problem. Some guidelines (Zalando #111) prefer open
    schemas for compatibility, so the recommended pack reports this as info; strict as warn.

    Bad:
        NewUser:
          type: object
          properties: {name: {type: string, maxLength: 100}}
        Labels: {type: object, additionalProperties: {type: string}}

    Good:
        NewUser:
          type: object
          additionalProperties: false
          properties: {name: {type: string, maxLength: 100}}
        Labels: {type: object, maxProperties: 50, additionalProperties: {type: string, maxLength: 64}}

    Fix: close the object, or bound the map; in 3.1 use `unevaluatedProperties: false` with allOf.
    """
    oas31 = not ctx.is_swagger2 and str(ctx.data.get("openapi", "")).startswith(("3.1", "3.2"))
    for node, ops in request_nodes(ctx, params=False):
        if "object" not in node.types or node.has("oneOf") or node.has("anyOf"):
            continue
        props = node.properties
        composed = len(node.parts) > 1
        if composed:
            for part, part_at in node.parts:
                own = set(part.get("properties") or {})
                if part.get("additionalProperties") is False and props - own:
                    yield Violation(
                        "`additionalProperties: false` in an allOf part rejects the properties the other parts add",
                        part_at.child("additionalProperties"),
                        hint="remove it from the part; close the composed schema with `unevaluatedProperties: false` (3.1) or flatten it",
                        operations=ops,
                    )
        head = node.parts[0][0]
        if head.get("unevaluatedProperties") is False or (not composed and node.get("additionalProperties") is False):
            continue
        if composed:
            if oas31 and props:
                yield Violation(
                    f"composed object {label(ctx, node)} accepts unknown properties",
                    node.at,
                    hint="add `unevaluatedProperties: false` to the schema that holds the allOf",
                    operations=ops,
                )
            continue
        extra = node.get("additionalProperties")
        if extra is not None and extra is not False:
            if not node.has("maxProperties"):
                yield Violation(f"map {label(ctx, node)} has no maxProperties", node.at, operations=ops)
        elif props:
            yield Violation(f"object {label(ctx, node)} accepts unknown properties", node.at, operations=ops)
        else:
            yield Violation(f"free-form object {label(ctx, node)} accepts any property", node.at, operations=ops)
