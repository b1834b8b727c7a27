"""False-positive traps handled by the idempotency/ and versioning/ rules (policies.md §3: T4
header case, T7 where the version lives, T8 info.version formats, T9 idempotent methods and
read-style POSTs, T10 other key mechanisms and shared parameters, T12 400 for key reuse, T19
Swagger 2.0), plus the packs that enable them."""

from __future__ import annotations

from pathlib import Path

import pytest
from rule_helpers import REGISTRY, operations, run_rule

from auditor.config import load_config

MINE = ("errors/", "ratelimit/", "idempotency/", "versioning/")


def api(paths: str, head: str = "openapi: 3.0.3\ninfo: {title: t, version: 1.0.0}\n", extra: str = "") -> str:
    return head + "paths:" + paths + "\n" + extra


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


# --- versioning/ ------------------------------------------------------------------------------


def test_version_in_swagger2_base_path_bare_number(tmp_path):
    doc = api('\n  /statuses: {get: {responses: {"200": {description: ok}}}}', head='swagger: "2.0"\ninfo: {title: t, version: "1.1"}\nbasePath: /1.1\n')
    assert run_rule(tmp_path, "versioning/version-declared", doc) == []


def test_version_in_paths_with_unversioned_health(tmp_path):
    doc = api("""
  /api/v2/pets: {get: {responses: {"200": {description: ok}}}}
  /health: {get: {responses: {"200": {description: ok}}}}
  /.well-known/openid-configuration: {get: {responses: {"200": {description: ok}}}}""")
    assert run_rule(tmp_path, "versioning/version-declared", doc) == []


@pytest.mark.parametrize(
    "paths, ok",
    [
        (["/api/2/issue", "/api/2/project"], True),  # a literal number in a path is a version
        (["/vendor/shipping/v1/labels", "/vendor/shipping/v1/orders"], True),
        (["/{dataset}/{version}/fields"], True),
        (["/api/v1/workflows", "/api/v1/archived", "/artifact-files/{id}"], True),  # most paths
        (["/api/v1/workflows", "/artifacts/{id}", "/artifact-files/{id}"], False),
        (["/orders/{id}/status", "/orders"], False),  # `status` is only a meta segment first
    ],
)
def test_version_in_paths(tmp_path, paths, ok):
    doc = api("".join(f'\n  {p}: {{get: {{responses: {{"200": {{description: ok}}}}}}}}' for p in paths))
    assert (run_rule(tmp_path, "versioning/version-declared", doc) == []) is ok


@pytest.mark.parametrize(
    "param, mechanism",
    [
        ("{name: Stripe-Version, in: header, schema: {type: string}}", "header"),
        ("{name: api-version, in: query, required: true, schema: {type: string}}", "query"),
    ],
)
def test_header_and_query_mechanisms(tmp_path, param, mechanism):
    doc = api(f"""
  /pets:
    parameters: [{param}]
    get: {{responses: {{"200": {{description: ok}}}}}}
    post: {{responses: {{"201": {{description: ok}}}}}}""")
    assert run_rule(tmp_path, "versioning/version-declared", doc) == []
    other = [m for m in ("url", "header", "query", "media-type") if m != mechanism]
    findings = run_rule(tmp_path, "versioning/version-declared", doc, allowed=other)
    assert len(findings) == 1 and f"declared by {mechanism}" in findings[0].message


def test_media_type_mechanism(tmp_path):
    doc = api("""
  /pets:
    get:
      responses:
        "200":
          description: ok
          content: {application/vnd.acme.pets.v2+json: {schema: {type: object}}}""")
    assert run_rule(tmp_path, "versioning/version-declared", doc, allowed=["media-type"]) == []


def test_unversioned_api(tmp_path):
    doc = api('\n  /pets: {get: {responses: {"200": {description: ok}}}}', extra="servers: [{url: 'https://api.example.com'}]")
    findings = run_rule(tmp_path, "versioning/version-declared", doc)
    assert len(findings) == 1 and findings[0].location.pointer == "/servers"


@pytest.mark.parametrize(
    "version, default_ok, strict_ok",
    [("1.2.3", True, True), ("1.0", True, False), ("2024-01-01-preview", True, False), ("latest", False, False), ("v2", False, False)],
)
def test_info_version_formats(tmp_path, version, default_ok, strict_ok):
    doc = api(" {}", head=f"openapi: 3.0.3\ninfo: {{title: t, version: {version}}}\n")  # 1.0 parses as a float
    assert (run_rule(tmp_path, "versioning/info-version-semver", doc) == []) is default_ok
    strict = run_rule(tmp_path, "versioning/info-version-semver", doc, allow_major_minor=False, allow_date=False)
    assert (strict == []) is strict_ok


@pytest.mark.parametrize(
    "version, servers, fires",
    [
        ("2.1.0", ["https://api.example.com/v1"], True),
        ("1.4.0", ["https://api.example.com/v1beta2"], False),
        ("2025.0", ["https://api.example.com/2.0"], False),  # calendar version: not comparable
        ("2.0.0", ["https://api.example.com/v1", "https://api.example.com/v2"], False),  # several majors
        ("3.0.0", ["https://{host}/{version}"], False),  # a variable: not comparable
    ],
)
def test_major_consistency(tmp_path, version, servers, fires):
    listed = ", ".join(f"{{url: '{s}', variables: {{host: {{default: h}}, version: {{default: v3}}}}}}" if "{" in s else f"{{url: '{s}'}}" for s in servers)
    doc = api(
        '\n  /pets: {get: {responses: {"200": {description: ok}}}}', head=f"openapi: 3.0.3\ninfo: {{title: t, version: '{version}'}}\nservers: [{listed}]\n"
    )
    assert bool(run_rule(tmp_path, "versioning/major-consistency", doc)) is fires


# --- packs ------------------------------------------------------------------------------------


def test_packs_enable_these_rules_and_minimal_stays_contract_only(tmp_path):
    mine = [r.id for r in REGISTRY if r.id.startswith(MINE) and r.check is not None]
    for pack in ("recommended", "strict"):
        config = load_config(REGISTRY, pack=pack, cwd=Path(tmp_path))
        assert [rid for rid in mine if not config.setting(REGISTRY.get(rid)).enabled] == [], pack
    minimal = load_config(REGISTRY, pack="minimal", cwd=Path(tmp_path))
    assert not any(minimal.setting(REGISTRY.get(rid)).enabled for rid in mine)
    strict = load_config(REGISTRY, pack="strict", cwd=Path(tmp_path))
    assert strict.setting(REGISTRY.get("versioning/info-version-semver")).options["allow-major-minor"] is False
