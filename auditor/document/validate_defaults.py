"""Defaults and schemas checked without importing jsonschema: which defaults are surely valid on
the fast path (plain keywords, the common formats), and the meta-schema validators and dialects
for the rest. Part of ``validate_fast``."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

from auditor.document.validate_fast import Error, package_file

# keywords whose meaning jsonschema-rs and openapi-schema-validator's validators share exactly
# for a value without nulls (no $ref to resolve, no regex, no format, no float arithmetic)
_PLAIN_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        # annotations, and Swagger 2.0 parameter fields (a 2.0 default is checked against its parameter)
        "title",
        "description",
        "default",
        "example",
        "examples",
        "nullable",
        "readOnly",
        "writeOnly",
        "deprecated",
        "xml",
        "externalDocs",
        "discriminator",
        "name",
        "in",
        "collectionFormat",
        "allowEmptyValue",
    }
)


# every format that a checker of jsonschema or openapi-schema-validator knows (a test checks);
# any other format is ignored by both validators
CHECKED_FORMATS = frozenset(
    {
        "int32",
        "int64",
        "float",
        "double",
        "byte",
        "binary",
        "password",
        "regex",
        "date",
        "date-time",
        "time",
        "duration",
        "email",
        "idn-email",
        "hostname",
        "idn-hostname",
        "ipv4",
        "ipv6",
        "uri",
        "uri-reference",
        "iri",
        "iri-reference",
        "uri-template",
        "json-pointer",
        "relative-json-pointer",
        "uuid",
        "color",
    }
)
_RE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)  # jsonschema's, with date.fromisoformat


def default_surely_valid(family: str, schema: dict, value: Any) -> bool:
    """True when jsonschema-rs accepts ``value`` and would agree with openapi-schema-validator:
    the schema uses only plain keywords, formats whose check is reproduced here (int32/int64
    ranges, dates, uuids, emails) or that accept anything, and in 2.0/3.0 no ``nullable`` when
    the value holds a null (``nullable`` is OpenAPI 3.0's own). Otherwise
    openapi-schema-validator decides (and words the messages)."""
    has_null, ints, strings = False, [], []
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if node is None:
            has_null = True
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, int) and not isinstance(node, bool):
            ints.append(node)
        elif isinstance(node, str):
            strings.append(node)
    null_is_special = has_null and family in ("2.0", "3.0")  # 3.1+ is plain JSON Schema
    count, stack = 0, [schema]
    while stack:
        node = stack.pop()
        count += 1
        if not isinstance(node, dict) or count > 500:
            return False
        for key, sub in node.items():
            if key == "format":
                if not _format_surely_passes(sub, ints, strings):
                    return False
                continue
            if key not in _PLAIN_KEYWORDS and not key.startswith("x-"):
                return False
            if null_is_special and (key == "nullable" or key == "type" and (sub == "null" or isinstance(sub, list))):
                return False
            if key in ("properties",):
                if not isinstance(sub, dict):
                    return False
                stack.extend(sub.values())
            elif key in ("additionalProperties", "not") and isinstance(sub, dict):
                stack.append(sub)
            elif key == "items":
                stack.extend(sub if isinstance(sub, list) else [sub])
            elif key in ("allOf", "anyOf", "oneOf"):
                if not isinstance(sub, list):
                    return False
                stack.extend(sub)
    import jsonschema_rs

    cls = jsonschema_rs.Draft4Validator if family in ("2.0", "3.0") else jsonschema_rs.Draft202012Validator
    try:
        return bool(cls(schema, validate_formats=False).is_valid(value))
    except Exception:  # noqa: BLE001 - not a schema jsonschema-rs accepts (`required: true` on a 2.0 parameter)
        return False


def _format_surely_passes(fmt: Any, ints: list[int], strings: list[str]) -> bool:
    """True when the format check passes on every number and string of the value (so it passes
    wherever in the value the format applies). The checks are jsonschema's and
    openapi-schema-validator's own, reproduced (tests/test_fast_paths.py compares them)."""
    if not isinstance(fmt, str):
        return False
    if fmt not in CHECKED_FORMATS or fmt in ("float", "double", "password", "binary"):
        return True  # ignored, or a check that accepts every JSON value (3.0 binary is "pragmatic")
    if fmt in ("int32", "int64"):
        bits = 31 if fmt == "int32" else 63
        return all(~(1 << bits) < i < 1 << bits for i in ints)
    if fmt == "date":
        return all(_RE_DATE.fullmatch(s) and _parses(_iso_date, s) for s in strings)
    if fmt in ("email", "idn-email"):
        return all("@" in s for s in strings)
    if fmt == "uuid":
        return all(_parses(_uuid, s) and all(s[i] == "-" for i in (8, 13, 18, 23)) for s in strings)
    return False


def _iso_date(text: str) -> None:
    from datetime import date

    date.fromisoformat(text)


def _uuid(text: str) -> None:
    from uuid import UUID

    UUID(text)


def _parses(parse, text: str) -> bool:
    """jsonschema's date and uuid checks: the value parses (ValueError means it does not)."""
    try:
        parse(text)
        return True
    except ValueError:
        return False


def same(ptr: str, message: str) -> Error:
    return ptr, message, "", message


def hashable(value: Any) -> Any:
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


def specification(cls):
    from referencing.jsonschema import specification_with

    return specification_with(cls.META_SCHEMA.get("$schema", "https://json-schema.org/draft/2020-12/schema"))


@cache
def meta_validator(cls, format_checker):
    """The meta-schema validator ``cls.check_schema(schema, format_checker=...)`` builds
    (jsonschema's, or openapi-schema-validator's with its registry)."""
    from jsonschema.validators import validator_for
    from openapi_schema_validator.validators import check_openapi_schema

    meta_cls = validator_for(cls.META_SCHEMA, default=cls)
    if getattr(cls.check_schema, "__func__", None) is check_openapi_schema:
        from openapi_schema_validator._specifications import REGISTRY

        return meta_cls(cls.META_SCHEMA, format_checker=format_checker, registry=REGISTRY)
    return meta_cls(cls.META_SCHEMA, format_checker=format_checker or meta_cls.FORMAT_CHECKER)


def first_in_document(errors: Iterable[Any], instance: Any) -> Any:
    """check_schema reports the first error jsonschema meets, but its ``additionalProperties``
    visits keys as a set, so that error changed with the hash seed from run to run. This is
    the first in document order instead (ties: the first met)."""

    def place(error) -> tuple[int, ...]:
        node, out = instance, []
        for token in error.path:
            if isinstance(node, dict) and token in node:
                out.append(list(node).index(token))
                node = node[token]
            elif isinstance(node, list) and isinstance(token, int) and 0 <= token < len(node):
                out.append(token)
                node = node[token]
            else:
                break
        return tuple(out)

    return min(errors, key=place, default=None)


@cache
def validator_for_dialect(dialect: str):
    import openapi_schema_validator  # noqa: F401  (registers the OpenAPI dialects)
    from jsonschema.validators import validator_for

    return validator_for({"$schema": dialect}, default=None)


# openapi_schema_validator.OAS31_BASE_DIALECT_ID / OAS32_BASE_DIALECT_ID (a test checks), spelled
# out so that checking a 3.1 document does not import that package (0.2 s, pydantic-settings)
DIALECTS = {
    "3.1": "https://spec.openapis.org/oas/3.1/dialect/base",
    "3.2": "https://spec.openapis.org/oas/3.2/dialect/2025-09-17",
}


def default_dialect(family: str) -> str:
    return DIALECTS["3.2" if family == "3.2" else "3.1"]


def _resources(package: str, *parts: str) -> list[tuple[str, Any]]:
    """(``$id``, schema) of every JSON file under a package folder, read without importing the
    package (what openapi-schema-validator's registry holds)."""
    out = []
    for folder, _, names in os.walk(package_file(package, *parts)):
        for name in sorted(names):
            if name.startswith(".") or name.endswith((".py", ".pyc")):
                continue
            try:
                with open(os.path.join(folder, name), encoding="utf-8") as fh:
                    contents = json.load(fh)
            except (OSError, ValueError):
                continue
            if isinstance(contents, dict) and isinstance(contents.get("$id"), str):
                out.append((contents["$id"].rstrip("#"), contents))
    return out


@cache
def fast_meta(family: str):
    """jsonschema-rs for the meta-schema openapi-spec-validator checks schemas against: Draft 4
    for 2.0/3.0 (OAS30Validator's), the OpenAPI dialect for 3.1/3.2 (from the resources of
    openapi-schema-validator, so the same documents)."""
    import jsonschema_rs

    if family in ("2.0", "3.0"):
        # jsonschema's own copy of the Draft 4 meta-schema: jsonschema-rs's built-in one lacks
        # `uniqueItems` on `enum`
        with open(package_file("jsonschema_specifications", "schemas", "draft4", "metaschema.json"), encoding="utf-8") as fh:
            return jsonschema_rs.Draft4Validator(json.load(fh), validate_formats=False)
    resources = _resources("openapi_schema_validator", "schemas") + _resources("jsonschema_specifications", "schemas", "draft202012")
    return jsonschema_rs.Draft202012Validator({"$ref": default_dialect(family)}, registry=jsonschema_rs.Registry(resources), validate_formats=False)


@lru_cache(maxsize=4096)
def compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
        return True
    except re.error:
        return False
