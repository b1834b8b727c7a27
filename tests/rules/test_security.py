"""security/ rules on inline documents: conventional public endpoints, inherited and optional
security, the public list, an Authorization header parameter (not authentication), catch-all
auth errors, credentials in URLs (pagination tokens and identifiers are none), HTTPS (local and
relative servers are exempt), weak schemes, and schemes behind a $ref."""

from __future__ import annotations

import pytest

OAS3_SECURED = """
openapi: 3.0.3
info: {title: t, version: 1.0.0}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
security: [{bearer: []}]
paths:
"""


# --- public endpoints, inheritance, optional auth ---------------------------------------------


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


def test_no_schemes_at_all_is_reported_once_and_each_open_write_on_its_own(lint):
    spec = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    paths:
      /a: {post: {responses: {"200": {description: ok}}}, get: {responses: {"200": {description: ok}}}}
      /b: {put: {responses: {"200": {description: ok}}}}
      /login: {post: {responses: {"200": {description: ok}}}}
    """
    assert len(lint(spec, "security/schemes-defined")) == 1
    writes = lint(spec, "security/operations-secured")
    assert sorted((str(f.operation), f.location.pointer) for f in writes) == [("POST /a", "/paths/~1a/post"), ("PUT /b", "/paths/~1b/put")]
    assert "defines no security scheme" in writes[0].message
    assert lint(spec, "security/reads-secured") == []


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


# --- an Authorization header parameter is not authentication ----------------------------------


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


# --- auth errors ------------------------------------------------------------------------------


def test_catch_all_error_response_counts_unless_strict(lint):
    spec = OAS3_SECURED + '  /orders: {get: {responses: {"200": {description: ok}, 4XX: {description: client error}}}}\n'
    assert lint(spec, "security/auth-errors-documented") == []
    assert len(lint(spec, "security/auth-errors-documented", {"accept-catch-all": False})) == 1


# --- credentials in URLs ----------------------------------------------------------------------


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


# --- HTTPS and weak schemes -------------------------------------------------------------------


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


def test_a_token_beside_a_page_size_is_a_cursor_not_a_credential(lint):
    spec = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    paths:
      /records:
        get:
          parameters:
            - {name: _limit, in: query, schema: {type: integer}}
            - {name: _token, in: query, schema: {type: string}}
          responses: {"200": {description: ok}}
      /login:
        get:
          parameters: [{name: token, in: query, schema: {type: string}}]
          responses: {"200": {description: ok}}
    """
    assert [str(f.operation) for f in lint(spec, "security/no-credentials-in-url")] == ["GET /login"]
