"""An OpenAPI document as a set of files joined by ``$ref``.

``Document`` keeps every file as parsed (internal refs stay refs) and follows references lazily:
``document.deref(value, at)`` returns the target and *where it lives* (file + pointer), so a rule's
finding inside a shared component, or inside a third file reached through a ref chain, points
at the place the node is written. External files are loaded on first use, and only when the
ref policy allows: relative files inside the ref root (default: the git repository that holds the
root document, see ``default_ref_root``).
Everything else (climbing out, ``file://``, ``http(s)://`` without ``--allow-remote-refs``)
becomes a ``RefProblem`` that the engine reports as a finding.
"""

from __future__ import annotations

import os
import posixpath
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from auditor.document import pointer as jp
from auditor.document.parse import Locator, parse
from auditor.document.source import DEFAULT_MAX_BYTES, RawSource, read_source
from auditor.exceptions import InputError

if TYPE_CHECKING:
    from auditor.document.git_source import GitTree

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
MAX_REF_HOPS = 64


class At(NamedTuple):
    """Where a node lives: the file key (as shown to users) and a JSON pointer into that file.
    A named tuple, not a dataclass: rules build and hash hundreds of thousands of these on a
    large document, and a tuple does both in C."""

    file: str
    pointer: str

    def child(self, *tokens: str | int) -> At:
        return At(self.file, jp.join(self.pointer, *tokens))


@dataclass
class DocumentFile:
    name: str  # as shown in reports
    data: Any
    locator: Locator | None
    format: str
    base_dir: Path | None
    duplicate_keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RefProblem:
    at: At
    ref: str
    kind: str  # "not-allowed" | "unresolved" | "cycle" | "unreadable"
    reason: str
    target: str = ""  # the file or URL not followed, as named in messages (kind "not-allowed")


@dataclass
class RefPolicy:
    allow_remote: bool = False
    ref_root: Path | None = None  # default: ``default_ref_root`` of the root document's folder
    max_bytes: int = DEFAULT_MAX_BYTES


def default_ref_root(folder: Path) -> tuple[Path, str]:
    """The folder file ``$ref``s may point into when no ``--ref-root`` is given, and how messages
    name it: the git repository that holds ``folder`` (the nearest folder above it with a
    ``.git`` entry, as ``git rev-parse --show-toplevel`` finds it; a worktree or submodule has a
    ``.git`` file), else the current folder when it holds ``folder``, else ``folder`` itself.
    Specs that share files through a sibling folder (``../common/...``) then work as checked
    out, and nothing outside the repository is read."""
    folder = folder.resolve()
    for parent in (folder, *folder.parents):
        if (parent / ".git").exists():
            return parent, "the repository"
    try:
        cwd = Path.cwd().resolve()
    except OSError:  # the current folder was removed
        cwd = None
    if cwd is not None and _is_within(folder, cwd):
        return cwd, "the current folder"
    return folder, "the root document's folder"


class Document:
    """The loaded document set. Construct with ``Document.load``."""

    def __init__(self, root: DocumentFile, policy: RefPolicy, tree: GitTree | None = None) -> None:
        self.root = root
        self.tree = tree  # a document read from git: its relative $refs are read at the same revision
        self.files: dict[str, DocumentFile] = {root.name: root}
        self.policy = policy
        self.ref_problems: dict[tuple[At, str], RefProblem] = {}
        self._internal_targets: dict[tuple[str, str], At] = {}  # (file, "#/...") -> target
        self._nodes: dict[At, Any] = {}  # resolved ref targets
        self._unreadable: dict[str, str] = {}  # file key -> why it could not be loaded
        self._memo: dict[str, Any] = {}
        self._ref_root: Path | None = None
        self._ref_root_name = "the root document's folder"
        if policy.ref_root is not None:
            self._ref_root, self._ref_root_name = policy.ref_root.resolve(), f"--ref-root {policy.ref_root.name}"
        elif root.base_dir is not None:
            self._ref_root, self._ref_root_name = default_ref_root(root.base_dir)
        self.version = detect_version(root.data, root.name)

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def load(cls, source: str, policy: RefPolicy | None = None) -> Document:
        policy = policy or RefPolicy()
        raw = read_source(source, max_bytes=policy.max_bytes)
        return cls(_parse_file(raw), policy)

    @classmethod
    def load_tree(cls, tree: GitTree, path: str, policy: RefPolicy | None = None) -> Document:
        """The document at ``path`` in a git revision (``auditor diff origin/main:openapi.yaml``)."""
        policy = policy or RefPolicy()
        return cls(_parse_file(tree.read(path, policy.max_bytes)), policy, tree)

    @property
    def data(self) -> Any:
        return self.root.data

    @property
    def oas_version(self) -> str:
        return self.version[1]

    @property
    def is_swagger2(self) -> bool:
        return self.version[0] == "2.0"

    # --- references -----------------------------------------------------------------------------

    def deref(self, value: Any, at: At) -> tuple[Any, At]:
        """Follow ``$ref`` chains from ``value`` (which lives at ``at``). Returns the target and its
        location; on a broken, disallowed or cyclic ref returns ``({}, at)`` and records why."""
        if not isinstance(value, dict) or "$ref" not in value:
            return value, at  # most calls: rules deref every node they visit
        return self.follow(value, at) or ({}, at)

    def follow(self, value: Any, at: At) -> tuple[Any, At] | None:
        """``deref``, but None when the chain is not followed to its end (the problem recorded)."""
        seen: set[At] = set()
        hops = 0
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            target = self._internal_targets.get((at.file, ref))
            if target is None:
                target = self._resolve_ref(ref, at)
                if target is None:
                    return None
                if ref.startswith("#"):  # resolved the same way from anywhere in this file
                    self._internal_targets[(at.file, ref)] = target
            if target in seen or hops > MAX_REF_HOPS:
                self._problem(at, ref, "cycle", "the reference chain loops back on itself")
                return None
            seen.add(target)
            hops += 1
            try:
                value = self._nodes[target]
            except KeyError:
                try:
                    value = self._nodes[target] = jp.get(self.files[target.file].data, target.pointer)
                except KeyError:
                    self._problem(at, ref, "unresolved", f"nothing at {target.pointer or '/'} in {self._short_name(target.file)}")
                    return None
            at = target
        return value, at

    def _resolve_ref(self, ref: str, at: At) -> At | None:
        url, _, fragment = ref.partition("#")
        fragment = urllib.parse.unquote(fragment)
        if fragment and not fragment.startswith("/"):
            self._problem(at, ref, "unresolved", "only JSON-pointer fragments (#/...) are supported")
            return None
        if not url:
            return At(at.file, fragment)
        key = self._load_external(url, at, ref)
        return None if key is None else At(key, fragment)

    def _load_external(self, url: str, at: At, ref: str) -> str | None:
        source_file = self.files[at.file]
        try:
            scheme = urllib.parse.urlsplit(url).scheme.lower()
            if source_file.base_dir is None and source_file.name.startswith(("http://", "https://")):
                urllib.parse.urljoin(source_file.name, url)  # raises on the same malformed hosts
        except ValueError:  # "http://[x", "//[]/a": a malformed IPv6 host
            self._problem(at, ref, "unresolved", "it is not a valid URL or file name")
            return None
        if scheme in ("http", "https"):
            if not self.policy.allow_remote:
                self._problem(at, ref, "not-allowed", "remote references are not fetched unless --allow-remote-refs is given", url)
                return None
            key = url
        elif scheme and len(scheme) > 1:
            self._problem(at, ref, "not-allowed", f"{scheme}: references are never followed", url)
            return None
        else:
            if self.tree is not None:
                return self._load_from_tree(source_file.name, urllib.parse.unquote(url), at, ref)
            if source_file.base_dir is None:
                if source_file.name.startswith(("http://", "https://")):
                    key = urllib.parse.urljoin(source_file.name, url)
                    if not self.policy.allow_remote:
                        self._problem(at, ref, "not-allowed", "remote references are not fetched unless --allow-remote-refs is given", key)
                        return None
                else:
                    self._problem(at, ref, "not-allowed", "a document read from standard input cannot reference files", url)
                    return None
            else:
                try:
                    target = (source_file.base_dir / urllib.parse.unquote(url)).resolve()
                except (OSError, RuntimeError, ValueError):  # symlink loop, NUL byte, name too long
                    self._problem(at, ref, "unreadable", "the file name cannot be resolved (a symlink loop or an invalid name)")
                    return None
                if self._ref_root is None or not _is_within(target, self._ref_root):
                    self._problem(at, ref, "not-allowed", f"it points outside {self._ref_root_name} (widen with --ref-root DIR)", self._relative_name(target))
                    return None
                return self._add(self._display_name(target), str(target), at, ref, regular_only=True)
        return self._add(key, key, at, ref)

    def _load_from_tree(self, name: str, url: str, at: At, ref: str) -> str | None:
        """A relative ``$ref`` of a document read from git: the file at the same revision, inside
        the repository (or the --ref-root folder)."""
        assert self.tree is not None
        target, inside = self.tree.join(name, url)
        if not inside:
            where = f"folder {self.tree.root_dir}/" if self.tree.root_dir else "the repository"
            self._problem(at, ref, "not-allowed", f"it points outside {where} at {self.tree.ref} (widen with --ref-root DIR)", target)
            return None
        return self._add(self.tree.name(target), target, at, ref, read=self.tree.read)

    def _add(self, key: str, location: str, at: At, ref: str, *, regular_only: bool = False, read: Callable[[str, int], RawSource] | None = None) -> str | None:
        """Read and parse ``location`` as file ``key``, once: a failure is remembered too, so a
        broken or slow target is not fetched again for every ref and every rule."""
        if key in self.files:
            return key
        reason = self._unreadable.get(key)
        if reason is None:
            try:
                if read is not None:
                    raw = read(location, self.policy.max_bytes)
                else:
                    raw = read_source(location, max_bytes=self.policy.max_bytes, regular_only=regular_only)
                parsed = _parse_file(raw)
            except InputError as exc:
                reason = self._unreadable[key] = exc.message
            else:
                parsed.name = key
                self.files[key] = parsed
                return key
        self._problem(at, ref, "unreadable", reason)
        return None

    def _short_name(self, file: str) -> str:
        """A file as named in messages: relative to the root document's folder, so a message (and
        the fingerprint made from it) reads the same wherever the spec is checked out."""
        prefix = posixpath.dirname(self.root.name.replace("\\", "/"))
        name = file.replace("\\", "/")
        if prefix and name.startswith(prefix + "/"):
            return name[len(prefix) + 1 :]
        return name if not posixpath.isabs(name) else posixpath.basename(name)

    def _display_name(self, target: Path) -> str:
        root_dir = self.root.base_dir
        root_name = self.root.name
        if root_dir is not None:
            prefix = posixpath.dirname(root_name.replace("\\", "/"))
            try:
                rel = target.relative_to(root_dir.resolve()).as_posix()
                return posixpath.normpath(posixpath.join(prefix, rel)) if prefix else rel
            except ValueError:
                pass
        return str(target)

    def _relative_name(self, target: Path) -> str:
        """A file outside the root document's folder, named relative to that folder
        (``../common/x.yaml``): never an absolute path, which would differ per checkout."""
        base = self.root.base_dir
        try:
            return Path(os.path.relpath(target, base.resolve())).as_posix() if base is not None else target.name
        except ValueError:  # on another drive
            return target.name

    def _problem(self, at: At, ref: str, kind: str, reason: str, target: str = "") -> None:
        self.ref_problems.setdefault((at, ref), RefProblem(at, ref, kind, reason, target))

    # --- walking ----------------------------------------------------------------------------------

    def locate(self, at: At) -> tuple[int, int] | None:
        f = self.files.get(at.file)
        if f is None or f.locator is None:
            return None
        return f.locator.locate(at.pointer)

    def operations(self) -> Iterator[OperationRef]:
        """Every operation: path item refs followed, ``x-`` keys skipped."""
        paths = self.data.get("paths") if isinstance(self.data, dict) else None
        if not isinstance(paths, dict):
            return
        base = At(self.root.name, "/paths")
        for path, item in paths.items():
            if not isinstance(path, str) or path.startswith("x-"):
                continue
            item, item_at = self.deref(item, base.child(path))
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    yield OperationRef(path, method, op, item_at.child(method), item, item_at)

    def walk_refs(self) -> Iterator[tuple[At, str]]:
        """Every ``$ref`` string in every file loaded so far, following external files as found."""
        done: set[str] = set()
        while True:
            pending = [name for name in self.files if name not in done]
            if not pending:
                return
            for name in pending:
                done.add(name)
                for ptr, ref in self.refs_in(name):
                    yield At(name, ptr), ref

    def unread_refs(self) -> dict[At, str]:
        """Every ``$ref`` not followed to its end (broken, cyclic, outside the ref root, remote):
        its location -> the ref. Follows every ref once (loading every reachable file) and
        records each problem in ``ref_problems``: computed once (no ref is left to follow after)."""
        store = self.memo("unread-refs")
        if "refs" not in store:
            for at, ref in self.walk_refs():
                self.deref({"$ref": ref}, at)
            store["refs"] = {p.at: p.ref for p in self.ref_problems.values()}
        unread: dict[At, str] = store["refs"]
        return unread

    def memo(self, namespace: str, factory: Callable[[], Any] = dict) -> Any:
        """The per-document store named ``namespace`` (made by ``factory`` on first use): what
        rules and the engine compute once from the document and share for as long as it lives
        (``"context"``, ``"inputs/expand"``, ...). Built before a split, it is shared by both
        processes."""
        store = self._memo.get(namespace)
        if store is None:
            store = self._memo[namespace] = factory()
        return store

    def refs_in(self, name: str) -> list[tuple[str, str]]:
        """(pointer, ref) of every ``$ref`` string in a loaded file: one walk per file, kept.
        Pointers are spelled out only where a ``$ref`` is (the walk keeps a chain of keys)."""
        cache: dict[str, list[tuple[str, str]]] = self.memo("refs-in")
        found = cache.get(name)
        if found is None:
            found = cache[name] = []
            stack: list[tuple[Any, tuple | None]] = [(self.files[name].data, None)]
            push = stack.append
            while stack:  # parsed documents hold plain dicts and lists: exact type checks are enough
                node, chain = stack.pop()
                if type(node) is dict:
                    ref = node.get("$ref")
                    if type(ref) is str:
                        found.append((_chain_pointer(chain), ref))
                    for k, v in node.items():
                        if type(v) is dict or type(v) is list:
                            push((v, (chain, k)))
                elif type(node) is list:
                    for i, v in enumerate(node):
                        if type(v) is dict or type(v) is list:
                            push((v, (chain, i)))
        return found


def _chain_pointer(chain: tuple | None) -> str:
    tokens = []
    while chain is not None:
        chain, token = chain
        tokens.append(token)
    return jp.join("", *reversed(tokens))


@dataclass(frozen=True)
class OperationRef:
    path: str
    method: str  # lower case, as in the document
    node: dict
    at: At
    path_item: dict
    path_item_at: At


def _parse_file(raw: RawSource) -> DocumentFile:
    parsed = parse(raw.data, raw.name)
    return DocumentFile(raw.name, parsed.data, parsed.locator, parsed.format, raw.base_dir, parsed.duplicate_keys)


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def detect_version(data: Any, name: str) -> tuple[str, str]:
    """("2.0" | "3.0" | "3.1" | "3.2", full version string); InputError when it is not OpenAPI."""
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "null"
        kind = {"list": "a list", "str": "a string", "int": "a number", "float": "a number", "bool": "a boolean"}.get(kind, kind)
        raise InputError(
            f"document root is {kind}, not a mapping",
            where=name,
            hint="an OpenAPI document is a mapping with an `openapi` (or `swagger`) key at the top",
        )
    if "swagger" in data:
        version = str(data["swagger"])
        if version != "2.0":
            raise InputError(f"unsupported Swagger version {version!r}", where=name, hint="only Swagger 2.0 exists")
        return "2.0", version
    if "openapi" in data:
        version = str(data["openapi"])
        for family in ("3.0", "3.1", "3.2"):
            if version.startswith(family + ".") or version == family:
                return family, version
        raise InputError(
            f"unsupported OpenAPI version {version!r}",
            where=name,
            hint='supported: swagger 2.0, openapi 3.0.x, 3.1.x and 3.2.x (quote the version: openapi: "3.0.3")',
        )
    raise InputError(
        "not an OpenAPI document: no `openapi` or `swagger` key at the top",
        where=name,
        hint='add `openapi: 3.1.0` (or `swagger: "2.0"`) at the top, or check you gave the right file',
    )
