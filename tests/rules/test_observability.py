"""observability/ rules on inline documents: a correlation header in any case, through a
component ref, or on an error response."""

from __future__ import annotations


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
