"""versioning/ rules on inline documents: where the version lives (server URL, Swagger 2.0
basePath, paths, a header, a query parameter, a media type), the info.version formats each
option accepts, and when the URL's major and info.version can be compared at all."""

from __future__ import annotations

import pytest
from rule_helpers import api, run_rule


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
