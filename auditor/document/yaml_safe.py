"""YAML documents through PyYAML's C parser, safely: ``YamlBuilder`` makes plain dicts, lists and
scalars from the composed node tree (no tags that construct objects, YAML 1.2 scalars so dates
and yes/no stay strings, aliases shared not copied, alias bombs and absurd depth refused), and
the node tree doubles as the ``YamlLocator``. It is the reference for ``yaml_fast`` and gives
the error messages."""

from __future__ import annotations

import re
from typing import Any

from auditor.document import pointer as jp
from auditor.document.parsed import MAX_DEPTH, MAX_EXPANDED_NODES, Locator, Parsed, depth_error
from auditor.exceptions import InputError

_STD_TAGS = "tag:yaml.org,2002:"
_COLLECTION_TAGS = {_STD_TAGS + "map", _STD_TAGS + "seq", _STD_TAGS + "omap", "!"}
_DECIMAL = re.compile(r"[-+]?[0-9]+")


def parse_yaml(text: str, name: str) -> Parsed:
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        loader = loader_cls(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except RecursionError:
        raise depth_error(name) from None
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
    builder = YamlBuilder(name)
    data = builder.build(root)
    return Parsed(data, YamlLocator(root), "yaml", builder.duplicates)


def yaml_locator(text: str) -> YamlLocator:
    """The PyYAML locator of a document already loaded (and so known to compose)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        return YamlLocator(loader.get_single_node())
    finally:
        loader.dispose()


class YamlBuilder:
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
            children = [c for pair in current.value for c in pair] if isinstance(current, yaml.MappingNode) else list(current.value)
            if not done:
                if len(stack) > 5 * MAX_DEPTH:
                    raise depth_error(self.name)
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
            raise depth_error(self.name)
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
        self._builder: YamlBuilder | None = None

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
            self._builder = YamlBuilder("")
        return self._builder._key(knode)
