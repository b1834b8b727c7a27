"""JSON documents: ``json.loads`` (C speed) with repeated keys recorded, and ``JsonLocator``,
which finds a pointer's line:column by scanning the text lazily, only for the pointers a
report needs."""

from __future__ import annotations

import bisect
import json
import re
import sys
from typing import Any

from auditor.document.parsed import MAX_DEPTH, Locator, Parsed, depth_error
from auditor.exceptions import InputError


class NotJson(Exception):
    pass


def parse_json(text: str, name: str, source: bytes) -> Parsed:
    duplicates: list[str] = []
    try:
        data = json.loads(text, object_pairs_hook=_duplicates_hook(duplicates))
    except RecursionError:
        raise depth_error(name) from None
    except json.JSONDecodeError as exc:
        if name.endswith(".json"):
            raise InputError(
                f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                where=name,
                hint="fix the syntax error (a JSON linter or `python -m json.tool` shows it)",
            ) from None
        raise NotJson() from None
    except ValueError as exc:  # an integer longer than sys.get_int_max_str_digits() (4300)
        raise InputError(
            f"invalid JSON: {str(exc).split(':')[0].lower()}",
            where=name,
            hint="a number that long is not a real value; remove it or quote it as a string",
        ) from None
    # json.loads raises RecursionError (above) long before MAX_DEPTH levels unless someone raised
    # the recursion limit: only then is the tree walked
    if sys.getrecursionlimit() > MAX_DEPTH and _max_depth(data) > MAX_DEPTH:
        raise depth_error(name)
    from auditor.document import yaml_fast

    locator: Locator = yaml_fast.LazyLocator(source, lambda: JsonLocator(text)) if yaml_fast.enabled() else JsonLocator(text)
    return Parsed(data, locator, "json", duplicates)


def _duplicates_hook(found: list[str]):
    """An ``object_pairs_hook`` that builds what json.loads builds (the last value of a repeated
    key, at the first one's place) and lists repeated key names in ``found`` (the locator
    points at the copy kept; these are reported by name). One parse gives data and repeats."""

    def hook(pairs: list[tuple[str, Any]]) -> dict:
        out = dict(pairs)
        if len(out) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    found.append(key)
                seen.add(key)
        return out

    return hook


_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]  # the C scanner, not in typeshed


def _ws_end(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()  # type: ignore[union-attr]  # [ \t\n\r]* always matches


class JsonLocator(Locator):
    """Finds the text offset of a pointer by walking the JSON text: member names are matched with
    the C string scanner, values are skipped with ``raw_decode``. Each container's member
    offsets are cached, so a report with many findings costs about one extra parse."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[int] | None = None
        self._members: dict[int, dict[str, tuple[int, int]]] = {}  # container offset -> key -> (key_off, value_off)

    def _line_col(self, offset: int) -> tuple[int, int]:
        if self._lines is None:
            self._lines = [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._lines, offset)
        start = self._lines[line - 1] if line else 0
        return line + 1, offset - start + 1

    def _locate(self, tokens: list[str]) -> tuple[int, int] | None:
        offset = _ws_end(self.text, 0)
        at = offset
        for token in tokens:
            members = self._index(offset)
            if members is None or token not in members:
                return None
            at, offset = members[token]
        return self._line_col(at)

    def _index(self, offset: int) -> dict[str, tuple[int, int]] | None:
        cached = self._members.get(offset)
        if cached is not None:
            return cached
        text = self.text
        opener = text[offset : offset + 1]
        if opener not in ("{", "["):
            return None
        members: dict[str, tuple[int, int]] = {}
        pos = _ws_end(text, offset + 1)
        index = 0
        closer = "}" if opener == "{" else "]"
        try:
            while pos < len(text) and text[pos] != closer:
                if opener == "{":
                    key_at = pos
                    key, pos = _scanstring(text, pos + 1)
                    pos = _ws_end(text, pos) + 1  # the colon
                    pos = _ws_end(text, pos)
                    members[key] = (key_at, pos)  # the last one wins, as in json.loads
                else:
                    key_at = pos
                    members[str(index)] = (key_at, pos)
                    index += 1
                _, pos = _DECODER.raw_decode(text, pos)
                pos = _ws_end(text, pos)
                if text[pos : pos + 1] == ",":
                    pos = _ws_end(text, pos + 1)
        except (ValueError, RecursionError):
            return members
        self._members[offset] = members
        return members


def _max_depth(data: Any) -> int:
    depth, frontier = 0, [data]
    while frontier:
        depth += 1
        if depth > MAX_DEPTH:
            return depth
        nxt: list[Any] = []
        for node in frontier:
            if isinstance(node, dict):
                nxt.extend(v for v in node.values() if isinstance(v, (dict, list)))
            elif isinstance(node, list):
                nxt.extend(v for v in node if isinstance(v, (dict, list)))
        frontier = nxt
    return depth
