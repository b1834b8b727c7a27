"""Structural and semantic validation, every error, each mapped back to the file and pointer
where the offending node is written (through external ``$ref``s). The checks are those of
openapi-spec-validator; ``validate_fast`` runs them fast, ``validate_reference`` through it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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
    does on the document as written. Where a Reference is allowed is asked of the schema itself:
    the refs of each level are first left as written, and those with an error at or under them
    are kept; the allowed ones are inlined and the refs inside them are the next level."""
    root = document.root
    if all(ref.startswith("#") for _, ref in document.refs_in(root.name)):
        return root.data, []
    decided: dict[str, bool] = {}  # bundle pointer of an external ref -> inlined?
    while True:
        bundle, origins, undecided = _inline(document, decided)
        if not undecided:
            return bundle, origins
        from auditor.document.validate_fast import error_pointers

        errors = error_pointers(bundle, document.version[0])
        for ptr in undecided:
            decided[ptr] = not any(e == ptr or e.startswith(ptr + "/") for e in errors)


def _inline(document: Document, decided: dict[str, bool]) -> tuple[Any, list[tuple[str, At]], list[str]]:
    """The bundle for the decisions so far, its origins, and the refs not decided yet (left as
    written in this bundle)."""
    root = document.root
    origins: list[tuple[str, At]] = []
    undecided: list[str] = []
    budget = [MAX_BUNDLE_NODES]

    def inline(node: Any, out: str, ptr: str, file: str, active: tuple[At, ...]) -> Any:
        """A copy of ``node`` (at ``file``#``ptr``), to be placed at bundle pointer ``out``."""
        budget[0] -= 1
        if budget[0] < 0:  # refs to refs to refs...: a "$ref bomb" grows exponentially when inlined
            raise BundleTooLarge(f"external $refs expand to more than {MAX_BUNDLE_NODES:,} nodes when inlined; the document was not validated")
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and (file != root.name or not ref.startswith("#")):
                here = At(file, ptr)
                inlined = decided.get(out)
                if inlined is None:
                    undecided.append(out)
                followed = document.follow(node, here) if inlined else None
                if followed is not None and followed[1] not in active and followed[1] != here:
                    target, target_at = followed
                    origins.append((out, target_at))
                    return inline(target, out, target_at.pointer, target_at.file, active + (target_at,))
            return {k: inline(v, jp.join(out, k), jp.join(ptr, k), file, active) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v, f"{out}/{i}", f"{ptr}/{i}", file, active) for i, v in enumerate(node)]
        return node

    return inline(root.data, "", "", root.name, ()), origins, undecided
