"""What parsing yields: the data, a ``Locator`` that maps JSON pointers to line:column, and the
limits every parser enforces (depth)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditor.document import pointer as jp
from auditor.exceptions import InputError

MAX_DEPTH = 1000
MAX_EXPANDED_NODES = 20_000_000


@dataclass
class Parsed:
    data: Any
    locator: Locator
    format: str  # "json" | "yaml"
    duplicate_keys: list[str] = field(default_factory=list)  # pointers of repeated keys


class Locator:
    """Maps a JSON pointer to (line, column), 1-based. Falls back to the nearest ancestor."""

    def locate(self, pointer: str) -> tuple[int, int] | None:
        tokens = jp.split(pointer)
        while True:
            pos = self._locate(tokens)
            if pos is not None or not tokens:
                return pos
            tokens = tokens[:-1]

    def _locate(self, tokens: list[str]) -> tuple[int, int] | None:  # pragma: no cover - abstract
        raise NotImplementedError


def depth_error(name: str) -> InputError:
    return InputError(
        f"document nests deeper than {MAX_DEPTH} levels",
        where=name,
        hint="this is almost certainly generated garbage; a real OpenAPI document is far shallower",
    )
