"""`--format json`: the documented, stable JSON contract (schema_version 1)."""

from __future__ import annotations

import json
import re
from typing import Any

from auditor.model import Report

_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def render(report: Report, options) -> str:
    data = report.to_dict()
    fast = _orjson(data)
    if fast is not None:
        return fast
    return json.dumps(data, indent=2, ensure_ascii=True, sort_keys=False) + "\n"


def _orjson(data: dict) -> str | None:
    """The same text as ``json.dumps(indent=2, ensure_ascii=True)``, five times faster (its
    pure-Python indenting encoder is a tenth of a large lint). Only floats can be spelled
    differently (``1e+16``, ``NaN``), and only ``evidence`` holds values taken from documents:
    with a float there, the standard encoder is used."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson comes with schemathesis
        return None
    if any(_has_float(f.get("evidence")) for key in ("findings", "suppressed") for f in data.get(key) or ()):
        return None
    try:
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
        return None
    if not text.isascii():  # non-ASCII can only be inside strings: escape it as json does
        text = _NON_ASCII.sub(lambda m: json.dumps(m.group(0))[1:-1], text)
    return text + "\n"


def _has_float(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float):
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return False
