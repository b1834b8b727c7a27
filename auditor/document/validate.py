"""Structural and semantic validation, every error, each mapped back to the file and pointer
where the offending node is written (through external ``$ref``s). The checks are those of
openapi-spec-validator; ``validate_fast`` runs them fast, ``validate_reference`` through it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from auditor.document import pointer as jp
from auditor.document.document import At, Document


@dataclass(frozen=True)
class SpecError:
    at: At
    message: str
    kind: str  # "schema" | "semantic"
    raw: tuple[str, str] = ("", "")  # (pointer, message) as openapi-spec-validator reports it


def validate(document: Document) -> Iterator[SpecError]:
    """Every structural and semantic error. The fast path (``validate_fast``) is the default;
    ``AUDITOR_REFERENCE_VALIDATOR=1`` runs openapi-spec-validator itself."""
    from auditor.document import validate_fast

    if not validate_fast.enabled():
        yield from validate_reference(document)
        return
    try:
        bundle, origins = bundle_external(document)
    except BundleTooLarge as exc:
        yield _stopped(document, str(exc))
        return
    seen: set[tuple[str, str]] = set()
    try:
        for ptr, message, raw_ptr, raw_message in validate_fast.errors(bundle, document.version[0]):
            at = _origin(ptr, origins, document.root.name)
            message = _first_line(message)
            if (at.pointer, message) in seen:
                continue
            seen.add((at.pointer, message))
            yield SpecError(at, message, "schema" if raw_ptr or "is a required property" in raw_message else "semantic", (raw_ptr, raw_message))
    except RecursionError:
        yield _stopped(document, "validation stopped: schemas nest or recurse too deeply")


def validate_reference(document: Document) -> Iterator[SpecError]:
    from openapi_spec_validator import (
        OpenAPIV2SpecValidator,
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
        OpenAPIV32SpecValidator,
    )

    family = document.version[0]
    cls = {
        "2.0": OpenAPIV2SpecValidator,
        "3.0": OpenAPIV30SpecValidator,
        "3.1": OpenAPIV31SpecValidator,
        "3.2": OpenAPIV32SpecValidator,
    }[family]
    try:
        bundle, origins = bundle_external(document)
    except BundleTooLarge as exc:
        yield _stopped(document, str(exc))
        return
    validator = cls(bundle, base_uri="")
    seen: set[tuple[str, str]] = set()
    try:
        errors = validator.iter_errors()
        for error in errors:
            path = [str(p) for p in getattr(error, "absolute_path", ()) or ()]
            at = _origin(jp.from_tokens(path), origins, document.root.name)
            message = _first_line(getattr(error, "message", None) or str(error))
            key = (at.pointer, message)
            if key in seen:
                continue
            seen.add(key)
            yield SpecError(at, message, "schema" if path or "is a required property" in message else "semantic", (at.pointer, message))
    except RecursionError:
        yield _stopped(document, "validation stopped: schemas nest or recurse too deeply")
    except Exception as exc:  # the validator raising instead of reporting is a finding, not a crash
        name = type(exc).__name__
        yield _stopped(document, f"{name}: {_first_line(str(exc))}")


def _stopped(document: Document, message: str) -> SpecError:
    return SpecError(At(document.root.name, ""), message, "semantic", ("", message))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _origin(bundle_ptr: str, origins: list[tuple[str, At]], root: str) -> At:
    """The file location of a bundle pointer: the longest inlined prefix wins."""
    best: tuple[str, At] | None = None
    for prefix, at in origins:
        if (bundle_ptr == prefix or bundle_ptr.startswith(prefix + "/")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, at)
    if best is None:
        return At(root, bundle_ptr)
    prefix, at = best
    return At(at.file, at.pointer + bundle_ptr[len(prefix) :])


MAX_BUNDLE_NODES = 1_000_000


class BundleTooLarge(Exception):
    pass


def bundle_external(document: Document) -> tuple[Any, list[tuple[str, At]]]:
    """The root document with external ``$ref``s inlined where the OpenAPI schema allows a
    Reference Object (internal refs of the root stay refs), so the files they reach are
    validated where they are used. Returns the bundle and the (bundle pointer, origin) of every
    inlined subtree.

    A ref stays as written, a Reference Object that validates as one, when it is not followed
    (disallowed, broken or cyclic: ``contract/ref-*`` report why) and where the schema allows
    no Reference (``info: {$ref: ...}``): there the validator reports it as openapi-spec-validator
    does on the document as written. Where a Reference is allowed is asked of the schema itself,
    one level of refs at a time: the bundle is validated with the refs of this level as written,
    those with an error at or under them stay, the others are inlined, and the refs inside what
    they bring are the next level."""
    root = document.root
    if all(ref.startswith("#") for _, ref in document.refs_in(root.name)):
        return root.data, []
    from auditor.document.validate_fast import error_pointers

    bundler = _Bundler(document)
    holder: list[Any] = [None]
    bundler.place(holder, 0, root.data, "", At(root.name, ""), ())
    while bundler.level:
        rejected = _and_ancestors(error_pointers(holder[0], document.version[0]))
        level, bundler.level = bundler.level, []
        for ref in level:
            if ref.out not in rejected:
                bundler.inline(ref)
    return holder[0], bundler.origins


class _Ref(NamedTuple):
    """An external ``$ref`` in the bundle, as written: at ``container[key]`` (bundle pointer
    ``out``), written at ``at``, reached through the refs ``active``."""

    out: str
    container: Any
    key: Any
    node: dict
    at: At
    active: tuple[At, ...]


class _Bundler:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.origins: list[tuple[str, At]] = []
        self.level: list[_Ref] = []  # external refs placed as written, not decided yet
        self.budget = MAX_BUNDLE_NODES

    def place(self, container: Any, key: Any, node: Any, out: str, at: At, active: tuple[At, ...]) -> None:
        """A copy of ``node`` (written at ``at``) at ``container[key]``, bundle pointer ``out``;
        an external ref in it is placed as written (shared, never modified) and joins the level."""
        self.budget -= 1
        if self.budget < 0:  # refs to refs to refs...: a "$ref bomb" grows exponentially when inlined
            raise BundleTooLarge(f"external $refs expand to more than {MAX_BUNDLE_NODES:,} nodes when inlined; the document was not validated")
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and (at.file != self.document.root.name or not ref.startswith("#")):
                container[key] = node
                self.level.append(_Ref(out, container, key, node, at, active))
                return
            copy: dict = {}
            container[key] = copy
            for k, v in node.items():
                self.place(copy, k, v, jp.join(out, k), at.child(k), active)
        elif isinstance(node, list):
            items: list = [None] * len(node)
            container[key] = items
            for i, v in enumerate(node):
                self.place(items, i, v, f"{out}/{i}", At(at.file, f"{at.pointer}/{i}"), active)
        else:
            container[key] = node

    def inline(self, ref: _Ref) -> None:
        """Replace ``ref`` by what it leads to; a ref not followed or looping stays as written."""
        followed = self.document.follow(ref.node, ref.at)
        if followed is None or followed[1] in ref.active or followed[1] == ref.at:
            return
        target, target_at = followed
        self.origins.append((ref.out, target_at))
        self.place(ref.container, ref.key, target, ref.out, target_at, ref.active + (target_at,))


def _and_ancestors(pointers: set[str]) -> set[str]:
    """The pointers and every pointer above them."""
    out: set[str] = set()
    for ptr in pointers:
        while ptr not in out:
            out.add(ptr)
            if not ptr:
                break
            ptr = ptr.rsplit("/", 1)[0]
    return out
