"""pagination/: collections come back in pages the client can walk and the server can bound."""

from __future__ import annotations

import re
from typing import Any

from auditor.document.context import Context, is_json, schema_types
from auditor.document.document import At, OperationRef
from auditor.rules.registry import Option, Violation, rule

PAGE_SIZE_PARAMS = [
    "limit",
    "page_size",
    "pagesize",
    "per_page",
    "perpage",
    "size",
    "page[size]",
    "page[limit]",
    "top",
    "$top",
    "maxpagesize",
    "max_results",
    "maxresults",
    "max-results",
    "count",
    "take",
    "first",
    "pagelen",
    "rows",
]
CONTINUATION_PARAMS = [
    "cursor",
    "page_token",
    "pagetoken",
    "starting_after",
    "ending_before",
    "after",
    "before",
    "offset",
    "page",
    "skip",
    "$skip",
    "skiptoken",
    "$skiptoken",
    "start",
    "startindex",
    "start_index",
    "marker",
    "next",
    "continuation",
    "continuationtoken",
    "continuation_token",
    "nexttoken",
    "next_token",
    "from",
    "since",
    "since_id",
    "max_id",
    "page[number]",
    "page[cursor]",
    "page[after]",
    "page[before]",
    "page[offset]",
    "pagenumber",
    "page_number",
]
CONTINUATION_FIELDS = [
    "next",
    "nextlink",
    "@odata.nextlink",
    "next_link",
    "next_page",
    "nextpage",
    "next_page_token",
    "nextpagetoken",
    "next_page_url",
    "next_cursor",
    "nextcursor",
    "cursor",
    "has_more",
    "hasmore",
    "has_next",
    "hasnext",
    "continuation",
    "continuationtoken",
    "continuation_token",
    "nexttoken",
    "next_token",
    "marker",
    "next_marker",
    "links",
    "_links",
    "paging",
    "pagination",
    "page_info",
    "pageinfo",
]
NOT_ITEMS = re.compile(r"(?i)error|warning|message|problem|detail")
ENVELOPE_FIELDS = ["items", "data", "value", "values", "results", "content", "records", "entries", "list", "elements", "hits", "nodes", "edges"]


def _collection(ctx: Context, schema: Any, at: At) -> tuple[str, dict] | None:
    """("array" | "envelope", the object schema or {}) when the body is a collection."""
    merged = ctx.merged_schema(schema, at)
    if _is_array(ctx, merged, at):
        return "array", {}
    props = merged.get("properties")
    if not isinstance(props, dict):
        return None
    arrays = [name for name, sub in props.items() if _is_array(ctx, sub, at) and not NOT_ITEMS.search(str(name))]
    if any(str(name).lower() in ENVELOPE_FIELDS for name in arrays):
        return "envelope", merged
    if len(arrays) == 1 and len(props) <= 6:
        return "guess", merged  # a small object with one array: a list envelope, or one resource
    return None


def _is_array(ctx: Context, schema: Any, at: At) -> bool:
    merged = ctx.merged_schema(schema, at)
    types = schema_types(merged)
    return ("array" in types or (not types and isinstance(merged.get("items"), dict))) and not _small(ctx, merged)


def _small(ctx: Context, schema: dict) -> bool:
    limit = ctx.options.get("max-unpaged-items", 1000)
    return isinstance(schema.get("maxItems"), int) and schema["maxItems"] <= limit


def _body(ctx: Context, op: OperationRef):
    ok = sorted((r for r in ctx.responses(op) if r.status.startswith("2") and r.status != "204"), key=lambda r: r.status)
    for resp in ok[:1]:
        for media in ctx.response_media(op, resp):
            if media.schema is not None and is_json(media.media_type):
                return resp, media
    return None, None


@rule(
    "pagination/collection-paginated",
    severity="warn",
    summary="GET operations returning collections are paginated, with a bounded page size",
    hint="add a continuation (cursor/page_token, offset or page query parameter, or a next link) and a page-size parameter with a maximum",
    options=[
        Option("page-size-params", list, PAGE_SIZE_PARAMS, "query parameter names (any case) that set the page size"),
        Option("continuation-params", list, CONTINUATION_PARAMS, "query parameter names (any case) that select the next page"),
        Option("continuation-fields", list, CONTINUATION_FIELDS, "response body fields (any case) that lead to the next page"),
        Option("require-page-size", bool, False, "also require a page-size parameter (else the server may choose the page size)"),
        Option("max-unpaged-items", int, 1000, "an array with maxItems at most this is a small fixed collection and needs no paging"),
    ],
)
def collection_paginated(ctx: Context):
    """
    What it checks: every GET whose first 2xx JSON body is a collection (an array, or an object
    with an array under `items`, `data`, `value`, `results`, ... or a single array property,
    except on a path ending in a parameter such as `/items/{id}`, where one array property is
    an attribute of one resource; `allOf` merged, `$ref` followed) offers a way to the next page: a query parameter such as
    `cursor`, `page_token`, `starting_after`, `offset`, `page` (option `continuation-params`),
    a body field such as `next`, `nextLink`, `next_page_token`, `has_more`, `links` (option
    `continuation-fields`), or a `Link` response header. A page-size parameter (`limit`,
    `page_size`, `per_page`, `top`, ...) must have a `maximum`. Requiring a page-size parameter
    too is the option `require-page-size` (on in the strict pack); without it the server is
    trusted to choose the page size. Arrays with `maxItems` up to `max-unpaged-items` are small
    fixed collections and are not reported.

    Why it matters: a list that grows with the data eventually returns a response too large to
    produce, send or parse; clients learn that in production (OWASP API4; Zalando #159; AIP-158).

    Bad:
        /orders:
          get:
            responses:
              "200": {content: {application/json: {schema: {type: array, items: {$ref: Order}}}}}

    Good:
        /orders:
          get:
            parameters:
              - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
              - {name: cursor, in: query, schema: {type: string, maxLength: 200}}
            responses:
              "200": {content: {application/json: {schema: {$ref: OrderPage}}}}  # items + next_cursor

    Fix: add cursor (preferred) or offset pagination, and cap the page size.
    """
    size_names = {n.lower() for n in ctx.options.get("page-size-params", PAGE_SIZE_PARAMS)}
    cont_names = {n.lower() for n in ctx.options.get("continuation-params", CONTINUATION_PARAMS)}
    field_names = {n.lower() for n in ctx.options.get("continuation-fields", CONTINUATION_FIELDS)}
    for op in ctx.operations():
        if op.method != "get":
            continue
        resp, media = _body(ctx, op)
        if media is None:
            continue
        found = _collection(ctx, media.schema, media.at)
        if found is None:
            continue
        kind, envelope = found
        if kind == "guess" and op.path.rstrip("/").endswith("}"):
            continue  # GET /items/{id}: one resource that happens to hold an array, not a list
        query = {p.name.lower(): p for p in ctx.parameters(op) if p.location == "query"}
        size = [p for name, p in query.items() if name in size_names]
        continuation = (
            any(name in cont_names for name in query)
            or any(str(f).lower() in field_names for f in (envelope.get("properties") or {}))
            or "link" in ctx.response_headers(resp)
        )
        where = f"{op.method.upper()} {op.path}"
        what = "an array" if kind == "array" else "a list"
        if not continuation and not size:
            yield Violation(f"{where} returns {what} without pagination", op.at, operation=op)
        elif not continuation:
            yield Violation(f"{where} returns {what} with a page size but no way to the next page", op.at, operation=op)
        elif not size and ctx.options.get("require-page-size", False):
            yield Violation(f"{where} returns {what} without a page-size parameter", op.at, operation=op)
        for p in size:
            schema = ctx.merged_schema(p.schema, p.schema_at)
            if not ("maximum" in schema or "exclusiveMaximum" in schema or "enum" in schema):
                yield Violation(
                    f"page-size parameter {p.name!r} has no maximum",
                    p.schema_at,
                    hint="add `maximum` (and document what happens above it: 400 or clamped)",
                    operation=op,
                )
