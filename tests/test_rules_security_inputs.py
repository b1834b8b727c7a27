"""False-positive traps handled by the security/, inputs/, health/, observability/, pagination/
and deprecation/ rules (policies.md §3: T13, T14, T16, T17, T19, T20, T21, T22, T26)."""

from __future__ import annotations

import textwrap

import pytest
from rule_helpers import findings_of


@pytest.fixture
def lint(write):
    def _lint(text: str, rule_id: str, options: dict | None = None, public: tuple[str, ...] = ()):
        return findings_of(write("openapi.yaml", textwrap.dedent(text)), rule_id, options, public)

    return _lint


OAS3_SECURED = """
openapi: 3.0.3
info: {title: t, version: 1.0.0}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
security: [{bearer: []}]
paths:
"""


# --- T13: public endpoints, inheritance, optional auth ------------------------------------------


def test_security_off_on_a_conventional_public_endpoint_is_fine(lint):
    spec = (
        OAS3_SECURED
        + """
  /v1/auth/token: {post: {security: [], responses: {"200": {description: ok}}}}
  /health/live: {get: {security: [], responses: {"200": {description: ok}}}}
  /.well-known/jwks.json: {get: {security: [], responses: {"200": {description: ok}}}}
"""
    )
    assert lint(spec, "security/operations-secured") == []
    assert lint(spec, "security/reads-secured") == []
    assert lint(spec, "security/auth-errors-documented") == []


def test_security_off_elsewhere_needs_the_public_list(lint):
    spec = (
        OAS3_SECURED
        + """
  /webhooks: {post: {security: [], responses: {"200": {description: ok}}}}
  /jobs/{id}/token: {post: {security: [], parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}}
"""
    )
    found = lint(spec, "security/operations-secured")
    assert sorted(f.operation.path for f in found) == ["/jobs/{id}/token", "/webhooks"]
    assert all("security: []" in f.message and "public" in f.hint for f in found)
    assert lint(spec, "security/operations-secured", public=("POST /webhooks", "/jobs/*")) == []
    # a method-qualified entry does not cover other methods
    assert len(lint(spec, "security/operations-secured", public=("GET /webhooks", "/jobs/*"))) == 1


def test_root_security_is_inherited_in_both_versions(lint):
    assert lint(OAS3_SECURED + '  /orders: {post: {responses: {"201": {description: ok}}}}\n', "security/operations-secured") == []
    swagger = """
    swagger: "2.0"
    info: {title: t, version: 1.0.0}
    securityDefinitions: {key: {type: apiKey, in: header, name: X-Key}}
    security: [{key: []}]
    paths:
      /orders: {delete: {responses: {"204": {description: ok}}}}
    """
    assert lint(swagger, "security/operations-secured") == []
    unsecured = swagger.replace("security: [{key: []}]", "")
    assert [f.operation.method for f in lint(unsecured, "security/operations-secured")] == ["DELETE"]


def test_optional_auth_is_reported_on_writes_only_and_needs_no_401(lint):
    spec = (
        OAS3_SECURED
        + """
  /catalog:
    get: {security: [{}, {bearer: []}], responses: {"200": {description: ok}}}
    post: {security: [{bearer: []}, {}], responses: {"200": {description: ok}}}
"""
    )
    found = lint(spec, "security/operations-secured")
    assert [(f.operation.method, "optional" in f.message) for f in found] == [("POST", True)]
    assert lint(spec, "security/reads-secured") == []
    assert lint(spec, "security/auth-errors-documented") == []


def test_no_schemes_at_all_is_reported_once_not_per_operation(lint):
    spec = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    paths:
      /a: {post: {responses: {"200": {description: ok}}}}
      /b: {put: {responses: {"200": {description: ok}}}}
    """
    assert len(lint(spec, "security/schemes-defined")) == 1
    assert lint(spec, "security/operations-secured") == []


# --- T14: an Authorization header parameter is not authentication -------------------------------


def test_authorization_header_parameter_does_not_count_as_security(lint):
    spec = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    components: {securitySchemes: {bearer: {type: http, scheme: bearer}}}
    paths:
      /orders:
        post:
          parameters: [{name: authorization, in: header, required: true, schema: {type: string}}]
          responses: {"201": {description: ok}}
        put: {security: [{bearer: []}], responses: {"200": {description: ok}}}
    """
    [finding] = lint(spec, "security/operations-secured")
    assert "Authorization" in finding.message and "security scheme" in finding.hint


# --- auth errors --------------------------------------------------------------------------------


def test_catch_all_error_response_counts_unless_strict(lint):
    spec = OAS3_SECURED + '  /orders: {get: {responses: {"200": {description: ok}, 4XX: {description: client error}}}}\n'
    assert lint(spec, "security/auth-errors-documented") == []
    assert len(lint(spec, "security/auth-errors-documented", {"accept-catch-all": False})) == 1


# --- credentials in URLs ------------------------------------------------------------------------


def test_pagination_tokens_and_identifiers_are_not_credentials(lint):
    spec = (
        OAS3_SECURED
        + """
  /things/{Sid}:
    get:
      parameters:
        - {name: Sid, in: path, required: true, schema: {type: string}}
        - {name: pageToken, in: query, schema: {type: string}}
        - {name: next_token, in: query, schema: {type: string}}
        - {name: token, in: header, schema: {type: string}}
        - {name: session_id, in: query, schema: {type: string}}
      responses: {"200": {description: ok}}
"""
    )
    assert lint(spec, "security/no-credentials-in-url") == []
    assert len(lint(spec.replace("name: next_token", "name: access_token"), "security/no-credentials-in-url")) == 1


def test_swagger2_api_key_in_query_is_reported_at_the_scheme(lint):
    spec = """
    swagger: "2.0"
    info: {title: t, version: 1.0.0}
    securityDefinitions: {key: {type: apiKey, in: query, name: api_key}}
    paths: {}
    """
    [finding] = lint(spec, "security/no-credentials-in-url")
    assert finding.location.pointer == "/securityDefinitions/key/in"


# --- T20: HTTPS ---------------------------------------------------------------------------------


def test_local_and_relative_servers_are_exempt(lint):
    spec = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    servers:
      - {url: "http://localhost:3000"}
      - {url: "http://127.0.0.1"}
      - {url: "http://[::1]:8080/api"}
      - {url: "http://api.localhost"}
      - {url: "/api/v1"}
      - {url: "https://{region}.example.com", variables: {region: {default: eu}}}
    paths: {}
    """
    assert lint(spec, "security/https-only") == []
    found = lint(spec.replace("http://127.0.0.1", "http://api.example.com"), "security/https-only")
    assert [f.location.pointer for f in found] == ["/servers/1/url"]


@pytest.mark.parametrize(
    ("host", "schemes", "count"),
    [("api.example.com", "[https]", 0), ("api.example.com", "[http, https]", 1), ("localhost:8080", "[http]", 0), ("api.example.com", "[wss, ws]", 1)],
)
def test_swagger2_schemes(lint, host, schemes, count):
    spec = f"""
    swagger: "2.0"
    info: {{title: t, version: 1.0.0}}
    host: {host}
    schemes: {schemes}
    paths: {{}}
    """
    assert len(lint(spec, "security/https-only")) == count


def test_swagger2_basic_and_implicit_are_weak(lint):
    spec = """
    swagger: "2.0"
    info: {title: t, version: 1.0.0}
    securityDefinitions:
      basic: {type: basic}
      implicit: {type: oauth2, flow: implicit, authorizationUrl: "https://a.example.com", scopes: {}}
      app: {type: oauth2, flow: application, tokenUrl: "https://a.example.com", scopes: {}}
    paths: {}
    """
    assert sorted(f.location.pointer for f in lint(spec, "security/no-weak-schemes")) == [
        "/securityDefinitions/basic/type",
        "/securityDefinitions/implicit/flow",
    ]


# --- T16: bounded strings -----------------------------------------------------------------------


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


# --- T17: closed request objects ----------------------------------------------------------------


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


def test_an_unresolvable_ref_is_not_an_empty_schema(lint):
    spec = _body('{$ref: "#/components/schemas/Missing"}')
    assert lint(spec, "inputs/request-schemas-defined") == []
    assert len(lint(_body("{}"), "inputs/request-schemas-defined")) == 1


# --- T21 health, observability, T26 pagination, T22 deprecation --------------------------------


@pytest.mark.parametrize("path", ["/health", "/api/v1/healthz", "/livez", "/actuator/health", "/health/live", "/PING", "/_ping", "/status/health.json"])
def test_liveness_paths(lint, path):
    spec = f"""
    openapi: 3.0.3
    info: {{title: t, version: 1.0.0}}
    paths:
      {path}: {{get: {{responses: {{"200": {{description: ok}}}}}}}}
    """
    assert lint(spec, "health/liveness") == []
    assert len(lint(spec, "health/readiness")) == 1


def test_correlation_header_in_any_case_via_component_ref(lint):
    spec = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    components: {headers: {Rid: {schema: {type: string}}}}
    paths:
      /a: {get: {responses: {"200": {description: ok, headers: {x-correlation-id: {$ref: "#/components/headers/Rid"}}}}}}
      /b: {get: {responses: {default: {description: err, headers: {TRACEPARENT: {schema: {type: string}}}}}}}
    """
    assert lint(spec, "observability/correlation-id") == []


def test_list_envelope_with_only_an_errors_array_is_not_a_collection(lint):
    spec = """
    swagger: "2.0"
    info: {title: t, version: 1.0.0}
    paths:
      /order:
        get:
          responses:
            "200":
              description: ok
              schema: {type: object, properties: {payload: {type: object}, errors: {type: array, items: {type: string}}}}
    """
    assert lint(spec, "pagination/collection-paginated") == []


def test_offset_pagination_without_page_size_passes_unless_required(lint):
    spec = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    paths:
      /orders:
        get:
          parameters: [{name: page, in: query, schema: {type: integer, minimum: 1, maximum: 1000}}]
          responses:
            "200": {description: ok, content: {application/json: {schema: {type: array, items: {type: string}}}}}
    """
    assert lint(spec, "pagination/collection-paginated") == []
    assert len(lint(spec, "pagination/collection-paginated", {"require-page-size": True})) == 1


def test_deprecation_extension_message_names_the_replacement(lint):
    spec = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    paths:
      /old:
        get:
          deprecated: true
          x-deprecation-message: "Use /new instead."
          responses: {"200": {description: ok, headers: {Sunset: {schema: {type: string}}}}}
    """
    assert lint(spec, "deprecation/documented") == []


def test_schemes_required_nowhere_is_one_finding_listing_the_operations(lint):
    spec = """
    swagger: "2.0"
    info: {title: t, version: 1.0.0}
    securityDefinitions: {key: {type: apiKey, in: header, name: X-Key}}
    paths:
      /a: {get: {responses: {"200": {description: ok}}}}
      /b: {get: {responses: {"200": {description: ok}}}}
      /health: {get: {responses: {"200": {description: ok}}}}
    """
    [finding] = lint(spec, "security/reads-secured")
    assert finding.location.pointer == "/securityDefinitions"
    assert finding.evidence["operations"] == ["GET /a", "GET /b"]
    assert lint(spec, "security/operations-secured") == []


def test_security_schemes_mapping_behind_a_ref_is_followed(lint, write):
    write("schemes.yaml", "bearer: {type: http, scheme: bearer}\nbasic: {type: http, scheme: basic}\n")
    spec = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    components: {securitySchemes: {$ref: "./schemes.yaml"}}
    security: [{bearer: []}]
    paths:
      /a: {post: {responses: {"200": {description: ok}}}}
    """
    assert lint(spec, "security/scheme-exists") == []
    assert lint(spec, "security/schemes-defined") == []
    [weak] = lint(spec, "security/no-weak-schemes")
    assert weak.location.file.endswith("schemes.yaml") and weak.location.pointer == "/basic/scheme"


def test_pagination_single_resource_with_one_array_is_not_a_list(lint):
    doc = """openapi: 3.0.3
info: {title: T, version: 1.0.0}
paths:
  /items/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: one item
          content: {application/json: {schema: {type: object, properties: {id: {type: string}, tags: {type: array, items: {type: string}}}}}}
  /tags:
    get:
      responses:
        "200":
          description: a list
          content: {application/json: {schema: {type: object, properties: {tags: {type: array, items: {type: string}}}}}}
"""
    found = lint(doc, "pagination/collection-paginated")
    assert [str(f.operation) for f in found] == ["GET /tags"]
