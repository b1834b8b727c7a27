"""openapi-spec-validator's semantic checks (its keyword validators: duplicate operationIds, tags
and parameters, unresolved path parameters, schema meta-checks, defaults valid against their
schema, required properties defined under ``allOf``) re-implemented over plain dicts with the
same messages; every error points at the node it is about. Part of ``validate_fast``."""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from auditor.document import pointer as jp
from auditor.document.validate_defaults import (
    compiles,
    default_dialect,
    default_surely_valid,
    fast_meta,
    first_in_document,
    hashable,
    meta_validator,
    same,
    specification,
    validator_for_dialect,
)
from auditor.document.validate_fast import MISSING, OPERATIONS, Error


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
        """The node a ``$ref`` chain leads to; ``MISSING`` when it leads nowhere, or to an external
        ref the bundle kept as written (not followed, or where no Reference is allowed): what is
        behind it is unknown, and checks skip it rather than guess (``contract/ref-*`` and the
        schema errors say why)."""
        hops = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and hops < 64:
            ref = node["$ref"]
            if not ref.startswith("#"):
                return MISSING, ptr
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
                yield same(tptr, f"Duplicate tag name '{name}'")
            seen.add(name)
            parents[name] = (tag.get("parent"), tptr)
        if self.family != "3.2":
            return
        for name, (parent, tptr) in parents.items():
            if parent is not None and parent not in seen:
                yield same(tptr + "/parent", f"Tag '{name}' references unknown parent tag '{parent}'")
        reported: set[str] = set()
        for start in parents:
            name = start
            trail: list[str] = []
            pos: dict[str, int] = {}
            while True:
                if name in pos:
                    cycle = " -> ".join(trail[pos[name] :] + [name])
                    if cycle not in reported:
                        reported.add(cycle)
                        yield same(parents[start][1], f"Circular tag hierarchy detected: {cycle}")
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
            if op_id is not None and hashable(op_id) in self.operation_ids:
                yield same(ptr + "/operationId", f"Operation ID '{op_id}' for '{name}' in '{url}' is not unique")
            self.operation_ids.add(hashable(op_id))
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
        unknown = MISSING in declared  # a parameter not followed may be the missing one
        try:
            in_url = {field for _, field, _, _ in string.Formatter().parse(url) if field}
        except ValueError as exc:  # unbalanced braces: openapi-spec-validator crashes here
            yield same(ptr, f"ValueError: {exc}")
            return
        for param in sorted(in_url):
            if param not in declared and not unknown:
                yield same(ptr, f"Path parameter '{param}' for '{name}' operation in '{url}' was not resolved")
        for param in sorted(declared - {MISSING}):
            if param not in in_url:
                yield same(ptr, f"Path parameter '{param}' for '{name}' operation in '{url}' was not resolved")

    def _path_param_names(self, params: Any) -> list[Any]:
        """The names of the path parameters; ``MISSING`` for a parameter whose ref leads nowhere."""
        out: list[Any] = []
        if isinstance(params, list):
            for param in params:
                param, _ = self.deref(param, "")
                if param is MISSING:
                    out.append(MISSING)
                elif isinstance(param, dict) and param.get("in") == "path" and isinstance(param.get("name"), str):
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
            key = (hashable(param.get("name")), hashable(param.get("in")))
            if key in seen:
                yield same(pptr, f"Duplicate parameter '{param.get('name')}'")
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
            yield same(ptr, f"{value!r} is not of type 'object', 'boolean'")
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
            extra = sorted(str(r) for r in set(map(hashable, required)) - own - nested)
            if extra:
                yield same(ptr + "/required", f"Required list has not defined properties: {extra}")
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
            return same(ptr, str(exc))
        err = first_in_document(checker.iter_errors(value), value)  # errors are yielded, not raised
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
            if root is not None and root != default_dialect(self.family):
                return False
        if not fast_meta(self.family).is_valid(value):
            return False
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                pattern = node.get("pattern")
                if isinstance(pattern, str) and not compiles(pattern):
                    return False
                pattern_props = node.get("patternProperties")
                if isinstance(pattern_props, dict) and not all(compiles(str(k)) for k in pattern_props):
                    return False
                stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
            elif isinstance(node, list):
                stack.extend(v for v in node if isinstance(v, (dict, list)))
        return True

    def _meta_checker(self, value: Any):
        """The meta-schema validator that ``check_schema`` of the schema's dialect would use."""
        if self.family in ("2.0", "3.0"):
            from openapi_schema_validator.validators import OAS30Validator

            return meta_validator(OAS30Validator, None)
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
        cls = validator_for_dialect(dialect)
        if cls is None:
            raise ValueError(f"Unknown JSON Schema dialect: {dialect!r}")
        return meta_validator(cls, checker_format)

    # OpenAPIV30ValueValidator / OpenAPIV31ValueValidator / OpenAPIV32ValueValidator
    def default(self, schema: dict, value: Any, ptr: str) -> Iterator[Error]:
        if default_surely_valid(self.family, schema, value):
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
            ref = getattr(exc, "ref", None)  # referencing's Unresolvable
            if isinstance(ref, str) and not ref.startswith("#"):
                return  # an external ref the bundle kept as written (see deref)
            yield same(ptr + "/default", f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}")

    def _ref_resolver(self, cls):
        if self._resolver is None:
            from referencing import Registry, Resource

            resource = Resource.from_contents(self.bundle, default_specification=specification(cls))
            self._resolver = Registry().with_resource("", resource).resolver(base_uri="")
        return self._resolver
