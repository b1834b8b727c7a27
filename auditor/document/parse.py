"""Bytes -> Python data, safely, plus a locator that maps JSON pointers to line:column.

The dispatch: the text is checked (UTF-8, no NUL, not empty), then JSON goes to ``json_text``,
plain YAML (no tags, anchors or merge keys) to rapidyaml in ``yaml_fast``, and anything else to
PyYAML in ``yaml_safe``, the reference that also words the syntax errors. Lone UTF-16
surrogate escapes are refused whichever parser read them.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.document.json_text import NotJson, parse_json
from auditor.document.parsed import Locator, Parsed
from auditor.document.yaml_safe import parse_yaml, yaml_locator
from auditor.exceptions import InputError

__all__ = ["Locator", "Parsed", "decode_text", "parse"]


def decode_text(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("document is UTF-16 encoded", where=name, hint="save it as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            f"invalid UTF-8 at byte {exc.start} (line {line}, column {col})",
            where=name,
            hint="OpenAPI documents must be UTF-8 text; re-save the file as UTF-8",
        ) from None
    if "\x00" in text:
        raise InputError("document contains NUL bytes; it looks binary", where=name, hint="give a YAML or JSON text file")
    return text


def parse(data: bytes, name: str) -> Parsed:
    parsed = _parse_any(data, name)
    if _SURROGATE_ESCAPE.search(data):
        _refuse_lone_surrogates(parsed.data, name)
    return parsed


# --- \uD800-\uDFFF escapes (hostile-input fix, kept apart) --------------------------------------

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _refuse_lone_surrogates(data: Any, name: str) -> None:
    """JSON combines an escaped surrogate pair into one character, but a lone surrogate (and in
    YAML any surrogate escape: its \\u escapes are code points) is not text and cannot be
    printed: refuse the document instead of failing on output."""
    stack, seen = [data], set()
    while stack:
        node = stack.pop()
        if isinstance(node, (dict, list)):
            if id(node) in seen:  # YAML aliases share nodes
                continue
            seen.add(id(node))
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError(
                    "the document escapes a lone UTF-16 surrogate (\\uD800-\\uDFFF), which is not a character",
                    where=name,
                    hint="write the character itself (or \\U0001XXXX in YAML) instead of surrogate escapes",
                ) from None


def _parse_any(data: bytes, name: str) -> Parsed:
    text = decode_text(data, name)
    if not text.strip():
        raise InputError("document is empty", where=name, hint="give a YAML or JSON OpenAPI document")
    stripped = text.lstrip()
    source = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if stripped[:1] in "{[" and not name.endswith((".yaml", ".yml")):
        try:
            return parse_json(text, name, source)
        except NotJson:
            pass  # flow-style YAML that is not JSON: fall through
    from auditor.document import yaml_fast

    if yaml_fast.enabled():
        try:
            tree, buf, root = yaml_fast.parse_tree(source)
            value, duplicates, scalars = yaml_fast.build(tree, root, name)
            locator = yaml_fast.RymlLocator(tree, buf, source, root, scalars, lambda: yaml_locator(text))
            return Parsed(value, locator, "yaml", duplicates)
        except (yaml_fast.Unsupported, UnicodeDecodeError):  # UnicodeDecodeError: surrogate escapes
            pass  # tags, anchors, merge keys, syntax errors: the PyYAML path decides
    return parse_yaml(text, name)
