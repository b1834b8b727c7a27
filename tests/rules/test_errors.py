"""errors/ rules on inline documents: error schemas composed with allOf and oneOf or behind external
refs, `default` and status ranges, a shared component reported once with its operations,
problem JSON served as application/json, Swagger 2.0 `produces`, and which property names
expose internals (a stack trace does, a correlation `trace` does not)."""

from __future__ import annotations

import pytest
from rule_helpers import doc3, operations, run_rule

from auditor.exceptions import InputError

# --- errors/error-responses-defined -----------------------------------------------------------


def test_default_counts_as_4xx_and_5xx(tmp_path):
    doc = doc3("""
        "200": {description: ok}
        default: {description: any error}""")
    assert run_rule(tmp_path, "errors/error-responses-defined", doc) == []


def test_lowercase_and_uppercase_ranges_count(tmp_path):
    doc = doc3("""
        "200": {description: ok}
        "4xx": {description: client error}
        "5XX": {description: server error}""")
    assert run_rule(tmp_path, "errors/error-responses-defined", doc) == []


def test_missing_5xx_named_in_message(tmp_path):
    doc = doc3("""
        "200": {description: ok}
        "404": {description: missing}""")
    findings = run_rule(tmp_path, "errors/error-responses-defined", doc)
    assert len(findings) == 2
    assert all("5xx" in f.message and "4xx" not in f.message for f in findings)


def test_swagger2_responses_through_ref(tmp_path):
    doc = """
    swagger: "2.0"
    info: {title: t, version: 1.0.0}
    paths:
      /pets:
        get:
          responses:
            "200": {description: ok}
            "400": {$ref: "#/responses/Bad"}
            "500": {$ref: "#/responses/Bad"}
    responses:
      Bad: {description: bad}
    """
    assert run_rule(tmp_path, "errors/error-responses-defined", doc) == []


# --- errors/structured-error-schema -----------------------------------------------------------


def test_problem_through_external_ref_and_allof(tmp_path):
    doc = doc3("""
        "200": {description: ok}
        default:
          description: problem
          content:
            application/json:
              schema:
                allOf:
                  - $ref: "schemas/problem.yaml#/Problem"
                  - {properties: {traceId: {type: string}}}""")
    files = {"schemas/problem.yaml": "Problem:\n  allOf:\n    - $ref: '#/Base'\nBase:\n  properties:\n    title: {type: string}\n    detail: {type: string}\n"}
    assert run_rule(tmp_path, "errors/structured-error-schema", doc, files) == []


def test_bad_shared_schema_is_one_finding_listing_operations(tmp_path):
    doc = doc3(
        """
        "200": {description: ok}
        default:
          description: error
          content:
            application/json: {schema: {$ref: "#/components/schemas/Oops"}}""",
        """
    Oops:
      properties:
        oops: {type: string}""",
    )
    findings = run_rule(tmp_path, "errors/structured-error-schema", doc)
    assert len(findings) == 1
    assert findings[0].location.pointer == "/components/schemas/Oops"
    assert sorted(operations(findings[0])) == ["GET /pets", "POST /pets"]


def test_unresolvable_ref_is_left_to_the_contract_rule(tmp_path):
    doc = doc3("""
        "200": {description: ok}
        default:
          description: error
          content:
            application/json: {schema: {$ref: "https://example.com/problem-1.0.1.yaml#/Problem"}}""")
    assert run_rule(tmp_path, "errors/structured-error-schema", doc) == []


def test_other_shapes_named_and_accepted_by_option(tmp_path):
    doc = doc3("""
        "200": {description: ok}
        default:
          description: error
          content:
            application/json:
              schema:
                properties:
                  error:
                    properties: {code: {type: string}, message: {type: string}}""")
    findings = run_rule(tmp_path, "errors/structured-error-schema", doc)
    assert findings and "Microsoft/Azure" in findings[0].message and "does not accept" in findings[0].message
    assert run_rule(tmp_path, "errors/structured-error-schema", doc, shapes=["rfc9457", "azure"]) == []


def test_custom_shape(tmp_path):
    doc = doc3("""
        "200": {description: ok}
        default:
          description: error
          content:
            application/json:
              schema:
                properties:
                  fault: {properties: {id: {type: string}, text: {type: string}}}""")
    assert run_rule(tmp_path, "errors/structured-error-schema", doc)
    assert run_rule(tmp_path, "errors/structured-error-schema", doc, custom_shapes=["fault.id,fault.text"]) == []


def test_unknown_shape_option_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="unknown shape"):
        run_rule(tmp_path, "errors/structured-error-schema", doc3('\n        "200": {description: ok}'), shapes=["soap"])


def test_oneof_every_branch_must_match(tmp_path):
    doc = doc3("""
        "200": {description: ok}
        default:
          description: error
          content:
            application/json:
              schema:
                oneOf:
                  - $ref: "#/components/schemas/Problem"
                  - {properties: {text: {type: string}}}""")
    findings = run_rule(tmp_path, "errors/structured-error-schema", doc)
    assert len(findings) == 2  # the schema is written inline in GET and in POST
    assert all(f.location.pointer.endswith("/oneOf/1") and "branch" in f.message for f in findings)


def test_swagger2_error_schema_needs_json_in_produces(tmp_path):
    doc = """
    swagger: "2.0"
    info: {title: t, version: 1.0.0}
    produces: [application/xml]
    paths:
      /pets:
        get:
          responses:
            "200": {description: ok}
            default: {description: error, schema: {$ref: "#/definitions/Problem"}}
        post:
          produces: [application/problem+json]
          responses:
            "201": {description: ok}
            default: {description: error, schema: {$ref: "#/definitions/Problem"}}
    definitions:
      Problem: {properties: {title: {type: string}, detail: {type: string}}}
    """
    findings = run_rule(tmp_path, "errors/structured-error-schema", doc)
    assert [f.message for f in findings] == ["error response default has no JSON body (only application/xml)"]
    assert operations(findings[0]) == ["GET /pets"]


# --- errors/problem-details-media-type --------------------------------------------------------


def test_problem_json_with_parameters_passes_and_plain_json_is_named(tmp_path):
    doc = doc3("""
        "200": {description: ok}
        "400":
          description: bad
          content:
            application/problem+json; charset=utf-8: {schema: {$ref: "#/components/schemas/Problem"}}
        default:
          description: error
          content:
            application/json: {schema: {$ref: "#/components/schemas/Problem"}}""")
    findings = run_rule(tmp_path, "errors/problem-details-media-type", doc)
    assert {f.message for f in findings} == {"error response default is served as application/json, not application/problem+json"}


def test_swagger2_root_produces_reported_once(tmp_path):
    doc = """
    swagger: "2.0"
    info: {title: t, version: 1.0.0}
    produces: [application/json]
    paths:
      /pets:
        get:
          responses:
            "200": {description: ok}
            default: {description: error, schema: {type: object}}
        post:
          responses:
            "201": {description: ok}
            "400": {description: error, schema: {type: object}}
        delete:
          produces: [application/json, application/problem+json]
          responses:
            "204": {description: gone}
            default: {description: error, schema: {type: object}}
    """
    findings = run_rule(tmp_path, "errors/problem-details-media-type", doc)
    assert len(findings) == 1 and findings[0].location.pointer == "/produces"
    assert sorted(operations(findings[0])) == ["GET /pets", "POST /pets"]


# --- errors/code-and-message, recovery-hint, no-internal-leak ---------------------------------


@pytest.mark.parametrize(
    "props, ok",
    [
        ("{error: {type: string}, error_description: {type: string}}", True),  # OAuth
        ("{errcode: {type: string}, error: {type: string}}", True),  # Matrix
        ("{errorCode: {type: string}, errorSummary: {type: string}}", True),  # Okta
        ("{code: {type: integer}, message: {type: string}}", True),  # petstore
        ("{status: {type: integer}, message: {type: string}}", False),  # a status is no code
        ("{statusCode: {type: integer}, message: {type: string}}", False),
        ("{code: {type: string}}", False),
    ],
)
def test_code_and_message_names(tmp_path, props, ok):
    doc = doc3(f"""
        "200": {{description: ok}}
        default:
          description: error
          content:
            application/json: {{schema: {{properties: {props}}}}}""")
    assert (run_rule(tmp_path, "errors/code-and-message", doc) == []) is ok


def test_recovery_hint_found_deep_inside_allof(tmp_path):
    doc = doc3("""
        "200": {description: ok}
        default:
          description: error
          content:
            application/json:
              schema:
                allOf:
                  - properties: {code: {type: string}, message: {type: string}}
                  - properties: {errors: {type: array, items: {properties: {pointer: {type: string}}}}}""")
    assert run_rule(tmp_path, "errors/recovery-hint", doc) == []


def test_trace_is_not_a_leak_but_stack_trace_is(tmp_path):
    doc = doc3(
        """
        "200": {description: ok}
        default:
          description: error
          content:
            application/json: {schema: {$ref: "#/components/schemas/Err"}}""",
        """
    Err:
      allOf:
        - $ref: "#/components/schemas/Problem"
        - properties:
            trace: {type: string}
            trace_id: {type: string}
            innererror: {$ref: "#/components/schemas/Inner"}
    Inner:
      properties:
        Stack-Trace: {type: string}""",
    )
    findings = run_rule(tmp_path, "errors/no-internal-leak", doc)
    assert [f.location.pointer for f in findings] == ["/components/schemas/Inner/properties/Stack-Trace"]
    assert sorted(operations(findings[0])) == ["GET /pets", "POST /pets"]
