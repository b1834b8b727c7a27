"""inputs/ rules on inline documents: what bounds a string, a number or an array (formats, enums,
patterns, a bound in another allOf part), request side only by default, a shared component
reported once with its operations, Swagger 2.0 form fields; closed request objects (maps,
`additionalProperties: false` in an allOf part, unevaluatedProperties in 3.1); an unresolvable
$ref is not an empty schema."""

from __future__ import annotations

import pytest

# --- bounded strings, numbers and arrays ------------------------------------------------------


def _body(schema: str, version: str = "3.0.3") -> str:
    return f"""
    openapi: {version}
    info: {{title: t, version: 1.0.0}}
    paths:
      /things:
        post:
          requestBody: {{content: {{application/json: {{schema: {schema}}}}}}}
          responses: {{"201": {{description: ok}}}}
    """


@pytest.mark.parametrize(
    "prop",
    [
        "{type: string, format: uuid}",
        "{type: string, format: date-time}",
        "{type: string, format: ipv6}",
        "{type: string, enum: [a, b]}",
        "{type: string, const: x}",
        "{type: string, format: binary}",
        "{type: string, pattern: '^[0-9]{4,8}$'}",
        "{type: string, maxLength: 10}",
        "{type: string, readOnly: true}",
    ],
)
def test_bounded_strings_are_not_reported(lint, prop):
    assert lint(_body(f"{{type: object, properties: {{p: {prop}}}}}"), "inputs/string-bounded") == []


@pytest.mark.parametrize("prop", ["{type: string}", "{type: string, format: email}", "{type: string, pattern: '^[a-z]+$'}"])
def test_unbounded_strings_are_reported(lint, prop):
    assert len(lint(_body(f"{{type: object, properties: {{p: {prop}}}}}"), "inputs/string-bounded")) == 1


def test_a_bound_in_another_allof_part_counts(lint):
    schema = "{allOf: [{type: string}, {maxLength: 20}]}"
    assert lint(_body(schema), "inputs/string-bounded") == []


def test_response_strings_and_query_strings_are_not_checked_by_default(lint):
    spec = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    paths:
      /things:
        get:
          parameters: [{name: q, in: query, schema: {type: string}}, {name: ids, in: query, schema: {type: array, items: {type: integer, minimum: 0, maximum: 9}}}]
          responses:
            "200": {description: ok, content: {application/json: {schema: {type: object, properties: {name: {type: string}}}}}}
    """
    assert lint(spec, "inputs/string-bounded") == []
    assert lint(spec, "inputs/array-bounded") == []
    assert len(lint(spec, "inputs/string-bounded", {"check-parameters": True})) == 1
    assert len(lint(spec, "inputs/array-bounded", {"check-parameters": True})) == 1


def test_shared_component_is_reported_once_with_its_operations(lint):
    spec = """
    swagger: "2.0"
    info: {title: t, version: 1.0.0}
    definitions:
      Thing: {type: object, properties: {name: {type: string}}}
    paths:
      /a: {post: {parameters: [{in: body, name: b, schema: {$ref: "#/definitions/Thing"}}], responses: {"200": {description: ok}}}}
      /b: {put: {parameters: [{in: body, name: b, schema: {$ref: "#/definitions/Thing"}}], responses: {"200": {description: ok}}}}
    """
    [finding] = lint(spec, "inputs/string-bounded")
    assert finding.location.pointer == "/definitions/Thing/properties/name"
    assert finding.evidence["operations"] == ["POST /a", "PUT /b"]


def test_swagger2_form_fields_are_checked_and_files_are_not(lint):
    spec = """
    swagger: "2.0"
    info: {title: t, version: 1.0.0}
    paths:
      /upload:
        post:
          consumes: [multipart/form-data]
          parameters:
            - {name: file, in: formData, type: file}
            - {name: note, in: formData, type: string}
          responses: {"200": {description: ok}}
    """
    [finding] = lint(spec, "inputs/string-bounded")
    assert "'note'" in finding.message


def test_integer_format_does_not_bound_a_number(lint):
    assert len(lint(_body("{type: object, properties: {n: {type: integer, format: int32}}}"), "inputs/number-bounded")) == 1
    assert lint(_body("{type: object, properties: {n: {type: integer, minimum: 0, exclusiveMaximum: 10}}}", "3.1.0"), "inputs/number-bounded") == []


# --- closed request objects -------------------------------------------------------------------


def test_maps_need_max_properties_not_closing(lint):
    open_map = "{type: object, additionalProperties: {type: string, maxLength: 5}}"
    [finding] = lint(_body(open_map), "inputs/closed-request-objects")
    assert "maxProperties" in finding.message
    bounded = "{type: object, maxProperties: 20, additionalProperties: {type: string, maxLength: 5}}"
    assert lint(_body(bounded), "inputs/closed-request-objects") == []


def test_allof_part_with_additional_properties_false_is_the_trap(lint):
    schema = """{allOf: [{type: object, additionalProperties: false, properties: {a: {type: string}}}, {type: object, properties: {b: {type: string}}}]}"""
    [finding] = lint(_body(schema), "inputs/closed-request-objects")
    assert finding.location.pointer.endswith("/allOf/0/additionalProperties")
    assert "rejects" in finding.message


def test_composed_objects_close_with_unevaluated_properties_in_31(lint):
    composed = "{allOf: [{type: object, properties: {a: {type: string}}}, {type: object, properties: {b: {type: string}}}]}"
    assert lint(_body(composed, "3.0.3"), "inputs/closed-request-objects") == []  # cannot be closed in 3.0
    assert len(lint(_body(composed, "3.1.0"), "inputs/closed-request-objects")) == 1
    closed = composed[:-1] + ", unevaluatedProperties: false}"
    assert lint(_body(closed, "3.1.0"), "inputs/closed-request-objects") == []


def test_response_objects_stay_open(lint):
    spec = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    paths:
      /things:
        get:
          responses:
            "200": {description: ok, content: {application/json: {schema: {type: object, properties: {a: {type: string}}}}}}
    """
    assert lint(spec, "inputs/closed-request-objects") == []


# --- request schemas --------------------------------------------------------------------------


def test_an_unresolvable_ref_is_not_an_empty_schema(lint):
    spec = _body('{$ref: "#/components/schemas/Missing"}')
    assert lint(spec, "inputs/request-schemas-defined") == []
    assert len(lint(_body("{}"), "inputs/request-schemas-defined")) == 1


def test_a_null_branch_of_a_nullable_number_is_not_an_unbounded_number(lint):
    """OpenAPI 3.1 nullable fields are `anyOf: [{...}, {type: "null"}]`: the null branch has no
    number to bound (Prefect's document had 500 such findings)."""
    spec = _body(
        "{type: object, properties: {n: {anyOf: [{type: integer, minimum: 0, maximum: 9}, {type: 'null'}]}, m: {type: ['number', 'null']}}}",
        "3.1.0",
    )
    assert [f.message for f in lint(spec, "inputs/number-bounded")] == ["number property 'm' has no minimum or maximum"]
