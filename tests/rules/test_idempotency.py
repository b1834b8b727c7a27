"""idempotency/ rules on inline documents: idempotent methods and read-style or session POSTs need
no key; other ways to make a write safe to retry (a vendor header name, a required If-Match,
x-idempotent, a request id in the body); header names in any case and shared parameters
(reported once, at the component); which conflict statuses count (400 for a reused key too)."""

from __future__ import annotations

import pytest
from rule_helpers import api, operations, run_rule

# --- idempotency/key-on-post ------------------------------------------------------------------


def test_idempotent_methods_never_need_a_key(tmp_path):
    doc = api("""
  /pets/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    get: {responses: {"200": {description: ok}}}
    put: {responses: {"200": {description: ok}}}
    delete: {responses: {"204": {description: ok}}}
    head: {responses: {"200": {description: ok}}}
    options: {responses: {"200": {description: ok}}}""")
    assert run_rule(tmp_path, "idempotency/key-on-post", doc) == []


@pytest.mark.parametrize(
    "path, op_id, summary, exempt",
    [
        ("/pets/search", "", "", True),
        ("/pets", "searchPets", "", True),
        ("/pets", "", "Find pets by tag", True),
        ("/oauth2/token", "", "", True),
        ("/login", "", "", True),
        ("/graphql", "", "", True),
        ("/authors", "createAuthor", "Create an author", False),  # 'auth' is not a word here
        ("/checkout", "", "", False),
        ("/queries-log", "addEntry", "", False),  # only whole words count
        ("/files", "createFile", "Upload a file; usage counts tokens", False),  # summaries: first word only
        ("/checklists/{id}/checkItems", "addCheckItem", "", False),
        ("/pets/{id}/validate", "", "", True),  # the last literal segment
    ],
)
def test_read_and_session_style_posts_are_exempt(tmp_path, path, op_id, summary, exempt):
    doc = api(f"""
  {path}:
    post:
      operationId: "{op_id or "op"}"
      summary: "{summary}"
      responses: {{"200": {{description: ok}}}}""")
    assert (run_rule(tmp_path, "idempotency/key-on-post", doc) == []) is exempt


def test_key_in_any_case_via_shared_path_level_parameter_swagger2(tmp_path):
    doc = api(
        """
  /payments:
    parameters: [{$ref: "#/parameters/Key"}]
    post: {responses: {"201": {description: ok}}}""",
        head='swagger: "2.0"\ninfo: {title: t, version: 1.0.0}\n',
        extra="""
parameters:
  Key: {name: IDEMPOTENCY-KEY, in: header, type: string, format: uuid}""",
    )
    assert run_rule(tmp_path, "idempotency/key-on-post", doc) == []


def test_vendor_header_name_by_option(tmp_path):
    doc = api("""
  /payments:
    post:
      parameters: [{name: PayPal-Request-Id, in: header, schema: {type: string, maxLength: 36}}]
      responses: {"201": {description: ok}}""")
    assert run_rule(tmp_path, "idempotency/key-on-post", doc)
    assert run_rule(tmp_path, "idempotency/key-on-post", doc, header_names=["paypal-request-id"]) == []


def test_patch_guarded_by_required_if_match(tmp_path):
    doc = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    paths:
      /pets/{id}:
        parameters: [{name: id, in: path, required: true, schema: {type: string}}]
        patch:
          parameters: [{name: if-match, in: header, required: %s, schema: {type: string}}]
          responses: {"200": {description: ok}}
    """
    assert run_rule(tmp_path, "idempotency/key-on-post", doc % "true") == []
    assert len(run_rule(tmp_path, "idempotency/key-on-post", doc % "false")) == 1


def test_x_idempotent_and_body_request_id(tmp_path):
    doc = api(
        """
  /a:
    post: {x-idempotent: false, responses: {"200": {description: ok}}}
  /b:
    post:
      requestBody:
        content:
          application/json:
            schema:
              allOf:
                - {$ref: "#/components/schemas/Base"}
      responses: {"201": {description: ok}}""",
        extra="""
components:
  schemas:
    Base: {properties: {requestId: {type: string, format: uuid}}}""",
    )
    assert run_rule(tmp_path, "idempotency/key-on-post", doc) == []


# --- idempotency/key-definition, conflict-documented ------------------------------------------


def test_shared_unbounded_key_reported_once_at_the_component(tmp_path):
    doc = api(
        """
  /a:
    post:
      parameters: [{$ref: "#/components/parameters/Key"}]
      responses: {"201": {description: ok}}
  /b:
    post:
      parameters: [{$ref: "#/components/parameters/Key"}]
      responses: {"201": {description: ok}}""",
        extra="""
components:
  parameters:
    Key: {name: Idempotency-Key, in: header, schema: {type: string}}""",
    )
    findings = run_rule(tmp_path, "idempotency/key-definition", doc)
    assert len(findings) == 1 and findings[0].location.pointer == "/components/parameters/Key/schema"
    assert sorted(operations(findings[0])) == ["POST /a", "POST /b"]


@pytest.mark.parametrize("codes, missing", [(("409", "422"), None), (("409", "400"), None), (("422",), "409"), (("409",), "422")])
def test_conflict_codes(tmp_path, codes, missing):
    responses = "".join(f'\n        "{c}": {{description: x}}' for c in codes)
    doc = api(f"""
  /a:
    post:
      parameters: [{{name: idempotency-key, in: header, schema: {{type: string, maxLength: 64}}}}]
      responses:
        "201": {{description: ok}}{responses}""")
    findings = run_rule(tmp_path, "idempotency/conflict-documented", doc)
    if missing is None:
        assert findings == []
    else:
        assert len(findings) == 1 and missing in findings[0].message
