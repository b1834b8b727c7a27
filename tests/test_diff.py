"""`auditor diff OLD NEW`: what counts as a change (and what does not), where findings point,
the command line (inputs, git revisions, exit codes, formats, baselines, packs)."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT

from auditor import api
from auditor.document.document import At
from auditor.model import Source

BASE = """
openapi: 3.0.3
info: {title: Pets, version: 1.0.0}
servers: [{url: https://api.example.com/v1}]
paths:
  /pets:
    get:
      parameters:
        - {name: limit, in: query, schema: {type: integer, maximum: 100}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Pet"}
      responses:
        "201": {description: created}
  /pets/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
    delete:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"204": {description: gone}}
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: integer}
        name: {type: string, maxLength: 100}
        status: {type: string, enum: [available, sold]}
        tag: {type: string}
        owner: {$ref: "#/components/schemas/Person"}
    Person:
      type: object
      properties:
        name: {type: string}
        friends: {type: array, items: {$ref: "#/components/schemas/Person"}}
"""


DELETE_OP = '    delete:\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n      responses: {"204": {description: gone}}\n'


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def _diff(tmp_path: Path, old: str, new: str, **options) -> list[tuple[str, str]]:
    """(rule, message) of every finding, old and new written as files."""
    report = api.diff(str(_write(tmp_path, "old.yaml", old)), str(_write(tmp_path, "new.yaml", new)), api.LintOptions(cwd=tmp_path, **options))
    return [(f.rule, f.message) for f in report.findings]


def _edit(text: str, *pairs: tuple[str, str]) -> str:
    for before, after in pairs:
        assert before in text, before
        text = text.replace(before, after)
    return text


# --- no change ----------------------------------------------------------------------------------


def test_same_document_has_no_findings(tmp_path):
    assert _diff(tmp_path, BASE, BASE) == []


def test_ref_restructuring_that_resolves_the_same_is_no_change(tmp_path):
    """Inline -> component, a renamed component, an allOf split: nothing changes after resolution."""
    new = _edit(
        BASE,
        ('schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}', 'schema: {$ref: "#/components/schemas/PetList"}'),
        ('schema: {$ref: "#/components/schemas/Pet"}\n      responses:', 'schema: {$ref: "#/components/schemas/Animal"}\n      responses:'),
        (
            "    Person:\n",
            '    PetList: {type: array, items: {$ref: "#/components/schemas/Pet"}}\n'
            "    Animal:\n"
            "      allOf:\n"
            "        - {type: object, required: [id], properties: {id: {type: integer}, status: {type: string, enum: [sold, available]}}}\n"
            "        - required: [name]\n"
            '          properties: {name: {type: string, maxLength: 100}, tag: {type: string}, owner: {$ref: "#/components/schemas/Person"}}\n'
            "    Person:\n",
        ),
    )
    assert _diff(tmp_path, BASE, new) == []


def test_renamed_path_parameter_is_not_a_removal(tmp_path):
    new = BASE.replace("/pets/{id}", "/pets/{petId}").replace("{name: id, in: path", "{name: petId, in: path")
    assert _diff(tmp_path, BASE, new) == []


def test_compatible_changes_are_info_or_nothing(tmp_path):
    new = _edit(
        BASE,
        ("maximum: 100}}", "maximum: 500}}\n        - {name: sort, in: query, schema: {type: string}}"),
        ("maxLength: 100}", "maxLength: 200, description: the name}"),
        ("enum: [available, sold]}\n        tag:", "enum: [available, sold]}\n        color: {type: string}\n        tag:"),
        ('"201": {description: created}', '"201": {description: created}\n        "409": {description: conflict}'),
        ("  /pets/{id}:", '  /owners:\n    get:\n      responses: {"200": {description: ok}}\n  /pets/{id}:'),
    )
    assert _diff(tmp_path, BASE, new) == [("diff/operation-added", "GET /owners was added")]


# --- breaking changes ---------------------------------------------------------------------------


def test_breaking_changes_each_reported_once_with_the_version_policy(tmp_path):
    new = _edit(
        BASE,
        ("version: 1.0.0", "version: 1.1.0"),
        ("{name: limit, in: query, schema: {type: integer, maximum: 100}}", "{name: limit, in: query, required: true, schema: {type: integer, maximum: 50}}"),
        ("    post:\n      requestBody:\n", "    post:\n      requestBody:\n        required: true\n"),
        ('"201": {description: created}', '"200": {description: created}'),
        (DELETE_OP, ""),
        ("required: [id, name]", "required: [name, tag]"),
        ("id: {type: integer}", "id: {type: string}"),
        ("enum: [available, sold]", "enum: [available, sold, reserved]"),
    )
    assert "delete:" not in new
    assert sorted(_diff(tmp_path, BASE, new)) == [
        ("diff/major-bump-required", "breaking changes but the major version stays 1 (info.version 1.0.0 -> 1.1.0)"),
        ("diff/operation-removed", "DELETE /pets/{id} was removed"),
        ("diff/removed-without-deprecation", "DELETE /pets/{id} was removed without being deprecated first"),
        ("diff/request-body-required", "the request body became required"),
        ("diff/request-bounds-narrowed", "request query parameter `limit`: maximum 100 -> 50"),
        ("diff/request-parameter-required", "query parameter `limit` became required"),
        ("diff/request-property-required", "request property `tag` became required"),
        ("diff/request-type-changed", "request property `id`: type integer -> string"),
        ("diff/response-enum-value-added", 'response property `status`: new enum value(s) "reserved"'),
        ("diff/response-required-property-removed", "response property `id` is no longer required"),
        ("diff/response-status-removed", "success response 201 was removed (now documented: 200)"),
        ("diff/response-type-changed", "response property `id`: type integer -> string"),
    ]


def test_a_change_in_a_shared_schema_is_one_finding_listing_its_operations(tmp_path):
    new = _edit(BASE, ("id: {type: integer}", "id: {type: string}"), ("version: 1.0.0", "version: 2.0.0"))
    report = api.diff(str(_write(tmp_path, "old.yaml", BASE)), str(_write(tmp_path, "new.yaml", new)), api.LintOptions(cwd=tmp_path))
    response = [f for f in report.findings if f.rule == "diff/response-type-changed"]
    assert len(response) == 1
    f = response[0]
    assert f.source is Source.DIFF and f.operation is None
    assert f.evidence == {
        "before": "integer",
        "after": "string",
        "old_location": {"file": str(tmp_path / "old.yaml"), "pointer": "/components/schemas/Pet/properties/id", "line": 38, "column": 9},
        "operations": ["GET /pets", "GET /pets/{id}"],
    }
    assert (f.location.file, f.location.pointer, f.location.line) == (str(tmp_path / "new.yaml"), "/components/schemas/Pet/properties/id", 38)


def test_removed_things_point_into_the_old_document(tmp_path):
    new = _edit(BASE, (DELETE_OP, ""))
    report = api.diff(str(_write(tmp_path, "old.yaml", BASE)), str(_write(tmp_path, "new.yaml", new)), api.LintOptions(cwd=tmp_path))
    removed = next(f for f in report.findings if f.rule == "diff/operation-removed")
    assert (removed.location.file, removed.location.pointer, removed.location.line) == (str(tmp_path / "old.yaml"), "/paths/~1pets~1{id}/delete", 29)
    assert removed.evidence == {"before": "DELETE /pets/{id}", "after": None} and str(removed.operation) == "DELETE /pets/{id}"


def test_recursive_schema_change_found_once(tmp_path):
    new = _edit(BASE, ("        name: {type: string}\n        friends:", "        name: {type: string, maxLength: 10}\n        friends:"))
    assert _diff(tmp_path, BASE, new) == [
        ("diff/major-bump-required", "breaking changes but the major version stays 1 (info.version 1.0.0 -> 1.0.0)"),
        ("diff/request-bounds-narrowed", "request property `name`: maxLength 10 added"),
    ]


def test_request_and_response_read_a_change_in_opposite_directions(tmp_path):
    """integer -> number widens a request (fine) and widens a response (breaking); an enum value
    removed breaks a request, not a response."""
    new = _edit(BASE, ("id: {type: integer}", "id: {type: number}"), ("enum: [available, sold]", "enum: [available]"), ("version: 1.0.0", "version: 2.0.0"))
    assert sorted(_diff(tmp_path, BASE, new)) == [
        ("diff/request-enum-value-removed", 'request property `status`: enum value(s) "sold" removed'),
        ("diff/response-type-changed", "response property `id`: type integer -> number"),
    ]


def test_read_only_and_write_only_properties_are_one_sided(tmp_path):
    old = _edit(BASE, ("id: {type: integer}", "id: {type: integer, readOnly: true}"), ("tag: {type: string}", "tag: {type: string, writeOnly: true}"))
    new = _edit(old, ("id: {type: integer, readOnly: true}", "id: {type: string, readOnly: true}"), ("required: [id, name]", "required: [id, name, tag]"))
    # id is never sent (readOnly): its type change breaks responses only; tag is never returned
    # (writeOnly) and newly required: it breaks requests only
    assert sorted(_diff(tmp_path, old, new)) == [
        ("diff/major-bump-required", "breaking changes but the major version stays 1 (info.version 1.0.0 -> 1.0.0)"),
        ("diff/request-property-required", "request property `tag` became required"),
        ("diff/response-type-changed", "response property `id`: type integer -> string"),
    ]


def test_security_added(tmp_path):
    old = BASE + "  securitySchemes:\n    key: {type: apiKey, in: header, name: X-Key}\n"
    new = old.replace("servers:", "security: [{key: []}]\nservers:").replace("version: 1.0.0", "version: 2.0.0")
    report = api.diff(str(_write(tmp_path, "old.yaml", old)), str(_write(tmp_path, "new.yaml", new)), api.LintOptions(cwd=tmp_path))
    [f] = report.findings
    assert (f.rule, f.message, f.location.pointer) == ("diff/security-added", "security now requires authentication (key)", "/security")
    assert f.evidence["operations"] == ["GET /pets", "POST /pets", "GET /pets/{id}", "DELETE /pets/{id}"]


@pytest.mark.parametrize(
    ("sunset", "expected"),
    [
        ('x-sunset: "2001-02-03"', []),
        ('x-sunset: "2999-01-01"', ["GET /old was removed before its Sunset date 2999-01-01"]),
        ("", ["GET /old was removed, but its deprecation named no Sunset date"]),
    ],
)
def test_strict_removal_waits_for_the_sunset_date(tmp_path, sunset, expected):
    old = f"""
    openapi: 3.0.3
    info: {{title: T, version: 1.0.0}}
    paths:
      /old:
        get:
          deprecated: true
          {sunset}
          responses: {{"200": {{description: ok}}}}
      /new:
        get:
          responses: {{"200": {{description: ok}}}}
    """
    new = old.replace("/old:", "/gone:").replace("/gone:\n        get:", "/gone:\n        post:")
    found = _diff(tmp_path, old, new, pack="strict")
    assert [m for r, m in found if r == "diff/removed-without-deprecation"] == expected
    # recommended only asks for the deprecation
    assert [m for r, m in _diff(tmp_path, old, new) if r == "diff/removed-without-deprecation"] == []


def test_sunset_header_example_as_an_http_date(tmp_path):
    old = """
    openapi: 3.0.3
    info: {title: T, version: 1.0.0}
    paths:
      /old:
        get:
          deprecated: true
          responses:
            "200":
              description: ok
              headers:
                Sunset: {schema: {type: string}, example: "Sat, 01 Jan 2000 00:00:00 GMT"}
    """
    new = "openapi: 3.0.3\ninfo: {title: T, version: 2.0.0}\npaths: {}\n"
    assert _diff(tmp_path, old, new, pack="strict") == [("diff/operation-removed", "GET /old was removed")]


def test_major_bump_by_url_version(tmp_path):
    new = _edit(BASE, (DELETE_OP, ""))
    bumped = new.replace("https://api.example.com/v1", "https://api.example.com/v2")
    assert "diff/major-bump-required" in {r for r, _ in _diff(tmp_path, BASE, new)}
    assert "diff/major-bump-required" not in {r for r, _ in _diff(tmp_path, BASE, bumped)}


def test_a_date_version_with_a_url_version(tmp_path):
    old = BASE.replace("version: 1.0.0", "version: 2024-01-01")
    new = old.replace("version: 2024-01-01", "version: 2024-06-01").replace("maximum: 100", "maximum: 10")
    assert ("diff/major-bump-required", "breaking changes but the URL version stays v1 (info.version 2024-01-01 -> 2024-06-01)") in _diff(tmp_path, old, new)


def test_no_major_version_stated_is_said(tmp_path):
    old = BASE.replace("version: 1.0.0", "version: 2024-01-01").replace("https://api.example.com/v1", "https://api.example.com")
    new = old.replace("version: 2024-01-01", "version: 2024-06-01").replace("maximum: 100", "maximum: 10")
    assert ("diff/major-bump-required", "breaking changes but neither document states a major version (info.version 2024-01-01 -> 2024-06-01)") in _diff(
        tmp_path, old, new
    )


# --- configuration ------------------------------------------------------------------------------


def test_packs_and_config_set_severity_and_overrides(tmp_path):
    new = _edit(BASE, ("maximum: 100", "maximum: 50"))
    _write(
        tmp_path,
        "auditor.yaml",
        """
        rules:
          diff/request-bounds-narrowed: warn
        overrides:
          - paths: ["/pets"]
            rules: {diff/major-bump-required: off}
        """,
    )
    report = api.diff(str(_write(tmp_path, "old.yaml", BASE)), str(_write(tmp_path, "new.yaml", new)), api.LintOptions(cwd=tmp_path))
    # a warning is not a breaking change for the version policy
    assert [(f.rule, f.severity.value) for f in report.findings] == [("diff/request-bounds-narrowed", "warn")]
    assert report.exit_code("error") == 0 and report.exit_code("warn") == 1
    (tmp_path / "auditor.yaml").unlink()
    assert api.diff(str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), api.LintOptions(cwd=tmp_path, pack="minimal")).findings == ()


def test_lint_never_runs_diff_rules(cli, tmp_path):
    spec = _write(tmp_path, "openapi.yaml", BASE)
    r = cli(["lint", str(spec), "--rule", "diff/operation-removed", "-f", "json"])
    assert r.code == 0 and json.loads(r.out)["findings"] == []
    r = cli(["lint", str(spec), "-f", "json", "--pack", "strict"])
    assert not [f for f in json.loads(r.out)["findings"] if f["source"] == "diff"]


# --- command line -------------------------------------------------------------------------------


def _files(tmp_path: Path, new_text: str | None = None) -> tuple[Path, Path]:
    new = new_text if new_text is not None else _edit(BASE, ("maximum: 100", "maximum: 50"))
    return _write(tmp_path, "old.yaml", BASE), _write(tmp_path, "new.yaml", new)


def test_cli_exit_codes(cli, tmp_path):
    old, new = _files(tmp_path)
    assert cli(["diff", str(old), str(old)]).code == 0
    r = cli(["diff", str(old), str(new)])
    assert r.code == 1 and "diff/request-bounds-narrowed" in r.out and "2 findings: 2 error" in r.out
    assert cli(["diff", str(old), str(new), "--fail-on", "never"]).code == 0
    assert cli(["diff", str(old), str(new), "--rule", "diff/operation-added"]).code == 0
    # the version policy alone still sees the breaking changes; --rule runs a rule the pack leaves off
    r = cli(["diff", str(old), str(new), "--rule", "diff/major-bump-required", "-f", "json"])
    assert r.code == 1 and [f["rule"] for f in json.loads(r.out)["findings"]] == ["diff/major-bump-required"]
    r = cli(["diff", str(old), str(new), "--rule", "diff/request-bounds-narrowed", "--pack", "minimal", "-f", "json"])
    assert r.code == 1 and [f["rule"] for f in json.loads(r.out)["findings"]] == ["diff/request-bounds-narrowed"]


@pytest.mark.parametrize("fmt", ["console", "json", "sarif", "junit", "github", "gitlab", "markdown"])
def test_cli_every_format_names_old_and_new_files(cli, tmp_path, monkeypatch, fmt):
    monkeypatch.chdir(tmp_path)
    _files(tmp_path, _edit(BASE, ("maximum: 100", "maximum: 50"), (DELETE_OP, "")))
    r = cli(["diff", "old.yaml", "new.yaml", "-f", fmt])
    assert r.code == 1, r.err
    assert "old.yaml" in r.out and "new.yaml" in r.out


def test_cli_json_and_sarif_content(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _files(tmp_path, _edit(BASE, (DELETE_OP, "")))
    r = cli(["diff", "old.yaml", "new.yaml", "-f", "json", "-o", "sarif=out.sarif"])
    report = json.loads(r.out)
    assert report["command"] == "diff" and [d["path"] for d in report["documents"]] == ["old.yaml", "new.yaml"]
    assert {f["source"] for f in report["findings"]} == {"diff"}
    assert report["stats"]["diff"] == {"operations": {"old": 4, "new": 3}, "matched": 3, "removed": 1, "added": 0}
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    uris = {res["ruleId"]: res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in sarif["runs"][0]["results"]}
    assert uris == {"diff/operation-removed": "old.yaml", "diff/removed-without-deprecation": "old.yaml", "diff/major-bump-required": "new.yaml"}
    import jsonschema

    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)


def test_cli_baseline_hides_accepted_changes(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _files(tmp_path)
    r = cli(["baseline", "new.yaml", "--diff-from", "old.yaml", "-o", "accepted.json"])
    assert r.code == 0 and "recorded 2 findings" in r.err
    r = cli(["diff", "old.yaml", "new.yaml", "--baseline", "accepted.json", "-f", "json"])
    assert r.code == 0 and json.loads(r.out)["summary"]["baselined"] == 2
    # moving lines does not matter (fingerprints have none); a new change still fails
    moved = "# a comment\n" + _edit(BASE, ("maximum: 100", "maximum: 50"), ("maxLength: 100", "maxLength: 99"))
    _write(tmp_path, "new.yaml", moved)
    r = cli(["diff", "old.yaml", "new.yaml", "--baseline", "accepted.json", "-f", "json"])
    report = json.loads(r.out)
    assert r.code == 1 and report["summary"]["baselined"] == 2
    assert [f["message"] for f in report["findings"]] == ["request property `name`: maxLength 100 -> 99"]


def test_cli_stdin_and_input_errors(cli, tmp_path):
    old, new = _files(tmp_path)
    r = cli(["diff", "-", str(new), "-f", "json"], stdin=old.read_bytes())
    report = json.loads(r.out)
    assert r.code == 1 and report["documents"][0]["path"] == "<stdin>" and "diff/request-bounds-narrowed" in {f["rule"] for f in report["findings"]}
    r = cli(["diff", "-", "-"], stdin=b"")
    assert r.code == 2 and "both be standard input" in r.err and "hint:" in r.err
    r = cli(["diff", str(tmp_path / "missing.yaml"), str(new)])
    assert r.code == 2 and "file not found" in r.err and "Traceback" not in r.err


def test_cli_url(cli, tmp_path):
    import http.server
    import threading

    old, new = _files(tmp_path)
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        r = cli(["diff", f"http://127.0.0.1:{server.server_port}/old.yaml", str(new), "-f", "json"])
    finally:
        server.shutdown()
        server.server_close()
    assert r.code == 1 and json.loads(r.out)["documents"][0]["path"].endswith("/old.yaml")


def test_rules_command_documents_diff_rules(cli):
    r = cli(["rules", "diff/operation-removed"])
    assert r.code == 0 and "(error, diff)" in r.out and "What it checks" in r.out


# --- git revisions ------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "HOME": str(repo),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository whose api/openapi.yaml refers to api/schemas/pet.yaml; HEAD~1 had an integer
    id, the working tree a string id; the current folder is the repository."""
    root = tmp_path / "repo"
    spec = BASE.replace("Pet:\n      type: object\n      required: [id, name]", 'Pet:\n      $ref: "schemas/pet.yaml"\n    Unused:\n      required: [id, name]')
    _write(root, "api/openapi.yaml", spec)
    _write(root, "api/schemas/pet.yaml", "type: object\nrequired: [id]\nproperties:\n  id: {type: integer}\n")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one")
    _write(root, "api/schemas/pet.yaml", "type: object\nrequired: [id]\nproperties:\n  id: {type: string}\n")
    _git(root, "commit", "-qam", "two")
    monkeypatch.chdir(root)
    return root


def test_git_revision_with_relative_refs_at_the_same_revision(cli, repo):
    r = cli(["diff", "HEAD~1:api/openapi.yaml", "HEAD:api/openapi.yaml", "-f", "json"])
    report = json.loads(r.out)
    assert r.code == 1, r.err
    assert [d["path"] for d in report["documents"]] == ["HEAD~1:api/openapi.yaml", "HEAD:api/openapi.yaml"]
    changed = [f for f in report["findings"] if f["rule"] == "diff/response-type-changed"]
    assert [(f["location"]["file"], f["location"]["pointer"], f["evidence"]["old_location"]["file"]) for f in changed] == [
        ("HEAD:api/schemas/pet.yaml", "/properties/id", "HEAD~1:api/schemas/pet.yaml")
    ]
    assert cli(["diff", "HEAD:api/openapi.yaml", "api/openapi.yaml"]).code == 0
    # ./ paths are relative to the current folder, as in git
    (repo / "api").mkdir(exist_ok=True)
    assert cli(["diff", "HEAD~1:./api/openapi.yaml", "HEAD~1:api/openapi.yaml"]).code == 0


def test_git_fingerprints_do_not_depend_on_the_revision(cli, repo):
    sha = _git(repo, "rev-parse", "HEAD~1").strip()
    by_name = json.loads(cli(["diff", "HEAD~1:api/openapi.yaml", "api/openapi.yaml", "-f", "json"]).out)
    by_sha = json.loads(cli(["diff", f"{sha}:api/openapi.yaml", "api/openapi.yaml", "-f", "json"]).out)
    assert [f["fingerprint"] for f in by_name["findings"]] == [f["fingerprint"] for f in by_sha["findings"]]


@pytest.mark.parametrize(
    ("old", "message"),
    [
        ("origin/main:api/openapi.yaml", "unknown git revision 'origin/main'"),
        ("HEAD:api/nope.yaml", "HEAD has no file api/nope.yaml"),
        ("HEAD:api", "api is a folder at HEAD"),
        ("HEAD:../x.yaml", "the path leaves the repository"),
    ],
)
def test_git_input_errors_are_one_line_with_a_hint(cli, repo, old, message):
    r = cli(["diff", old, "api/openapi.yaml"])
    assert r.code == 2 and message in r.err and "hint:" in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 2


def test_git_outside_a_repository(cli, tmp_path, monkeypatch):
    old, new = _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = cli(["diff", "HEAD:old.yaml", "new.yaml"])
    assert r.code == 2 and "no such file, and" in r.err and "is not inside a git repository" in r.err


def test_git_refs_stay_inside_the_repository_or_the_ref_root(cli, repo):
    """As on disk: by default a ref may reach any file of the repository (a sibling folder such
    as ../common), never above its top; --ref-root narrows it."""
    _write(repo, "common.yaml", "type: string\n")
    _write(repo, "api/openapi.yaml", (repo / "api/openapi.yaml").read_text().replace("schemas/pet.yaml", "../common.yaml"))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "three")
    document = api.load_version("HEAD:api/openapi.yaml", api.LintOptions())
    assert document.deref({"$ref": "../common.yaml"}, At("HEAD:api/openapi.yaml", ""))[0] == {"type": "string"}
    node, _ = document.deref({"$ref": "../../outside.yaml"}, At("HEAD:api/openapi.yaml", ""))
    assert node == {} and [(p.kind, p.reason, p.target) for p in document.ref_problems.values()] == [
        ("not-allowed", "it points outside the repository at HEAD (widen with --ref-root DIR)", "../outside.yaml")
    ]
    narrowed = api.load_version("HEAD:api/openapi.yaml", api.LintOptions(ref_root=str(repo / "api")))
    assert narrowed.deref({"$ref": "../common.yaml"}, At("HEAD:api/openapi.yaml", ""))[0] == {}
    assert [p.reason for p in narrowed.ref_problems.values()] == ["it points outside folder api/ at HEAD (widen with --ref-root DIR)"]


def test_unfollowed_refs_are_said(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _files(tmp_path, BASE.replace('$ref: "#/components/schemas/Person"}\n    Person:', '$ref: "#/components/schemas/Nobody"}\n    Person:'))
    r = cli(["diff", "old.yaml", "new.yaml"])
    assert "diff: 1 $ref(s) of the new document could not be followed and were compared as empty schemas" in r.out
    assert json.loads(cli(["diff", "old.yaml", "new.yaml", "-f", "json"]).out)["stats"]["diff"]["unresolved_refs"] == {"new": 1}


def test_nested_nodes_are_named_from_their_property(tmp_path):
    """Array items, map values and anyOf variants are named after the property that holds them;
    reordered anyOf variants still correspond (by type)."""
    old = _edit(
        BASE,
        (
            "        tag: {type: string}\n",
            "        tag: {type: string}\n        tags: {type: array, items: {type: string}}\n        when: {anyOf: [{type: integer}, {type: string, enum: [now]}]}\n",
        ),
    )
    new = _edit(
        old,
        ("items: {type: string}}", "items: {type: integer}}"),
        ("anyOf: [{type: integer}, {type: string, enum: [now]}]", "anyOf: [{type: string, enum: [now, later]}, {type: integer, maximum: 10}]"),
        ("version: 1.0.0", "version: 2.0.0"),
    )
    assert sorted(_diff(tmp_path, old, new)) == [
        ("diff/request-bounds-narrowed", "request property `when` anyOf[1]: maximum 10 added"),
        ("diff/request-type-changed", "request property `tags` items: type string -> integer"),
        ("diff/response-enum-value-added", 'response property `when` anyOf[0]: new enum value(s) "later"'),
        ("diff/response-type-changed", "response property `tags` items: type string -> integer"),
    ]
