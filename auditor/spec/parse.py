"""Bytes -> Python data, safely, plus a locator that maps JSON pointers to line:column.

JSON goes through ``json.loads`` (C speed); its locator scans the text lazily, only for the
pointers a report needs. YAML goes through PyYAML's C parser into a node tree; our own
constructor builds plain dicts/lists/scalars (no tags that construct objects, timestamps stay
strings, aliases shared not copied, alias bombs and absurd depth refused) and the node tree
doubles as the locator. Plain YAML (no tags, anchors or merge keys) first takes the rapidyaml
path in ``yaml_fast``, which builds the same data far faster.
"""

from __future__ import annotations

import bisect
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import InputError
from auditor.spec import pointer as jp

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
            return _parse_json(text, name, source)
        except _NotJson:
            pass  # flow-style YAML that is not JSON: fall through
    from auditor.spec import yaml_fast

    if yaml_fast.enabled():
        try:
            tree, buf, root = yaml_fast.parse_tree(source)
            value, duplicates, scalars = yaml_fast.build(tree, root, name)
            locator = yaml_fast.RymlLocator(tree, buf, source, root, scalars, lambda: _yaml_locator(text))
            return Parsed(value, locator, "yaml", duplicates)
        except (yaml_fast.Unsupported, UnicodeDecodeError):  # UnicodeDecodeError: surrogate escapes
            pass  # tags, anchors, merge keys, syntax errors: the PyYAML path decides
    return _parse_yaml(text, name)


# --- JSON -------------------------------------------------------------------------------------


class _NotJson(Exception):
    pass


def _parse_json(text: str, name: str, source: bytes) -> Parsed:
    duplicates: list[str] = []
    try:
        data = json.loads(text, object_pairs_hook=_duplicates_hook(duplicates))
    except RecursionError:
        raise _depth_error(name) from None
    except json.JSONDecodeError as exc:
        if name.endswith(".json"):
            raise InputError(
                f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                where=name,
                hint="fix the syntax error (a JSON linter or `python -m json.tool` shows it)",
            ) from None
        raise _NotJson() from None
    except ValueError as exc:  # an integer longer than sys.get_int_max_str_digits() (4300)
        raise InputError(
            f"invalid JSON: {str(exc).split(':')[0].lower()}",
            where=name,
            hint="a number that long is not a real value; remove it or quote it as a string",
        ) from None
    # json.loads raises RecursionError (above) long before MAX_DEPTH levels unless someone raised
    # the recursion limit: only then is the tree walked
    if sys.getrecursionlimit() > MAX_DEPTH and _max_depth(data) > MAX_DEPTH:
        raise _depth_error(name)
    from auditor.spec import yaml_fast

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


def _depth_error(name: str) -> InputError:
    return InputError(
        f"document nests deeper than {MAX_DEPTH} levels",
        where=name,
        hint="this is almost certainly generated garbage; a real OpenAPI document is far shallower",
    )


_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


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
        offset = _WS.match(self.text, 0).end()
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
        pos = _WS.match(text, offset + 1).end()
        index = 0
        closer = "}" if opener == "{" else "]"
        try:
            while pos < len(text) and text[pos] != closer:
                if opener == "{":
                    key_at = pos
                    key, pos = json.decoder.scanstring(text, pos + 1)
                    pos = _WS.match(text, pos).end() + 1  # the colon
                    pos = _WS.match(text, pos).end()
                    members[key] = (key_at, pos)  # the last one wins, as in json.loads
                else:
                    key_at = pos
                    members[str(index)] = (key_at, pos)
                    index += 1
                _, pos = _DECODER.raw_decode(text, pos)
                pos = _WS.match(text, pos).end()
                if text[pos : pos + 1] == ",":
                    pos = _WS.match(text, pos + 1).end()
        except (ValueError, RecursionError):
            return members
        self._members[offset] = members
        return members


# --- YAML -------------------------------------------------------------------------------------

_STD_TAGS = "tag:yaml.org,2002:"
_COLLECTION_TAGS = {_STD_TAGS + "map", _STD_TAGS + "seq", _STD_TAGS + "omap", "!"}
_DECIMAL = re.compile(r"[-+]?[0-9]+")


def _parse_yaml(text: str, name: str) -> Parsed:
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        loader = loader_cls(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except RecursionError:
        raise _depth_error(name) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "syntax error"
        raise InputError(
            f"invalid YAML{where}: {problem}",
            where=name,
            hint="fix the syntax error; check indentation and quoting around that line",
        ) from None
    except yaml.reader.ReaderError as exc:  # a control character; str(exc) spans two lines
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise InputError(
            f"invalid YAML at line {line}, column {col}: {exc.reason} (character #x{exc.character:04x})",
            where=name,
            hint="remove the control character (YAML documents are printable text)",
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {' '.join(str(exc).split())}", where=name, hint="fix the YAML syntax") from None
    if root is None:
        raise InputError("document is empty", where=name, hint="give a YAML or JSON OpenAPI document")
    builder = _YamlBuilder(name)
    data = builder.build(root)
    return Parsed(data, YamlLocator(root), "yaml", builder.duplicates)


def _yaml_locator(text: str) -> YamlLocator:
    """The PyYAML locator of a document already loaded (and so known to compose)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        return YamlLocator(loader.get_single_node())
    finally:
        loader.dispose()


class _YamlBuilder:
    def __init__(self, name: str) -> None:
        import yaml

        self.name = name
        self.yaml = yaml
        self.memo: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.duplicates: list[str] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def build(self, root) -> Any:
        size = self._expanded_size(root)
        if size > MAX_EXPANDED_NODES:
            raise InputError(
                f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb)",
                where=self.name,
                hint="remove the nested anchors/aliases; real documents do not need them",
            )
        return self._node(root, "", 0)

    def _expanded_size(self, node) -> int:
        """Size with every alias expanded, computed with memoisation over shared nodes (iterative)."""
        yaml = self.yaml
        sizes = self.sizes
        stack = [(node, False)]
        while stack:
            current, done = stack.pop()
            key = id(current)
            if key in sizes:
                continue
            if isinstance(current, yaml.ScalarNode):
                sizes[key] = 1
                continue
            children = (
                [c for pair in current.value for c in pair]
                if isinstance(current, yaml.MappingNode)
                else list(current.value)
            )
            if not done:
                if len(stack) > 5 * MAX_DEPTH:
                    raise _depth_error(self.name)
                stack.append((current, True))
                stack.extend((c, False) for c in children if id(c) not in sizes)
            else:
                total = 1
                for c in children:
                    total += sizes.get(id(c), 1)
                    if total > MAX_EXPANDED_NODES:
                        total = MAX_EXPANDED_NODES + 1
                        break
                sizes[key] = total
        return sizes[id(node)]

    def _node(self, node, ptr: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _depth_error(self.name)
        key = id(node)
        if key in self.memo:
            return self.memo[key]
        yaml = self.yaml
        if isinstance(node, yaml.ScalarNode):
            value = self._scalar(node)
            self.memo[key] = value
            return value
        tag = node.tag
        if tag not in _COLLECTION_TAGS:
            raise self._bad_tag(node)
        if isinstance(node, yaml.SequenceNode):
            out_list: list[Any] = []
            self.memo[key] = out_list
            for i, child in enumerate(node.value):
                out_list.append(self._node(child, f"{ptr}/{i}", depth + 1))
            return out_list
        out: dict[str, Any] = {}
        self.memo[key] = out
        merges: list[Any] = []
        for knode, vnode in node.value:
            if knode.tag == _STD_TAGS + "merge":
                merges.append(vnode)
                continue
            k = self._key(knode)
            if k in out:
                self.duplicates.append(jp.join(ptr, k))
            out[k] = self._node(vnode, jp.join(ptr, k), depth + 1)
        for merged in merges:
            sources = merged.value if isinstance(merged, yaml.SequenceNode) else [merged]
            for src in sources:
                value = self._node(src, ptr, depth + 1)
                if isinstance(value, dict):
                    for mk, mv in value.items():
                        out.setdefault(mk, mv)
        return out

    def _key(self, node) -> str:
        if isinstance(node, self.yaml.ScalarNode):
            value = self._scalar(node)
            if isinstance(value, str):
                return value
            if value is None:
                return "null"
            if isinstance(value, bool):
                return "true" if value else "false"
            return node.value  # numbers keep their spelling: `200:` -> "200"
        raise InputError(
            f"complex (non-scalar) mapping key at line {node.start_mark.line + 1}",
            where=self.name,
            hint="OpenAPI keys are strings",
        )

    def _scalar(self, node) -> Any:
        tag = node.tag
        if tag == _STD_TAGS + "str" or node.style in ("'", '"', "|", ">"):
            if tag not in (_STD_TAGS + "str", _STD_TAGS + "int", _STD_TAGS + "float", _STD_TAGS + "bool", _STD_TAGS + "null", "!"):
                raise self._bad_tag(node)
            return node.value
        c = self._constructor
        try:
            if tag == _STD_TAGS + "int":
                if _DECIMAL.fullmatch(node.value):  # YAML 1.2: 012 is twelve, not octal
                    return int(node.value)
                return c.construct_yaml_int(node)
            if tag == _STD_TAGS + "float":
                return c.construct_yaml_float(node)
            if tag == _STD_TAGS + "bool":
                # YAML 1.2 core: only true/false are booleans; yes/no/on/off stay strings
                low = node.value.lower()
                return low == "true" if low in ("true", "false") else node.value
            if tag == _STD_TAGS + "null":
                return None
            if tag in (_STD_TAGS + "timestamp", _STD_TAGS + "binary", _STD_TAGS + "value", "!"):
                return node.value
        except (ValueError, self.yaml.YAMLError):
            return node.value
        raise self._bad_tag(node)

    def _bad_tag(self, node) -> InputError:
        mark = node.start_mark
        return InputError(
            f"YAML tag {node.tag!r} at line {mark.line + 1}, column {mark.column + 1} is not allowed",
            where=self.name,
            hint="OpenAPI documents hold plain data; remove the tag (tags that construct objects are never loaded)",
        )


class YamlLocator(Locator):
    """Walks the composed YAML node tree; mapping members are indexed on first use."""

    def __init__(self, root) -> None:
        self.root = root
        self._index: dict[int, dict[str, tuple[Any, Any]]] = {}
        self._builder: _YamlBuilder | None = None

    def _locate(self, tokens: list[str]) -> tuple[int, int] | None:
        import yaml

        node = self.root
        mark = node.start_mark
        for token in tokens:
            if isinstance(node, yaml.MappingNode):
                members = self._members(node)
                if token not in members:
                    return None
                knode, node = members[token]
                mark = knode.start_mark
            elif isinstance(node, yaml.SequenceNode):
                if not token.isdigit() or int(token) >= len(node.value):
                    return None
                node = node.value[int(token)]
                mark = node.start_mark
            else:
                return None
        return mark.line + 1, mark.column + 1

    def _members(self, node) -> dict[str, tuple[Any, Any]]:
        import yaml

        cached = self._index.get(id(node))
        if cached is None:
            cached = {}
            for knode, vnode in node.value:
                if knode.tag == _STD_TAGS + "merge":
                    sources = vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
                    for src in sources:
                        if isinstance(src, yaml.MappingNode):
                            for k, v in self._members(src).items():
                                cached.setdefault(k, v)
                    continue
                if isinstance(knode, yaml.ScalarNode):
                    cached[self._key(knode)] = (knode, vnode)
            self._index[id(node)] = cached
        return cached

    def _key(self, knode) -> str:
        """The key as the data spells it (`~:` is "null", `True:` is "true")."""
        if knode.style or knode.tag not in (_STD_TAGS + "bool", _STD_TAGS + "null"):
            return knode.value
        if self._builder is None:
            self._builder = _YamlBuilder("")
        return self._builder._key(knode)
