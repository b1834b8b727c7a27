"""The fast validation path: the same checks as openapi-spec-validator, without its cost.

1. The structural check runs the JSON schema that openapi-spec-validator ships through
   jsonschema-rs directly (compiled once per version). openapi-spec-validator uses the same
   backend, so the errors and their paths are the same; ``oneOf``/``anyOf`` failures are then
   explained with the alternative that came closest (see ``explain``).
2. The semantic checks (openapi-spec-validator's keyword validators: duplicate operationIds,
   tags and parameters, unresolved path parameters, schema meta-checks, defaults valid against
   their schema, required properties defined under ``allOf``) are re-implemented over plain
   dicts here, with the same messages. Its implementation walks the document through
   jsonschema-path accessors, which dominate its run time; this walk costs a few ms. Unlike it,
   every error here points at the node it is about, and a malformed node is skipped instead of
   stopping validation.

``AUDITOR_REFERENCE_VALIDATOR=1`` runs openapi-spec-validator itself instead (the equivalence
test compares both).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cache
from importlib.util import find_spec
from typing import Any

from auditor.document import pointer as jp

OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MISSING = object()
SCHEMA_DIR = {"2.0": "v2.0", "3.0": "v3.0", "3.1": "v3.1", "3.2": "v3.2"}


def enabled() -> bool:
    return os.environ.get("AUDITOR_REFERENCE_VALIDATOR", "") in ("", "0")


# (bundle pointer, message, raw pointer, raw message); raw = what openapi-spec-validator says
Error = tuple[str, str, str, str]


def errors(bundle: Any, family: str) -> Iterator[Error]:
    yield from schema_errors(bundle, family)
    from auditor.document.validate_semantic import Semantic

    yield from Semantic(bundle, family).run()


# --- 1. the OpenAPI JSON schema through jsonschema-rs --------------------------------------------


@cache
def _schema(family: str) -> dict:
    with open(package_file("openapi_spec_validator", "resources", "schemas", SCHEMA_DIR[family], "schema.json"), encoding="utf-8") as fh:
        return json.load(fh)


@cache
def _schema_validator(family: str):
    import jsonschema_rs

    schema = _schema(family)
    return jsonschema_rs.validator_cls_for(schema)(schema)


def package_file(package: str, *parts: str) -> str:
    """A data file of an installed package, found without importing the package (importing
    openapi-spec-validator costs a third of a second)."""
    document = find_spec(package)
    assert document is not None and document.submodule_search_locations
    return os.path.join(list(document.submodule_search_locations)[0], *parts)


def schema_errors(bundle: Any, family: str) -> Iterator[Error]:
    for error in _schema_validator(family).iter_errors(bundle):
        raw_ptr = jp.from_tokens(error.instance_path)
        best, context = explain(error, _schema(family))
        ptr = jp.from_tokens(best.instance_path)
        message = _rs_message(best)
        if best is not error:
            message = f"{message} ({context})"
        yield ptr, message, raw_ptr, error.message


def error_pointers(bundle: Any, family: str) -> set[str]:
    """The instance pointer of every structural error (where the schema rejects a node)."""
    return {jp.from_tokens(error.instance_path) for error in _schema_validator(family).iter_errors(bundle)}


def _rs_message(error) -> str:
    return error.message


_ALTERNATIVE_KINDS = {"OneOfNotValid": "oneOf", "AnyOf": "anyOf"}


def explain(error, schema: Any = None, depth: int = 0) -> tuple[Any, str]:
    """For a failed ``oneOf``/``anyOf``: the sub-error of the alternative that came closest, and
    a note on what was tried. The closest alternative is the one that got furthest into the
    instance with the fewest errors; a ``$ref``-only alternative (Reference Object) loses to
    any other when the node has no ``$ref``."""
    kind = error.kind
    keyword = _ALTERNATIVE_KINDS.get(type(kind).__name__)
    context = getattr(kind, "context", None)
    if keyword is None or not context or depth > 8:
        return error, ""
    instance = error.instance
    has_ref = isinstance(instance, dict) and "$ref" in instance

    here = len(error.instance_path)

    def score(branch: list) -> tuple:
        kinds = [type(e.kind).__name__ for e in branch]
        only_ref = all(k == "Required" and '"$ref"' in e.message for k, e in zip(kinds, branch))
        # a branch rejected by a fixed value (`in: {enum: [query]}`) or by the node's type was
        # another variant, not a near miss
        discriminated = any(k in ("Enum", "Constant") and len(e.instance_path) <= here + 1 for k, e in zip(kinds, branch))
        wrong_type = any(k == "Type" and len(e.instance_path) == here for k, e in zip(kinds, branch))
        deepest = max((len(e.instance_path) for e in branch), default=0)
        return (only_ref and not has_ref, wrong_type, discriminated, len(branch), -deepest)

    branches = [b for b in context if b]
    if not branches:
        return error, ""
    best_branch = min(branches, key=score)
    best = max(best_branch, key=lambda e: len(e.instance_path))
    inner, _ = explain(best, schema, depth + 1)
    name = _alternative_name(schema, list(error.schema_path), context.index(best_branch))
    where = jp.from_tokens(error.instance_path) or "the document root"
    note = f"{where} matches none of the {len(context)} '{keyword}' alternatives; the closest, {name}, fails here"
    return inner, note


def _alternative_name(schema: Any, path: list, index: int) -> str:
    """A readable name for alternative ``index`` of the ``oneOf``/``anyOf`` at ``path`` in the
    OpenAPI schema: the definition it refers to ("Parameter"), else its title or description."""
    node = schema
    for token in path:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and isinstance(token, int) and token < len(node):
            node = node[token]
        else:
            return f"alternative {index + 1}"
    alt = node[index] if isinstance(node, list) and index < len(node) else None
    if isinstance(alt, dict):
        if isinstance(alt.get("$ref"), str):
            return alt["$ref"].rsplit("/", 1)[-1]
        for key in ("title", "description"):
            if isinstance(alt.get(key), str) and len(alt[key]) <= 60:
                return repr(alt[key])
    return f"alternative {index + 1}"
