"""The fast YAML path: rapidyaml parses into a tree (C++, ~30x faster than PyYAML's composer),
then one iterative walk builds the same plain data PyYAML's path would.

It handles plain data only: the moment it meets anything whose meaning the safe PyYAML path
decides (a tag, an anchor or alias, a merge key, several documents, a scalar root) or anything
it cannot parse, it raises ``Unsupported`` and ``parse`` falls back to the PyYAML path, which
also gives the good error message with line:column. Plain scalars are resolved with PyYAML's
own implicit-resolver table, then with the same YAML 1.2 adjustments (dates and yes/no stay
strings, ``012`` is twelve), memoised per spelling. ``AUDITOR_REFERENCE_PARSER=1`` turns this
path off (the equivalence test compares the two).

Positions: ryml's key/value views point into our buffer, so a node's byte offset is the view's
address minus the buffer's; the locator converts it to line:column only for reported nodes.
"""

from __future__ import annotations

import bisect
import ctypes
import os
import re
from typing import Any

from auditor.document import pointer as jp
from auditor.document.parsed import MAX_DEPTH, Locator, depth_error

# ryml node type bits (ryml.KEY, ryml.VAL, ...), fixed by its C++ NodeType_e
_KEY, _VAL, _MAP, _SEQ, _DOC, _STREAM = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
_REFS_TAGS_ANCHORS = 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800  # KEYREF VALREF KEYANCH VALANCH KEYTAG VALTAG
_KEYQUO, _VALQUO = 0x0AA00000, 0x15400000  # any quoted/literal/folded style
_VAL_BLOCK = 0x400000 | 0x1000000  # VAL_LITERAL | VAL_FOLDED
_FLOW = 0x10000 | 0x20000  # FLOW_SL | FLOW_ML
_NONE = (1 << 64) - 1


class Unsupported(Exception):
    """The document needs the PyYAML path (tags, anchors, merge keys, parse errors, ...)."""


def enabled() -> bool:
    return os.environ.get("AUDITOR_REFERENCE_PARSER", "") in ("", "0")


def parse_tree(data: bytes):
    """(tree, buffer, root id) or ``Unsupported``. ryml reports parse errors on stderr from C++,
    so fd 2 is silenced while it runs; the PyYAML fallback gives the message."""
    import ryml

    buf = bytearray(data)
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to silence
        saved = -1
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            if saved >= 0:
                os.dup2(devnull, 2)
            tree = ryml.parse_in_place(buf)
        finally:
            if saved >= 0:
                os.dup2(saved, 2)
            os.close(devnull)
    except Exception:
        raise Unsupported() from None
    finally:
        if saved >= 0:
            os.close(saved)
    root = tree.root_id()
    typ = tree.type(root)
    if typ & _STREAM == _STREAM:
        docs = list(_children(tree, root))
        if len(docs) != 1:
            raise Unsupported()
        root = docs[0]
        typ = tree.type(root)
    if not typ & (_MAP | _SEQ) or typ & _REFS_TAGS_ANCHORS:
        raise Unsupported()
    return tree, buf, root


def _children(tree, node):
    child = tree.first_child(node)
    while child != _NONE:
        yield child
        child = tree.next_sibling(child)


# first characters for which PyYAML has an implicit resolver (a test checks); a plain scalar
# starting otherwise is a string, known without importing PyYAML (10 ms, and 20 ms of regexes)
RESOLVER_FIRST_CHARS = frozenset("!&*+-.0123456789<=FNOTYfnoty~")
_SLOW = object()
_PLAIN_INT = re.compile(r"0|[1-9][0-9]*")
_NULL_WORDS = frozenset({"null", "Null", "NULL"})
_BOOL_WORDS = frozenset(v for w in ("yes", "no", "true", "false", "on", "off") for v in (w, w.capitalize(), w.upper()))


def _quick_scalar(text: str) -> Any:
    """The common plain scalars, resolved as the PyYAML path resolves them; ``_SLOW`` otherwise.
    The resolvers for a letter are the YAML 1.1 bool and null words (YAML 1.2: only true/false
    are booleans, yes/no/on/off stay strings)."""
    if text and (text[0] not in RESOLVER_FIRST_CHARS or text[0].isalpha()):
        if text in _NULL_WORDS:
            return None
        if text in _BOOL_WORDS and text.lower() in ("true", "false"):
            return text.lower() == "true"
        return text
    if text == "~":
        return None
    if len(text) < 19 and _PLAIN_INT.fullmatch(text):  # longer ones: the slow path's limits apply
        return int(text)
    return _SLOW


class Scalars:
    """Plain scalar text -> value, exactly as the PyYAML path resolves it (memoised)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.keys: dict[str, str] = {}
        self._builder: Any = None  # a yaml_safe.YamlBuilder, made for the first scalar PyYAML must resolve

    def value(self, text: str) -> Any:
        try:
            return self.values[text]
        except KeyError:
            pass
        quick = _quick_scalar(text)
        if quick is not _SLOW:
            self.values[text] = quick
            return quick
        import yaml

        tag = "tag:yaml.org,2002:str"
        for t, regexp in yaml.resolver.Resolver.yaml_implicit_resolvers.get(text[:1] if text else "", ()):
            if regexp.match(text):
                tag = t
                break
        if tag == "tag:yaml.org,2002:merge":
            raise Unsupported()
        if self._builder is None:
            from auditor.document.yaml_safe import YamlBuilder

            self._builder = YamlBuilder("")
        value = self._builder._scalar(yaml.ScalarNode(tag, text, style=None))
        self.values[text] = value
        return value

    def key(self, text: str) -> str:
        try:
            return self.keys[text]
        except KeyError:
            pass
        value = self.value(text)
        if isinstance(value, bool):
            key = "true" if value else "false"
        elif value is None:
            key = "null"
        elif isinstance(value, str):
            key = value
        else:
            key = text  # numbers keep their spelling: `200:` -> "200"
        self.keys[text] = key
        return key


def build(tree, root: int, name: str) -> tuple[Any, list[str], Scalars]:
    """Plain data, the pointers of repeated keys (in document order, as the PyYAML path lists
    them), and the scalar resolver (the locator reuses it)."""
    from functools import partial

    from ryml import _ryml

    scalars = Scalars()
    values, keys = scalars.values, scalars.keys
    plain_value, plain_key = scalars.value, scalars.key
    # the C entry points bound to the tree (skips SWIG's Python-level wrapper per call)
    ttype, tkey, tval = partial(_ryml.Tree_type, tree), partial(_ryml.Tree_key, tree), partial(_ryml.Tree_val, tree)
    first, nxt = partial(_ryml.Tree_first_child, tree), partial(_ryml.Tree_next_sibling, tree)
    duplicates: list[tuple[int, str]] = []  # (address of the key, pointer)
    top: Any = {} if ttype(root) & _MAP else []
    # frames: (ryml container id, python container, depth, parent frame, key in parent); the
    # pointer is only spelled out for a repeated key
    stack: list[tuple] = [(root, top, 0, None, None)]
    while stack:
        frame = stack.pop()
        node, out, depth = frame[0], frame[1], frame[2]
        if depth > MAX_DEPTH:
            raise depth_error(name)
        child = first(node)
        if type(out) is dict:
            while child != _NONE:
                typ = ttype(child)
                if typ & _REFS_TAGS_ANCHORS:
                    raise Unsupported()
                kv = tkey(child)
                k = str(kv, "utf-8") if kv is not None else ""
                if not typ & _KEYQUO:
                    k = keys[k] if k in keys else plain_key(k)
                    if k == "<<":
                        raise Unsupported()
                if k in out:
                    duplicates.append((_address(kv) if kv is not None else 0, _pointer(frame, k)))
                if typ & _MAP:
                    value: Any = {}
                    stack.append((child, value, depth + 1, frame, k))
                elif typ & _SEQ:
                    value = []
                    stack.append((child, value, depth + 1, frame, k))
                else:
                    vv = tval(child)
                    text = str(vv, "utf-8") if vv is not None else ""
                    value = text if typ & _VALQUO else (values[text] if text in values else plain_value(text))
                out[k] = value
                child = nxt(child)
        else:
            index = 0
            while child != _NONE:
                typ = ttype(child)
                if typ & _REFS_TAGS_ANCHORS:
                    raise Unsupported()
                if typ & _MAP:
                    value = {}
                    stack.append((child, value, depth + 1, frame, index))
                elif typ & _SEQ:
                    value = []
                    stack.append((child, value, depth + 1, frame, index))
                else:
                    vv = tval(child)
                    text = str(vv, "utf-8") if vv is not None else ""
                    value = text if typ & _VALQUO else (values[text] if text in values else plain_value(text))
                out.append(value)
                index += 1
                child = nxt(child)
    return top, [ptr for _, ptr in sorted(duplicates)], scalars


def _pointer(frame: tuple, key: str) -> str:
    tokens: list[Any] = [key]
    while frame[3] is not None:
        tokens.append(frame[4])
        frame = frame[3]
    return jp.from_tokens(reversed(tokens))


# --- positions ---------------------------------------------------------------------------------


class _PyBuffer(ctypes.Structure):
    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("obj", ctypes.py_object),
        ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t),
        ("readonly", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p),
        ("shape", ctypes.c_void_p),
        ("strides", ctypes.c_void_p),
        ("suboffsets", ctypes.c_void_p),
        ("internal", ctypes.c_void_p),
    ]


_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = [ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int]
_release_buffer = ctypes.pythonapi.PyBuffer_Release
_release_buffer.argtypes = [ctypes.POINTER(_PyBuffer)]


def _address(obj) -> int:
    view = _PyBuffer()
    _get_buffer(obj, ctypes.byref(view), 0)
    try:
        return view.buf or 0
    finally:
        _release_buffer(ctypes.byref(view))


_NEWLINE = re.compile(b"\n")


class RymlLocator(Locator):
    """Pointer -> line:column through the ryml tree, matching what the PyYAML locator reports:
    a mapping member at its key, a sequence item at its value (a quoted scalar at its quote, a
    flow collection at its bracket)."""

    def __init__(self, tree, buf: bytearray, source: bytes, root: int, scalars: Scalars, fallback=None) -> None:
        self.fallback = fallback  # () -> Locator, for the rare node ryml keeps no position for
        self._fallback: Locator | None = None
        self.tree = tree
        self.buf = buf  # parsed in place: filtered scalars overwrite it, so positions read `source`
        self.source = source
        self.root = root
        self.scalars = scalars
        self._base = _address(buf)
        self._members: dict[int, dict[str, int]] = {}
        self._nodes: dict[str, tuple[int, bool]] = {}  # pointer -> (node, via key), see locate()
        self._lines: list[int] | None = None

    def locate(self, pointer: str) -> tuple[int, int] | None:
        """As ``Locator.locate``, with the node of each parent pointer kept: findings come in
        families (the properties of one schema, the responses of one operation), so most
        lookups are one step from a pointer already walked."""
        while True:
            pos = self._position(pointer)
            if pos is not None or not pointer:
                return pos
            pointer = pointer[: pointer.rfind("/")]

    def _position(self, pointer: str) -> tuple[int, int] | None:
        cut = pointer.rfind("/")
        if cut < 0:
            found = self._node(jp.split(pointer))
        else:
            parent = self._nodes.get(pointer[:cut])
            if parent is None:
                parent = self._nodes[pointer[:cut]] = self._node(jp.split(pointer[:cut]))
            found = self._step(parent, jp.unescape(pointer[cut + 1 :]))
        return self._node_position(found, pointer)

    def _locate(self, tokens: list[str]) -> tuple[int, int] | None:
        return self._node_position(self._node(tokens), None, tokens)

    def _node(self, tokens: list[str]) -> tuple[int, bool]:
        """(node, reached through a mapping key) for a pointer; node -1 when it does not exist."""
        found = (self.root, False)
        for token in tokens:
            found = self._step(found, token)
            if found[0] < 0:
                break
        return found

    def _step(self, at: tuple[int, bool], token: str) -> tuple[int, bool]:
        node = at[0]
        if node < 0:
            return at
        tree = self.tree
        typ = tree.type(node)
        if typ & _MAP:
            return self._index(node).get(token, -1), True
        if typ & _SEQ and token.isdigit() and int(token) < tree.num_children(node):
            return tree.child(node, int(token)), False
        return -1, False

    def _node_position(self, found: tuple[int, bool], pointer: str | None, tokens: list[str] | None = None) -> tuple[int, int] | None:
        node, via_key = found
        if node < 0:
            return None
        tree = self.tree
        offset = self._view(tree.key(node), tree.type(node) & _KEYQUO) if via_key else self._start(node)
        if offset is None:
            # an empty collection in a sequence (`- {}`) or a block scalar ryml moved to its
            # arena: no view into the text; the reference locator knows
            if self.fallback is None:
                return None
            if self._fallback is None:
                self._fallback = self.fallback()
            return self._fallback._locate(tokens if tokens is not None else jp.split(pointer or ""))
        return self._line_col(offset)

    def _index(self, node: int) -> dict[str, int]:
        members = self._members.get(node)
        if members is None:
            members = {}
            tree = self.tree
            for child in _children(tree, node):
                kv = tree.key(child)
                k = str(kv, "utf-8", "surrogatepass") if kv is not None else ""  # JSON "\ud83d\ude00" keys
                if not tree.type(child) & _KEYQUO:
                    k = self.scalars.key(k)
                members[k] = child  # a repeated key: the data holds the last one
            self._members[node] = members
        return members

    def _view(self, view, quoted: int) -> int | None:
        if view is None:
            return None
        offset = _address(view) - self._base
        if not 0 <= offset <= len(self.buf):
            return None  # a filtered scalar that ryml moved into its arena
        return offset - 1 if quoted and offset > 0 and self.source[offset - 1] in b"'\"" else offset

    def _start(self, node: int) -> int | None:
        """Where a node that has no key begins (a sequence item, the root)."""
        tree = self.tree
        typ = tree.type(node)
        if not typ & (_MAP | _SEQ):
            if typ & _VAL_BLOCK:
                return None  # the view starts at the text, PyYAML marks the `|`/`>`: fallback
            return self._view(tree.val(node), typ & _VALQUO)
        first = tree.first_child(node)
        inner = None if first == _NONE else (self._view(tree.key(first), tree.type(first) & _KEYQUO) if typ & _MAP else self._start(first))
        if inner is None:
            return None
        if typ & _FLOW or typ & _SEQ:
            back = inner - 1
            while back >= 0 and self.source[back] in b" \t\r\n":
                back -= 1
            if back >= 0 and self.source[back] in (b"{[" if typ & _FLOW else b"-"):
                return back
        return inner

    def _line_col(self, offset: int) -> tuple[int, int]:
        if self._lines is None:
            self._lines = [m.end() for m in _NEWLINE.finditer(self.source)]
        line = bisect.bisect_right(self._lines, offset)
        start = self._lines[line - 1] if line else 0
        text = self.source[start:offset]
        column = len(text) if text.isascii() else len(text.decode("utf-8", "replace"))
        return line + 1, column + 1


class LazyLocator(Locator):
    """For JSON: the data comes from ``json.loads``; a ryml tree of the same text is built only
    when the first location is asked for (one C++ parse, ~10 ms a MB), and answers every lookup
    without rescanning the text. Falls back to ``fallback()`` when ryml cannot read the text."""

    def __init__(self, source: bytes, fallback) -> None:
        self.source = source
        self.fallback = fallback
        self._inner: Locator | None = None

    def locate(self, pointer: str) -> tuple[int, int] | None:
        return self._built().locate(pointer)

    def _locate(self, tokens: list[str]) -> tuple[int, int] | None:
        return self._built()._locate(tokens)

    def _built(self) -> Locator:
        if self._inner is None:
            try:
                tree, buf, root = parse_tree(self.source)
                self._inner = RymlLocator(tree, buf, self.source, root, Scalars(), self.fallback)
            except Unsupported:
                self._inner = self.fallback()
        return self._inner
