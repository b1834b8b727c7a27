"""`--format json`: the documented, stable JSON contract (schema_version 1), with the triage the
console starts with (``triage``: principles, counts by family, top rules and operations)."""

from __future__ import annotations

import json
import re
from typing import Any

from auditor.model import Report

_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def render(report: Report, options) -> str:
    fast = _orjson(report)
    if fast is not None:
        return fast
    return json.dumps(_payload(report, False), indent=2, ensure_ascii=True, sort_keys=False) + "\n"


def _payload(report: Report, findings_as_objects: bool) -> dict[str, Any]:
    from auditor.triage import triage

    return {**report.to_dict(findings_as_objects=findings_as_objects), "triage": triage(report)}


def _orjson(report: Report) -> str | None:
    """The same text as ``json.dumps(report.to_dict(), indent=2, ensure_ascii=True)``, several
    times faster: orjson serialises the findings (dataclasses, str enums) itself, without a
    dict per finding (a test compares the texts byte for byte). Only floats can be spelled
    differently (``1e+16``, ``NaN``), and only ``evidence`` holds values taken from documents:
    with a float there, the standard encoder is used."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson comes with schemathesis
        return None
    if any(_has_float(f.evidence) for group in (report.findings, report.suppressed, report.baselined) for f in group if f.evidence):
        return None
    try:
        text = orjson.dumps(_payload(report, True), option=orjson.OPT_INDENT_2).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
        return None
    if not text.isascii():  # non-ASCII can only be inside strings: escape it as json does
        text = _NON_ASCII.sub(lambda m: json.dumps(m.group(0))[1:-1], text)
    return text + "\n"


_CONTAINERS = (dict, list, tuple)


def _has_float(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float):
            return True
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, (list, tuple)):
            continue
        kinds = set(map(type, node))  # most evidence is lists of strings: one C-level pass
        if float in kinds or any(issubclass(k, float) for k in kinds):
            return True
        if any(issubclass(k, _CONTAINERS) for k in kinds):
            stack.extend(v for v in node if isinstance(v, _CONTAINERS))
    return False
