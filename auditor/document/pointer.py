"""RFC 6901 JSON pointers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def escape(token: str | int) -> str:
    token = str(token)
    if "~" not in token and "/" not in token:  # the common case, on every node a rule visits
        return token
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def join(base: str, *tokens: str | int) -> str:
    """``join("/paths", "/pets", "get") == "/paths/~1pets/get"``."""
    if len(tokens) == 1:
        return base + "/" + escape(tokens[0])
    return base + "".join("/" + escape(t) for t in tokens)


def split(pointer: str) -> list[str]:
    """``split("/paths/~1pets") == ["paths", "/pets"]``; the root pointer is ``""``."""
    if pointer in ("", "#", "#/"):
        return []
    if pointer.startswith("#"):
        pointer = pointer[1:]
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [unescape(t) for t in pointer[1:].split("/")]


def from_tokens(tokens: Iterable[str | int]) -> str:
    return join("", *tokens)


_MISSING = object()


def get(doc: Any, pointer: str, default: Any = _MISSING) -> Any:
    """The node at ``pointer``; ``KeyError`` (or ``default``) when it does not exist."""
    node = doc
    for token in split(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            if default is _MISSING:
                raise KeyError(pointer)
            return default
    return node
