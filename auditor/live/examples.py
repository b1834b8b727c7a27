"""One valid value per schema, for the requests the audit sends on purpose (probes and the
sampling pass): the document's own example, default, enum or const first, else the smallest
value the constraints allow. Deterministic: the same document gives the same requests."""

from __future__ import annotations

from typing import Any

from auditor.document.context import Context, Media, Param
from auditor.document.document import At, OperationRef

_FORMATS = {
    "uuid": "00000000-0000-4000-8000-000000000001",
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "email": "auditor@example.com",
    "uri": "https://example.com/",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
}
UNSET = object()


def value_for(ctx: Context, schema: Any, at: At, depth: int = 0) -> Any:
    """A valid value for ``schema`` (``UNSET`` when none can be built)."""
    schema = ctx.merged_schema(schema, at)
    if not isinstance(schema, dict) or depth > 8:
        return UNSET
    for key in ("example", "default", "const"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return value_for(ctx, schema[key][0], at.child(key, 0), depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "string":
        if schema.get("format") in _FORMATS:
            return _FORMATS[schema["format"]]
        low, high = int(schema.get("minLength", 1) or 0), schema.get("maxLength")
        text = "auditor"
        text = (text * (low // len(text) + 1))[: max(low, len(text))]
        return text[: int(high)] if isinstance(high, int) else text
    if kind in ("integer", "number"):
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        value: Any = 1 if minimum is None else minimum + (1 if schema.get("exclusiveMinimum") is True else 0)
        if maximum is not None and value > maximum:
            value = maximum
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return True
    if kind == "array":
        count = int(schema.get("minItems", 0) or 0)
        if not count:
            return []
        item = value_for(ctx, schema.get("items", {}), at.child("items"), depth + 1)
        return [] if item is UNSET else [item] * count
    if kind == "object":
        out = {}
        props: dict = schema["properties"] if isinstance(schema.get("properties"), dict) else {}
        for name in schema.get("required") or []:
            value = value_for(ctx, props.get(name, {}), at.child("properties", name), depth + 1)
            if value is UNSET:
                return UNSET
            out[name] = value
        return out
    return UNSET


def param_value(ctx: Context, param: Param) -> Any:
    node = param.node
    if "example" in node:
        return node["example"]
    if isinstance(node.get("examples"), dict) and node["examples"]:
        first, _ = ctx.deref(next(iter(node["examples"].values())), param.at.child("examples"))
        if isinstance(first, dict) and "value" in first:
            return first["value"]
    return value_for(ctx, param.schema, param.schema_at)


def body_value(ctx: Context, media: Media, op: OperationRef) -> Any:
    """The media type's example (``example`` / first of ``examples``), else one built from the schema."""
    content = _media_object(ctx, op, media.media_type)
    if isinstance(content, dict):
        if "example" in content:
            return content["example"]
        if isinstance(content.get("examples"), dict) and content["examples"]:
            first, _ = ctx.deref(next(iter(content["examples"].values())), op.at)
            if isinstance(first, dict) and "value" in first:
                return first["value"]
    return value_for(ctx, media.schema, media.at)


def _media_object(ctx: Context, op: OperationRef, media_type: str) -> Any:
    raw = op.node.get("requestBody")
    if raw is None:
        return None
    body, _ = ctx.deref(raw, op.at.child("requestBody"))
    content = body.get("content") if isinstance(body, dict) else None
    return content.get(media_type) if isinstance(content, dict) else None


def to_text(value: Any) -> str:
    """A parameter value as it goes into a path, query or header."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(to_text(v) for v in value)
    return str(value)
