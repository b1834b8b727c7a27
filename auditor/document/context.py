"""What a rule reads the document through: one normalised model for Swagger 2.0 and OpenAPI 3.x.

Every accessor follows ``$ref`` (across files) and returns the node together with where it
lives (``At``), so a rule reports at the component that holds the problem. Header names and
status keys are normalised (case-insensitive headers, ``4XX`` ranges, ``default``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from auditor.document.document import At, Document, OperationRef

JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json\b|^\*/\*$", re.IGNORECASE)
ERROR_STATUS = re.compile(r"^(?:[45](?:\d\d|XX|xx)|default)$")


# named tuples, not dataclasses: one is built for every parameter, body and response of every
# operation, and a tuple is built in C
class Param(NamedTuple):
    name: str
    location: str  # query | header | path | cookie | body | formData
    node: dict
    at: At
    required: bool
    schema: Any  # the schema (3.x `schema`, 2.0 body `schema`, or the 2.0 param itself)
    schema_at: At


class Response(NamedTuple):
    status: str  # "200", "4XX", "default"
    node: dict
    at: At


class Header(NamedTuple):
    name: str
    node: dict
    at: At


class Media(NamedTuple):
    media_type: str
    schema: Any
    at: At  # where the schema lives (or the media type object when there is none)


@dataclass
class Context:
    """Handed to every rule function. ``options`` holds this rule's effective options."""

    document: Document
    options: dict[str, Any] = field(default_factory=dict)
    public: tuple[str, ...] = ()  # "METHOD /path/glob" or "/path/glob"

    # --- document level -------------------------------------------------------------------------

    @property
    def data(self) -> dict:
        return self.document.data

    @property
    def root(self) -> At:
        return At(self.document.root.name, "")

    @property
    def is_swagger2(self) -> bool:
        return self.document.is_swagger2

    def operations(self) -> Iterator[OperationRef]:
        return iter(self._memo(("operations",), lambda: list(self.document.operations())))

    def _memo(self, key: tuple, compute):
        """Accessor results shared by every rule of one run (a Context is made per rule, the
        Document is shared): each rule walks the same operations, parameters and responses."""
        cache = self.document.memo("context")
        try:
            return cache[key]
        except KeyError:
            value = cache[key] = compute()
            return value

    def warm(self) -> None:
        """Build the per-operation caches nearly every rule reads (parameters, request bodies,
        responses), e.g. before the rules are split over processes that then share them."""
        for op in self.operations():
            self.parameters(op)
            self.request_bodies(op)
            self.responses(op)

    def deref(self, value: Any, at: At) -> tuple[Any, At]:
        return self.document.deref(value, at)

    def is_public(self, op: OperationRef) -> bool:
        for entry in self.public:
            method, _, pattern = entry.partition(" ") if " " in entry else ("", "", entry)
            if method and method.lower() != op.method:
                continue
            if fnmatch.fnmatchcase(op.path, pattern):
                return True
        return False

    # --- operation level ------------------------------------------------------------------------

    def parameters(self, op: OperationRef) -> list[Param]:
        """Path-item and operation parameters merged (operation wins on (name, in))."""
        return list(self._memo(("parameters", op.at), lambda: self._parameters(op)))

    def _parameters(self, op: OperationRef) -> list[Param]:
        merged: dict[tuple[str, str], Param] = {}
        for container, base in ((op.path_item, op.path_item_at), (op.node, op.at)):
            params = container.get("parameters")
            if not isinstance(params, list):
                continue
            for i, raw in enumerate(params):
                node, at = self.deref(raw, base.child("parameters", i))
                if not isinstance(node, dict) or not isinstance(node.get("name"), str):
                    continue
                loc = str(node.get("in", ""))
                if "schema" in node:
                    schema, schema_at = self.deref(node["schema"], at.child("schema"))
                elif isinstance(node.get("content"), dict) and node["content"]:
                    mt, mo = next(iter(node["content"].items()))
                    mo = mo if isinstance(mo, dict) else {}
                    schema, schema_at = self.deref(mo.get("schema", {}), at.child("content", mt, "schema"))
                else:
                    schema, schema_at = node, at
                key = (node["name"].lower() if loc == "header" else node["name"], loc)
                merged[key] = Param(node["name"], loc, node, at, bool(node.get("required")), schema, schema_at)
        return list(merged.values())

    def header_params(self, op: OperationRef) -> dict[str, Param]:
        return {p.name.lower(): p for p in self.parameters(op) if p.location == "header"}

    def request_bodies(self, op: OperationRef) -> list[Media]:
        """Request body schemas per media type (2.0: the body parameter, or formData params)."""
        if self.is_swagger2:
            out = []
            for p in self.parameters(op):
                if p.location == "body":
                    consumes = op.node.get("consumes") or self.data.get("consumes") or ["application/json"]
                    for mt in consumes if isinstance(consumes, list) else ["application/json"]:
                        out.append(Media(str(mt), p.schema, p.schema_at))
            return out
        raw = op.node.get("requestBody")
        if raw is None:
            return []
        body, at = self.deref(raw, op.at.child("requestBody"))
        return self._content(body, at)

    def responses(self, op: OperationRef) -> list[Response]:
        return list(self._memo(("responses", op.at), lambda: self._responses(op)))

    def _responses(self, op: OperationRef) -> list[Response]:
        raw = op.node.get("responses")
        if not isinstance(raw, dict):
            return []
        out = []
        for status, value in raw.items():
            if str(status).startswith("x-"):
                continue
            node, at = self.deref(value, op.at.child("responses", str(status)))
            if isinstance(node, dict):
                out.append(Response(str(status), node, at))
        return out

    def response(self, op: OperationRef, status: str) -> Response | None:
        for r in self.responses(op):
            if r.status.upper() == status.upper():
                return r
        return None

    def response_headers(self, resp: Response) -> dict[str, Header]:
        raw = resp.node.get("headers")
        if not isinstance(raw, dict):
            return {}
        out = {}
        for name, value in raw.items():
            node, at = self.deref(value, resp.at.child("headers", name))
            if isinstance(node, dict):
                out[str(name).lower()] = Header(str(name), node, at)
        return out

    def response_media(self, op: OperationRef, resp: Response) -> list[Media]:
        """Response bodies per media type (2.0: ``schema`` with the effective ``produces``)."""
        if self.is_swagger2:
            if "schema" not in resp.node:
                return []
            produces = op.node.get("produces") or self.data.get("produces") or ["application/json"]
            schema, at = self.deref(resp.node["schema"], resp.at.child("schema"))
            return [Media(str(mt), schema, at) for mt in (produces if isinstance(produces, list) else [])]
        return self._content(resp.node, resp.at)

    def _content(self, node: Any, at: At) -> list[Media]:
        content = node.get("content") if isinstance(node, dict) else None
        if not isinstance(content, dict):
            return []
        out = []
        for mt, mo in content.items():
            mo_at = at.child("content", mt)
            if isinstance(mo, dict) and "schema" in mo:
                schema, s_at = self.deref(mo["schema"], mo_at.child("schema"))
                out.append(Media(str(mt), schema, s_at))
            else:
                out.append(Media(str(mt), None, mo_at))
        return out

    def security(self, op: OperationRef) -> list[dict] | None:
        """The effective security requirements (operation, else root); None when neither sets any."""
        if "security" in op.node:
            sec = op.node["security"]
        else:
            sec = self.data.get("security")
        return sec if isinstance(sec, list) else None

    def security_schemes(self) -> tuple[dict[str, Any], At]:
        if self.is_swagger2:
            return (self.data.get("securityDefinitions") or {}), self.root.child("securityDefinitions")
        comps = self.data.get("components") or {}
        return (comps.get("securitySchemes") or {} if isinstance(comps, dict) else {}), self.root.child("components", "securitySchemes")

    # --- schemas --------------------------------------------------------------------------------

    def merged_schema(self, schema: Any, at: At, _depth: int = 0) -> dict:
        """A schema with ``$ref`` followed and ``allOf`` parts merged (properties and required
        united). ``oneOf``/``anyOf`` are left as they are. Cycle- and depth-safe."""
        schema, at = self.deref(schema, at)
        if not isinstance(schema, dict) or _depth > 16:
            return {}
        if "allOf" not in schema or not isinstance(schema["allOf"], list):
            return schema
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        props = dict(merged.get("properties") or {})
        required = list(merged.get("required") or [])
        for i, part in enumerate(schema["allOf"]):
            sub = self.merged_schema(part, at.child("allOf", i), _depth + 1)
            props.update({k: v for k, v in (sub.get("properties") or {}).items() if k not in props})
            required.extend(r for r in (sub.get("required") or []) if r not in required)
            for k, v in sub.items():
                if k not in ("properties", "required"):
                    merged.setdefault(k, v)
        if props:
            merged["properties"] = props
        if required:
            merged["required"] = required
        return merged

    def walk_schema(self, schema: Any, at: At, *, max_nodes: int = 10_000) -> Iterator[tuple[dict, At]]:
        """Every sub-schema (properties, items, additionalProperties, compositions), each once,
        with ``$ref`` followed and a cycle guard: recursive schemas are fine."""
        seen: set[At] = set()
        stack = [(schema, at)]
        count = 0
        while stack and count < max_nodes:
            node, node_at = stack.pop()
            node, node_at = self.deref(node, node_at)
            if not isinstance(node, dict) or node_at in seen:
                continue
            seen.add(node_at)
            count += 1
            yield node, node_at
            props = node.get("properties")
            if isinstance(props, dict):
                for name, sub in props.items():
                    stack.append((sub, node_at.child("properties", name)))
            for key in ("items", "additionalProperties", "not", "contains", "propertyNames"):
                sub = node.get(key)
                if isinstance(sub, dict):
                    stack.append((sub, node_at.child(key)))
            for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
                subs = node.get(key)
                if isinstance(subs, list):
                    stack.extend((s, node_at.child(key, i)) for i, s in enumerate(subs))


def is_json(media_type: str) -> bool:
    return bool(JSON_MEDIA.match(media_type.strip()))


def is_error_status(status: str) -> bool:
    return bool(ERROR_STATUS.match(status))


def schema_types(schema: dict) -> set[str]:
    t = schema.get("type")
    if isinstance(t, list):
        return {str(x) for x in t}
    if isinstance(t, str):
        return {t}
    return set()


def server_url(server: dict) -> str:
    """A Server Object's URL with each ``{variable}`` replaced by its default (or nothing)."""
    url = str(server.get("url", ""))
    variables = server.get("variables")
    for name, var in variables.items() if isinstance(variables, dict) else ():
        default = var.get("default") if isinstance(var, dict) else None
        url = url.replace("{" + str(name) + "}", str(default if default is not None else ""))
    return url


def split_url(url: str):
    """``urllib.parse.urlsplit`` that answers None for text that is not a URL (``http://[/``)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        parts.hostname  # noqa: B018 - raises ValueError on a malformed netloc
        return parts
    except ValueError:
        return None
