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
import re
import string
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib.util import find_spec
from typing import Any
from urllib.parse import unquote

from auditor.spec import pointer as jp

OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MISSING = object()
SCHEMA_DIR = {"2.0": "v2.0", "3.0": "v3.0", "3.1": "v3.1", "3.2": "v3.2"}


def enabled() -> bool:
    return os.environ.get("AUDITOR_REFERENCE_VALIDATOR", "") in ("", "0")


# (bundle pointer, message, raw pointer, raw message); raw = what openapi-spec-validator says
Error = tuple[str, str, str, str]


def errors(bundle: Any, family: str) -> Iterator[Error]:
    yield from schema_errors(bundle, family)
    yield from Semantic(bundle, family).run()


# --- 1. the OpenAPI JSON schema through jsonschema-rs --------------------------------------------


@lru_cache(maxsize=None)
def _schema(family: str) -> dict:
    with open(_package_file("openapi_spec_validator", "resources", "schemas", SCHEMA_DIR[family], "schema.json"), encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=None)
def _schema_validator(family: str):
    import jsonschema_rs

    schema = _schema(family)
    return jsonschema_rs.validator_cls_for(schema)(schema)


def _package_file(package: str, *parts: str) -> str:
    """A data file of an installed package, found without importing the package (importing
    openapi-spec-validator costs a third of a second)."""
    spec = find_spec(package)
    assert spec is not None and spec.submodule_search_locations
    return os.path.join(list(spec.submodule_search_locations)[0], *parts)


def schema_errors(bundle: Any, family: str) -> Iterator[Error]:
    for error in _schema_validator(family).iter_errors(bundle):
        raw_ptr = jp.from_tokens(error.instance_path)
        best, context = explain(error, _schema(family))
        ptr = jp.from_tokens(best.instance_path)
        message = _rs_message(best)
        if best is not error:
            message = f"{message} ({context})"
        yield ptr, message, raw_ptr, error.message


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


# --- 2. openapi-spec-validator's semantic checks ---------------------------------------------------


class Semantic:
    """The keyword validators of openapi-spec-validator 0.9, over plain data. Each check names
    the class it mirrors. Nodes reached through ``$ref`` are followed (the bundle's internal
    refs), and every error carries the pointer of the node it is about."""

    def __init__(self, bundle: Any, family: str) -> None:
        self.bundle = bundle
        self.family = family
        self.operations = OPERATIONS + (("query",) if family == "3.2" else ())
        self.operation_ids: set[Any] = set()
        self.meta_checked: set[int] = set()
        self.visited: set[int] = set()
        self._resolver = None
        self._dialect: str | None = None
        self._targets: dict[str, tuple[Any, str]] = {}  # $ref -> (node, pointer)

    # RootValidator
    def run(self) -> Iterator[Error]:
        root = self.bundle
        if not isinstance(root, dict):
            return
        if "tags" in root:
            yield from self.tags(root["tags"], "/tags")
        if "paths" in root:
            paths, ptr = self.deref(root["paths"], "/paths")
            if isinstance(paths, dict):
                for url, item in paths.items():
                    yield from self.path(str(url), *self.deref(item, jp.join(ptr, url)))
        if "components" in root:
            components, ptr = self.deref(root["components"], "/components")
            if isinstance(components, dict) and "schemas" in components:
                schemas, sptr = self.deref(components["schemas"], ptr + "/schemas")
                if isinstance(schemas, dict):
                    for name, schema in schemas.items():
                        yield from self.schema(schema, jp.join(sptr, name))

    def deref(self, node: Any, ptr: str) -> tuple[Any, str]:
        hops = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#") and hops < 64:
            ref = node["$ref"]
            target = self._targets.get(ref)
            if target is None:
                pointer = unquote(ref[1:])
                try:
                    target = self._targets[ref] = (jp.get(self.bundle, pointer), pointer)
                except (KeyError, ValueError):
                    return MISSING, ptr  # reported by contract/ref-resolvable
            node, ptr = target
            hops += 1
        return node, ptr

    # TagsValidator / OpenAPIV32TagsValidator
    def tags(self, tags: Any, ptr: str) -> Iterator[Error]:
        if not isinstance(tags, list):
            return
        seen: set[str] = set()
        parents: dict[str, Any] = {}
        for i, tag in enumerate(tags):
            tag, tptr = self.deref(tag, f"{ptr}/{i}")
            if not isinstance(tag, dict) or not isinstance(tag.get("name"), str):
                continue
            name = tag["name"]
            if name in seen:
                yield _same(tptr, f"Duplicate tag name '{name}'")
            seen.add(name)
            parents[name] = (tag.get("parent"), tptr)
        if self.family != "3.2":
            return
        for name, (parent, tptr) in parents.items():
            if parent is not None and parent not in seen:
                yield _same(tptr + "/parent", f"Tag '{name}' references unknown parent tag '{parent}'")
        reported: set[str] = set()
        for start in parents:
            name, trail, pos = start, [], {}
            while True:
                if name in pos:
                    cycle = " -> ".join(trail[pos[name]:] + [name])
                    if cycle not in reported:
                        reported.add(cycle)
                        yield _same(parents[start][1], f"Circular tag hierarchy detected: {cycle}")
                    break
                pos[name] = len(trail)
                trail.append(name)
                parent = parents.get(name, (None,))[0]
                if parent is None or parent not in seen:
                    break
                name = parent

    # PathValidator / OpenAPIV32PathValidator
    def path(self, url: str, item: Any, ptr: str) -> Iterator[Error]:
        if not isinstance(item, dict):
            return
        path_params = None
        if "parameters" in item:
            path_params, pptr = self.deref(item["parameters"], ptr + "/parameters")
            yield from self.parameters(path_params, pptr)
        for name, op in item.items():
            if name in self.operations:
                yield from self.operation(url, name, *self.deref(op, jp.join(ptr, name)), path_params)
            elif name == "additionalOperations" and self.family == "3.2":
                extra, eptr = self.deref(op, ptr + "/additionalOperations")
                if isinstance(extra, dict):
                    for method, op2 in extra.items():
                        yield from self.operation(url, str(method), *self.deref(op2, jp.join(eptr, method)), path_params)

    # OperationValidator
    def operation(self, url: str, name: str, op: Any, ptr: str, path_params: Any) -> Iterator[Error]:
        if not isinstance(op, dict):
            return
        if "operationId" in op:
            op_id = op["operationId"]
            if op_id is not None and _hashable(op_id) in self.operation_ids:
                yield _same(ptr + "/operationId", f"Operation ID '{op_id}' for '{name}' in '{url}' is not unique")
            self.operation_ids.add(_hashable(op_id))
        if "responses" in op:
            responses, rptr = self.deref(op["responses"], ptr + "/responses")
            if isinstance(responses, dict):
                for code, response in responses.items():
                    yield from self.response(*self.deref(response, jp.join(rptr, code)))
        names: list[str] = []
        if "parameters" in op:
            params, pptr = self.deref(op["parameters"], ptr + "/parameters")
            yield from self.parameters(params, pptr)
            names += self._path_param_names(params)
        if path_params is not None:
            names += self._path_param_names(path_params)
        declared = set(names)
        try:
            in_url = {field for _, field, _, _ in string.Formatter().parse(url) if field}
        except ValueError as exc:  # unbalanced braces: openapi-spec-validator crashes here
            yield _same(ptr, f"ValueError: {exc}")
            return
        for param in sorted(in_url):
            if param not in declared:
                yield _same(ptr, f"Path parameter '{param}' for '{name}' operation in '{url}' was not resolved")
        for param in sorted(declared):
            if param not in in_url:
                yield _same(ptr, f"Path parameter '{param}' for '{name}' operation in '{url}' was not resolved")

    def _path_param_names(self, params: Any) -> list[str]:
        out = []
        if isinstance(params, list):
            for i, param in enumerate(params):
                param, _ = self.deref(param, "")
                if isinstance(param, dict) and param.get("in") == "path" and isinstance(param.get("name"), str):
                    out.append(param["name"])
        return out

    # ParametersValidator / ParameterValidator / OpenAPIV2ParameterValidator
    def parameters(self, params: Any, ptr: str) -> Iterator[Error]:
        if not isinstance(params, list):
            return
        seen: set[tuple] = set()
        for i, param in enumerate(params):
            param, pptr = self.deref(param, f"{ptr}/{i}")
            if not isinstance(param, dict):
                continue
            if "schema" in param:
                yield from self.schema(param["schema"], pptr + "/schema")
            if self.family == "2.0" and "default" in param:
                yield from self.default(param, param["default"], pptr)
            key = (_hashable(param.get("name")), _hashable(param.get("in")))
            if key in seen:
                yield _same(pptr, f"Duplicate parameter '{param.get('name')}'")
            seen.add(key)

    # OpenAPIV2ResponseValidator / OpenAPIV3ResponseValidator / ContentValidator / MediaTypeValidator
    def response(self, response: Any, ptr: str) -> Iterator[Error]:
        if not isinstance(response, dict):
            return
        if self.family == "2.0":
            if "schema" in response:
                yield from self.schema(response["schema"], ptr + "/schema")
            return
        if "content" in response:
            content, cptr = self.deref(response["content"], ptr + "/content")
            if isinstance(content, dict):
                for mime, media in content.items():
                    media, mptr = self.deref(media, jp.join(cptr, mime))
                    if isinstance(media, dict) and "schema" in media:
                        yield from self.schema(media["schema"], mptr + "/schema")

    # SchemaValidator (OpenAPIV30SchemaValidator / OpenAPIV31SchemaValidator)
    def schema(self, node: Any, ptr: str, require_properties: bool = True, meta_checked: bool = False) -> Iterator[Error]:
        stack: list[tuple[Any, str, bool, bool]] = [(node, ptr, require_properties, meta_checked)]
        while stack:
            node, ptr, require_properties, meta_checked = stack.pop()
            yield from self._schema_one(node, ptr, require_properties, meta_checked, stack)

    def _schema_one(self, node: Any, ptr: str, require_properties: bool, meta_checked: bool, stack: list) -> Iterator[Error]:
        value, ptr = self.deref(node, ptr)
        if value is MISSING:
            return
        if not isinstance(value, (dict, bool)):
            yield _same(ptr, f"{value!r} is not of type 'object', 'boolean'")
            return
        key = id(value)
        if not meta_checked and key not in self.meta_checked:
            self.meta_checked.add(key)
            error = self.meta_check(value, ptr)
            if error is not None:
                yield error
                return
        if key in self.visited or not isinstance(value, dict):
            return
        self.visited.add(key)
        children: list[tuple[Any, str, bool, bool]] = []
        nested: set[str] = set()
        for keyword in ("allOf", "anyOf", "oneOf"):
            subs = value.get(keyword)
            if isinstance(subs, list):
                for i, sub in enumerate(subs):
                    children.append((sub, f"{ptr}/{keyword}/{i}", False, True))
                    if keyword == "allOf":
                        nested |= self._collect_properties(sub, set())
        for keyword in ("not", "items"):
            if keyword in value:
                children.append((value[keyword], f"{ptr}/{keyword}", False, True))
        props = value.get("properties")
        if isinstance(props, dict):
            for name, sub in props.items():
                children.append((sub, jp.join(ptr + "/properties", name), False, True))
        stack.extend(reversed(children))  # visit in openapi-spec-validator's order
        required = value.get("required") or []
        if "allOf" in value and require_properties and isinstance(required, list):
            own = set(props) if isinstance(props, dict) else set()
            extra = sorted(str(r) for r in set(map(_hashable, required)) - own - nested)
            if extra:
                yield _same(ptr + "/required", f"Required list has not defined properties: {extra}")
        if "default" in value:
            default = value["default"]
            if default is not None or value.get("nullable") is not True:
                yield from self.default(value, default, ptr)

    def _collect_properties(self, node: Any, active: set[int]) -> set[str]:
        node, _ = self.deref(node, "")
        if not isinstance(node, dict) or id(node) in active:
            return set()
        active = active | {id(node)}
        props = set(node["properties"]) if isinstance(node.get("properties"), dict) else set()
        for keyword in ("allOf", "anyOf", "oneOf"):
            if isinstance(node.get(keyword), list):
                for sub in node[keyword]:
                    props |= self._collect_properties(sub, active)
        for keyword in ("items", "not"):
            if keyword in node:
                props |= self._collect_properties(node[keyword], active)
        return props

    # the meta-check: OAS30Validator.check_schema, or the 3.1/3.2 dialect's check_schema
    def meta_check(self, value: Any, ptr: str) -> Error | None:
        if self._meta_fast_ok(value):
            return None
        try:
            checker = self._meta_checker(value)
        except ValueError as exc:
            return _same(ptr, str(exc))
        err = _first_in_document(checker.iter_errors(value), value)  # errors are yielded, not raised
        if err is None:
            return None
        return ptr + jp.from_tokens(err.path), err.message, jp.from_tokens(err.path), err.message

    def _meta_fast_ok(self, value: Any) -> bool:
        """True when the meta-schema surely accepts ``value`` as jsonschema's check_schema would:
        jsonschema-rs says valid, and every regex compiles with Python's ``re`` (jsonschema checks
        the ``regex`` format with it; Rust's regex accepts more). Otherwise the Python check
        decides, and gives the message."""
        if self.family in ("3.1", "3.2"):
            if isinstance(value, dict) and "$schema" in value:
                return False
            root = self.bundle.get("jsonSchemaDialect") if isinstance(self.bundle, dict) else None
            if root is not None and root != _default_dialect(self.family):
                return False
        if not _fast_meta(self.family).is_valid(value):
            return False
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                pattern = node.get("pattern")
                if isinstance(pattern, str) and not _compiles(pattern):
                    return False
                pattern_props = node.get("patternProperties")
                if isinstance(pattern_props, dict) and not all(_compiles(str(k)) for k in pattern_props):
                    return False
                stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
            elif isinstance(node, list):
                stack.extend(v for v in node if isinstance(v, (dict, list)))
        return True

    def _meta_checker(self, value: Any):
        """The meta-schema validator that ``check_schema`` of the schema's dialect would use."""
        if self.family in ("2.0", "3.0"):
            from openapi_schema_validator.validators import OAS30Validator

            return _meta_validator(OAS30Validator, None)
        import openapi_schema_validator as osv

        default = osv.OAS32_BASE_DIALECT_ID if self.family == "3.2" else osv.OAS31_BASE_DIALECT_ID
        checker_format = osv.oas32_format_checker if self.family == "3.2" else osv.oas31_format_checker
        if isinstance(value, dict) and "$schema" in value:
            dialect = value["$schema"]
            if not isinstance(dialect, str):
                raise ValueError(f"Unknown JSON Schema dialect: {dialect!r}")
        else:
            if self._dialect is None:
                root = self.bundle.get("jsonSchemaDialect") if isinstance(self.bundle, dict) else None
                self._dialect = root if isinstance(root, str) else default
            dialect = self._dialect
        cls = _validator_for_dialect(dialect)
        if cls is None:
            raise ValueError(f"Unknown JSON Schema dialect: {dialect!r}")
        return _meta_validator(cls, checker_format)

    # OpenAPIV30ValueValidator / OpenAPIV31ValueValidator / OpenAPIV32ValueValidator
    def default(self, schema: dict, value: Any, ptr: str) -> Iterator[Error]:
        if _default_surely_valid(self.family, schema, value):
            return  # most defaults: no need for openapi-schema-validator (importing it costs 0.2 s)
        import openapi_schema_validator as osv
        from openapi_schema_validator.validators import OAS30Validator, OAS31Validator, OAS32Validator

        cls, checker = {
            "2.0": (OAS30Validator, osv.oas30_format_checker),
            "3.0": (OAS30Validator, osv.oas30_format_checker),
            "3.1": (OAS31Validator, osv.oas31_format_checker),
            "3.2": (OAS32Validator, osv.oas32_format_checker),
        }[self.family]
        validator = cls(schema, _resolver=self._ref_resolver(cls), format_checker=checker)
        try:
            for err in validator.iter_errors(value):
                yield ptr + "/default" + jp.from_tokens(err.absolute_path), err.message, "", err.message
        except Exception as exc:  # an unresolvable $ref inside the schema, a bad pattern, ...
            yield _same(ptr + "/default", f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}")

    def _ref_resolver(self, cls):
        if self._resolver is None:
            from referencing import Registry, Resource

            resource = Resource.from_contents(self.bundle, default_specification=_specification(cls))
            self._resolver = Registry().with_resource("", resource).resolver(base_uri="")
        return self._resolver


# keywords whose meaning jsonschema-rs and openapi-schema-validator's validators share exactly
# for a value without nulls (no $ref to resolve, no regex, no format, no float arithmetic)
_PLAIN_KEYWORDS = frozenset({
    "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "minItems", "maxItems", "minProperties", "maxProperties", "required", "properties", "additionalProperties",
    "items", "allOf", "anyOf", "oneOf", "not",
    # annotations, and Swagger 2.0 parameter fields (a 2.0 default is checked against its parameter)
    "title", "description", "default", "example", "examples", "nullable", "readOnly", "writeOnly", "deprecated",
    "xml", "externalDocs", "discriminator", "name", "in", "collectionFormat", "allowEmptyValue",
})


# every format that a checker of jsonschema or openapi-schema-validator knows (a test checks);
# any other format is ignored by both validators
CHECKED_FORMATS = frozenset({
    "int32", "int64", "float", "double", "byte", "binary", "password", "regex",
    "date", "date-time", "time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6",
    "uri", "uri-reference", "iri", "iri-reference", "uri-template", "json-pointer", "relative-json-pointer",
    "uuid", "color",
})
_RE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)  # jsonschema's, with date.fromisoformat


def _default_surely_valid(family: str, schema: dict, value: Any) -> bool:
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


def _same(ptr: str, message: str) -> Error:
    return ptr, message, "", message


def _hashable(value: Any) -> Any:
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


def _specification(cls):
    from referencing.jsonschema import specification_with

    return specification_with(cls.META_SCHEMA.get("$schema", "https://json-schema.org/draft/2020-12/schema"))


@lru_cache(maxsize=None)
def _meta_validator(cls, format_checker):
    """The meta-schema validator ``cls.check_schema(schema, format_checker=...)`` builds
    (jsonschema's, or openapi-schema-validator's with its registry)."""
    from jsonschema.validators import validator_for
    from openapi_schema_validator.validators import check_openapi_schema

    meta_cls = validator_for(cls.META_SCHEMA, default=cls)
    if getattr(cls.check_schema, "__func__", None) is check_openapi_schema:
        from openapi_schema_validator._specifications import REGISTRY

        return meta_cls(cls.META_SCHEMA, format_checker=format_checker, registry=REGISTRY)
    return meta_cls(cls.META_SCHEMA, format_checker=format_checker or meta_cls.FORMAT_CHECKER)


def _first_in_document(errors: Iterable[Any], instance: Any) -> Any:
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


@lru_cache(maxsize=None)
def _validator_for_dialect(dialect: str):
    from jsonschema.validators import validator_for

    import openapi_schema_validator  # noqa: F401  (registers the OpenAPI dialects)

    return validator_for({"$schema": dialect}, default=None)


# openapi_schema_validator.OAS31_BASE_DIALECT_ID / OAS32_BASE_DIALECT_ID (a test checks), spelled
# out so that checking a 3.1 document does not import that package (0.2 s, pydantic-settings)
DIALECTS = {
    "3.1": "https://spec.openapis.org/oas/3.1/dialect/base",
    "3.2": "https://spec.openapis.org/oas/3.2/dialect/2025-09-17",
}


def _default_dialect(family: str) -> str:
    return DIALECTS["3.2" if family == "3.2" else "3.1"]


def _resources(package: str, *parts: str) -> list[tuple[str, Any]]:
    """(``$id``, schema) of every JSON file under a package folder, read without importing the
    package (what openapi-schema-validator's registry holds)."""
    out = []
    for folder, _, names in os.walk(_package_file(package, *parts)):
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


@lru_cache(maxsize=None)
def _fast_meta(family: str):
    """jsonschema-rs for the meta-schema openapi-spec-validator checks schemas against: Draft 4
    for 2.0/3.0 (OAS30Validator's), the OpenAPI dialect for 3.1/3.2 (from the resources of
    openapi-schema-validator, so the same documents)."""
    import jsonschema_rs

    if family in ("2.0", "3.0"):
        # jsonschema's own copy of the Draft 4 meta-schema: jsonschema-rs's built-in one lacks
        # `uniqueItems` on `enum`
        with open(_package_file("jsonschema_specifications", "schemas", "draft4", "metaschema.json"), encoding="utf-8") as fh:
            return jsonschema_rs.Draft4Validator(json.load(fh), validate_formats=False)
    resources = _resources("openapi_schema_validator", "schemas") + _resources("jsonschema_specifications", "schemas", "draft202012")
    return jsonschema_rs.Draft202012Validator(
        {"$ref": _default_dialect(family)}, registry=jsonschema_rs.Registry(resources), validate_formats=False
    )


@lru_cache(maxsize=4096)
def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
        return True
    except re.error:
        return False
