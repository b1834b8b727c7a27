"""`auditor diff` on real history: documents as they were at two commits of their repositories
(tests/data/history/README.md says where each comes from and what changed, read from
`git show`). Every finding is asserted exactly: rule, where, operations and message."""

from __future__ import annotations

import pytest
from conftest import CORPUS, ROOT

from auditor import api

HISTORY = ROOT / "tests" / "data" / "history"


def _diff(old: str, new: str, tmp_path) -> list[tuple]:
    report = api.diff(str(HISTORY / old), str(HISTORY / new), api.LintOptions(pack="recommended", cwd=tmp_path))
    out = []
    for f in report.findings:
        ops = (f.evidence or {}).get("operations") or ([str(f.operation)] if f.operation else [])
        out.append((f.rule, f.severity.value, f.location.file.rsplit("/", 1)[-1], f.location.pointer, f.location.line, tuple(ops), f.message))
    return out


def test_museum_success_statuses_changed_without_a_major(tmp_path):
    """62024de: 200 -> 201 on two creating operations, version 1.1.0 unchanged."""
    assert _diff("museum/openapi-b36b3aa.yaml", "museum/openapi-62024de.yaml", tmp_path) == [
        (
            "diff/major-bump-required",
            "error",
            "openapi-62024de.yaml",
            "/info/version",
            5,
            (),
            "breaking changes but the major version stays 1 (info.version 1.1.0 -> 1.1.0)",
        ),
        (
            "diff/response-status-removed",
            "error",
            "openapi-b36b3aa.yaml",
            "/paths/~1special-events/post/responses/200",
            58,
            ("POST /special-events",),
            "success response 200 was removed (now documented: 201)",
        ),
        (
            "diff/response-status-removed",
            "error",
            "openapi-b36b3aa.yaml",
            "/paths/~1tickets/post/responses/200",
            186,
            ("POST /tickets",),
            "success response 200 was removed (now documented: 201)",
        ),
    ]


def test_museum_refactor_to_data_models(tmp_path):
    """3bdfc57: renamed and allOf-restructured schemas compare equal after resolution; what is
    left is two response properties that are no longer required, under a minor version bump."""
    every_event_operation = ("GET /special-events", "POST /special-events", "GET /special-events/{eventId}", "PATCH /special-events/{eventId}")
    assert _diff("museum/openapi-b160884.yaml", "museum/openapi-3bdfc57.yaml", tmp_path) == [
        (
            "diff/major-bump-required",
            "error",
            "openapi-3bdfc57.yaml",
            "/info/version",
            5,
            (),
            "breaking changes but the major version stays 1 (info.version 1.1.1 -> 1.2.0)",
        ),
        (
            "diff/response-required-property-removed",
            "error",
            "openapi-3bdfc57.yaml",
            "/components/schemas/Ticket/properties/ticketId",
            265,
            ("POST /tickets",),
            "response property `ticketId` is no longer required",
        ),
        (
            "diff/response-required-property-removed",
            "error",
            "openapi-3bdfc57.yaml",
            "/components/schemas/SpecialEvent/properties/eventId",
            365,
            every_event_operation,
            "response property `eventId` is no longer required",
        ),
    ]


def test_museum_each_version_against_itself_is_clean(tmp_path):
    for name in ("openapi-b36b3aa.yaml", "openapi-62024de.yaml", "openapi-b160884.yaml", "openapi-3bdfc57.yaml"):
        assert _diff(f"museum/{name}", f"museum/{name}", tmp_path) == [], name


def test_petstore_swagger2_against_openapi3_on_the_normalised_model(tmp_path):
    """The same API in Swagger 2.0 and OpenAPI 3.0: formats differ everywhere (definitions vs
    components, body parameters vs requestBody, produces vs content), only three real
    differences remain."""
    assert _diff("petstore/petstore-swagger2.yaml", "petstore/petstore-openapi3.yaml", tmp_path) == [
        (
            "diff/major-bump-required",
            "error",
            "petstore-openapi3.yaml",
            "/info/version",
            3,
            (),
            "breaking changes but the major version stays 1 (info.version 1.0.0 -> 1.0.0)",
        ),
        (
            "diff/request-bounds-narrowed",
            "error",
            "petstore-openapi3.yaml",
            "/paths/~1pets/get/parameters/0/schema",
            21,
            ("GET /pets",),
            "request query parameter `limit`: maximum 100 added",
        ),
        (
            "diff/request-body-required",
            "error",
            "petstore-openapi3.yaml",
            "/paths/~1pets/post/requestBody",
            48,
            ("POST /pets",),
            "a required request body was added",
        ),
        (
            "diff/response-type-changed",
            "error",
            "petstore-openapi3.yaml",
            "/components/schemas/Pet",
            91,
            ("GET /pets/{petId}",),
            "response schema `Pet`: type array -> object",
        ),
    ]


@pytest.mark.parametrize(
    "entry",
    [
        "OAI__OpenAPI-Specification/examples/v2.0/yaml/petstore-separate/spec/swagger.yaml",
        "matrix-org__matrix-spec/data/api/client-server/filter.yaml",
        "ga4gh__data-repository-service-schemas/openapi/data_repository_service.openapi.yaml",
        "Redocly__museum-openapi-example/openapi.yaml",
        "APIs-guru__unofficial_openapi_specs/twitter.com/1.1/swagger.yaml",
    ],
)
def test_corpus_documents_against_themselves_are_clean(entry, tmp_path):
    """Multi-file (2.0 and 3.1), recursive and large documents from the shared corpus: every
    schema is compared, nothing differs."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS} (it lives beside the project)")
    path = str(CORPUS / entry)
    report = api.diff(path, path, api.LintOptions(pack="strict", cwd=tmp_path))
    assert report.findings == () and report.stats["diff"]["removed"] == report.stats["diff"]["added"] == 0
