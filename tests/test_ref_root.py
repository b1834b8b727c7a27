"""Real repository layouts: specs that share files through a sibling folder, as the CAMARA and
3GPP 5GC repositories do (`code/API_definitions/x.yaml` -> `../common/CAMARA_common.yaml`).

The default ref root is the git repository that holds the document (else the current folder,
else the document's folder); a ref that is not followed is one `contract/ref-allowed` finding
per target file and stays a Reference Object for validation (no `contract/spec-valid`
cascade); a `$ref` where the OpenAPI schema allows none is a validation error, as
openapi-spec-validator reports it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

COMMON = """openapi: 3.0.3
info: {title: CAMARA common, version: 0.5.0}
paths: {}
components:
  headers:
    x-correlator:
      description: Correlation id
      schema: {$ref: "#/components/schemas/XCorrelator"}
  parameters:
    x-correlator:
      name: x-correlator
      in: header
      schema: {$ref: "#/components/schemas/XCorrelator"}
    sessionId:
      name: sessionId
      in: path
      required: true
      schema: {type: string, format: uuid}
  schemas:
    XCorrelator: {type: string, pattern: "^[a-zA-Z0-9-]{0,256}$"}
    ErrorInfo:
      type: object
      required: [status, code, message]
      properties:
        status: {type: integer}
        code: {type: string}
        message: {type: string}
  responses:
    Generic400:
      description: Bad Request
      headers:
        x-correlator: {$ref: "#/components/headers/x-correlator"}
      content:
        application/json:
          schema: {$ref: "#/components/schemas/ErrorInfo"}
"""

API = """openapi: 3.0.3
info: {title: Quality On Demand, version: 1.0.0}
paths:
  /sessions/{sessionId}:
    get:
      operationId: getSession
      parameters:
        - $ref: "../common/CAMARA_common.yaml#/components/parameters/sessionId"
        - $ref: "../common/CAMARA_common.yaml#/components/parameters/x-correlator"
      responses:
        "200":
          description: The session
          headers:
            x-correlator: {$ref: "../common/CAMARA_common.yaml#/components/headers/x-correlator"}
          content:
            application/json:
              schema:
                type: object
                properties:
                  error: {$ref: "../common/CAMARA_common.yaml#/components/schemas/ErrorInfo"}
                default: {error: {status: 400, code: X, message: x}}
        "400": {$ref: "../common/CAMARA_common.yaml#/components/responses/Generic400"}
"""
CONTRACT = ["--rule", "contract/spec-valid", "--rule", "contract/ref-allowed", "--rule", "contract/ref-resolvable"]


def _layout(root: Path, api: str = API) -> Path:
    (root / "code" / "API_definitions").mkdir(parents=True)
    (root / "code" / "common").mkdir()
    (root / "code" / "common" / "CAMARA_common.yaml").write_text(COMMON, encoding="utf-8")
    spec = root / "code" / "API_definitions" / "qod.yaml"
    spec.write_text(api, encoding="utf-8")
    return spec


def _git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


def _lint(cli, args: list[str]) -> tuple[int, list[dict], str]:
    r = cli(["lint", *args, *CONTRACT, "-f", "json"])
    assert r.code in (0, 1), r.err
    return r.code, json.loads(r.out)["findings"], r.out


def test_camara_layout_is_clean_inside_a_git_repository(cli, tmp_path, monkeypatch):
    spec = _layout(tmp_path / "repo")
    _git_init(tmp_path / "repo")
    monkeypatch.chdir(tmp_path)  # the current folder plays no part: the repository is the root
    code, findings, _ = _lint(cli, [str(spec)])
    assert (code, findings) == (0, [])


def test_without_git_the_current_folder_is_the_ref_root(cli, tmp_path, monkeypatch):
    spec = _layout(tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    assert _lint(cli, ["code/API_definitions/qod.yaml"])[:2] == (0, [])
    monkeypatch.chdir(spec.parent)  # now ../common is outside the current folder
    code, findings, _ = _lint(cli, ["qod.yaml"])
    assert code == 1
    assert [f["rule"] for f in findings] == ["contract/ref-allowed"]
    assert "outside the current folder" in findings[0]["message"]
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # a current folder that does not hold the document: its own folder
    code, findings, _ = _lint(cli, [str(spec)])
    assert [f["rule"] for f in findings] == ["contract/ref-allowed"]
    assert "outside the root document's folder" in findings[0]["message"]


def test_a_ref_out_of_the_repository_is_one_finding_per_file_and_no_cascade(cli, tmp_path, monkeypatch):
    """The repository is `code/` here: every ref to ../common climbs out of it. Five refs to one
    file are one finding at the first, listing them all; the refs stay Reference Objects, so
    validation says nothing about them (no path parameter 'not resolved', no duplicate
    parameter, no unresolvable $ref in the default's schema, no empty response)."""
    spec = _layout(tmp_path)
    _git_init(tmp_path / "code" / "API_definitions")
    (tmp_path / "code" / "API_definitions" / "other.yaml").write_text("Thing: {type: string}\n", encoding="utf-8")
    api = API.replace("    get:\n", "    parameters:\n      - $ref: '../../outside.yaml#/p'\n    get:\n")
    spec.write_text(api, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, findings, out = _lint(cli, [str(spec)])
    assert code == 1
    assert [f["rule"] for f in findings] == ["contract/ref-allowed", "contract/ref-allowed"], findings
    first, second = findings
    assert first["message"] == "$ref target '../../outside.yaml' not followed: it points outside the repository (widen with --ref-root DIR)"
    assert first["location"]["pointer"] == "/paths/~1sessions~1{sessionId}/parameters/0/$ref"
    assert first["evidence"]["count"] == 1
    assert second["message"].startswith("$ref target '../common/CAMARA_common.yaml' not followed: it points outside the repository")
    assert second["location"]["pointer"] == "/paths/~1sessions~1{sessionId}/get/parameters/0/$ref"  # the first ref to it
    refs = second["evidence"]["refs"]
    assert second["evidence"]["count"] == len(refs) == 5
    assert [r["line"] for r in refs] == sorted(r["line"] for r in refs)
    assert refs[-1] == {
        "file": str(spec),
        "line": 24,
        "pointer": "/paths/~1sessions~1{sessionId}/get/responses/400/$ref",
        "ref": "../common/CAMARA_common.yaml#/components/responses/Generic400",
    }
    for f in findings:  # no absolute path in what a fingerprint is made of
        assert str(tmp_path) not in f["message"] and "/tmp" not in f["message"]


def test_ref_root_still_overrides(cli, tmp_path, monkeypatch):
    spec = _layout(tmp_path / "repo")
    _git_init(tmp_path / "repo")
    monkeypatch.chdir(tmp_path)
    _, findings, _ = _lint(cli, [str(spec), "--ref-root", str(spec.parent)])
    assert [f["rule"] for f in findings] == ["contract/ref-allowed"]
    assert "outside --ref-root API_definitions" in findings[0]["message"]
    outside = _layout(tmp_path / "plain")
    assert _lint(cli, [str(outside), "--ref-root", str(tmp_path / "plain")])[:2] == (0, [])


@pytest.mark.parametrize("reference", ["0", "1"])
@pytest.mark.parametrize(
    "where, replace",
    [
        ("/info", ("info: {title: Quality On Demand, version: 1.0.0}", "info: {$ref: './info.yaml'}")),
        (
            "/paths/~1sessions~1{sessionId}/get/summary",
            ("      operationId: getSession\n", "      operationId: getSession\n      summary: {$ref: './info.yaml#/title'}\n"),
        ),
    ],
)
def test_a_ref_where_no_reference_is_allowed_is_a_validation_error(cli, tmp_path, monkeypatch, where, replace, reference):
    """`info` and `summary` take no Reference Object: the ref is not resolved (info.yaml would make
    them valid), and the errors are those openapi-spec-validator reports for the document as
    written, with the fast validator and with openapi-spec-validator itself."""
    monkeypatch.setenv("AUDITOR_REFERENCE_VALIDATOR", reference)
    spec = _layout(tmp_path, API.replace(*replace))
    _git_init(tmp_path)
    (spec.parent / "info.yaml").write_text("title: From a file\nversion: 1.0.0\n", encoding="utf-8")
    _, findings, _ = _lint(cli, [str(spec)])
    got = sorted((f["location"]["pointer"], f["message"]) for f in findings)
    if where == "/info":
        assert got == [
            ("/info", '"title" is a required property'),
            ("/info", '"version" is a required property'),
            ("/info", "Additional properties are not allowed ('$ref' was unexpected)"),
        ]
    else:
        assert got == [(where, '{"$ref":"./info.yaml#/title"} is not of type "string"')]


def test_refs_where_a_reference_is_allowed_are_still_inlined_and_validated(cli, tmp_path, monkeypatch):
    """A response behind an external ref is validated where it is used (an error inside the
    shared file points into it)."""
    spec = _layout(tmp_path)
    _git_init(tmp_path)
    common = tmp_path / "code" / "common" / "CAMARA_common.yaml"
    common.write_text(COMMON.replace("      description: Bad Request\n", ""), encoding="utf-8")
    _, findings, _ = _lint(cli, [str(spec)])
    assert [(f["location"]["file"], f["location"]["pointer"]) for f in findings] == [(str(common), "/components/responses/Generic400")]
    assert findings[0]["message"].startswith('"description" is a required property')


def test_what_lies_behind_a_ref_not_followed_is_not_judged(cli, tmp_path, monkeypatch):
    """Every rule on: the 400 response is a ref out of the repository, so its body is unknown, not
    missing: "declares no body" is suppressed with the ref as its reason (in the report, not
    lost). A rule that judges the document as written keeps its finding at such a ref: a tag
    description is no place for a Reference Object, followed or not."""
    spec = _layout(tmp_path)
    _git_init(tmp_path / "code" / "API_definitions")
    api = API.replace("paths:\n", "tags:\n  - name: sessions\n    description: {$ref: '../common/tags.md'}\npaths:\n", 1)
    spec.write_text(api, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    r = cli(["lint", str(spec), "-f", "json"])
    report = json.loads(r.out)
    at_400 = "/paths/~1sessions~1{sessionId}/get/responses/400"
    assert not [f for f in report["findings"] if f["location"]["pointer"] == at_400], report["findings"]
    hidden = [f for f in report["suppressed"] if f["location"]["pointer"] == at_400]
    assert [f["rule"] for f in hidden] == ["errors/structured-error-schema"]
    assert (
        hidden[0]["evidence"]["suppressed"]
        == "its content is behind $ref '../common/CAMARA_common.yaml#/components/responses/Generic400', which was not followed"
    )
    assert [f["message"] for f in report["findings"] if f["location"]["pointer"] == "/tags/0/description"] == [
        '{"$ref":"../common/tags.md"} is not of type "string"'
    ]
