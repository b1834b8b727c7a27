"""pagination/ rules on inline documents: what is a collection (not an envelope whose only array
is `errors`, not a single resource with one array property) and offset pagination with or
without a page size."""

from __future__ import annotations


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
