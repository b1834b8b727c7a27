"""Property-based robustness: mutated real documents (the corpus sample kept in the repository,
``tests/data/corpus-sample``) and generated small specs go through the loader, every rule and
every report format. The only acceptable outcomes are a ``Report`` or a clean ``AuditorError``;
any other exception is a bug. Hypothesis runs derandomized, without an example database, with
its storage in a temp folder (nothing is left in the working tree)."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="auditor-hypothesis-")
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, True)
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", _HYPOTHESIS_HOME)

import pytest  # noqa: E402
from conftest import sample_documents  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from auditor import api  # noqa: E402
from auditor.exceptions import AuditorError  # noqa: E402
from auditor.model import Report  # noqa: E402

CI = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=int(os.environ.get("AUDITOR_PROPERTY_EXAMPLES", "60")),  # raise it to hunt deeper
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FEWER = settings(CI, max_examples=max(1, CI.max_examples // 2))  # byte mutations mostly end in a parse error: cheap, less to learn

# --- inputs ----------------------------------------------------------------------------------


SAMPLE = sample_documents()


OPENAPI_WORDS = [
    "$ref",
    "type",
    "properties",
    "items",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "required",
    "parameters",
    "responses",
    "schema",
    "content",
    "in",
    "name",
    "headers",
    "paths",
    "components",
    "schemas",
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "head",
    "options",
    "security",
    "securitySchemes",
    "servers",
    "url",
    "operationId",
    "requestBody",
    "discriminator",
    "mapping",
    "enum",
    "default",
    "example",
    "examples",
    "format",
    "x-auditor-ignore",
    "definitions",
    "description",
    "tags",
    "deprecated",
    "additionalProperties",
    "nullable",
    "readOnly",
    "links",
    "callbacks",
    "webhooks",
    "style",
    "explode",
    "maxItems",
    "maxLength",
    "minimum",
    "pattern",
    "200",
    "201",
    "204",
    "400",
    "404",
    "429",
    "500",
    "default",
    "4XX",
    "application/json",
    "application/problem+json",
    "text/html",
    "Retry-After",
    "X-RateLimit-Limit",
    "Idempotency-Key",
    "/health",
    "/v1/items/{id}",
    "{id}",
    "query",
    "header",
    "path",
    "cookie",
    "body",
    "formData",
    "produces",
    "consumes",
    "basePath",
    "host",
    "scheme",
    "bearer",
    "oauth2",
    "apiKey",
    "flows",
    "string",
    "integer",
    "object",
    "array",
    "number",
    "boolean",
    "null",
    "int64",
    "date-time",
    "uuid",
]
REFS = [
    "#",
    "#/",
    "#/components/schemas/X",
    "#/definitions/X",
    "#/paths/~1a/get",
    "#/components/schemas",
    "x.yaml",
    "x.yaml#/A",
    "../x.yaml",
    "/etc/passwd",
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/",
    "#/components/schemas/~",
    "#/%zz",
    "#\u0000",
    "",
]

words = st.sampled_from(OPENAPI_WORDS)
keys = st.one_of(words, st.text(max_size=12))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    words,
    st.text(max_size=24),
)
refs = st.builds(lambda r: {"$ref": r}, st.one_of(st.sampled_from(REFS), st.text(max_size=24)))
values = st.recursive(
    st.one_of(scalars, refs),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=16,
)


def _choose_slot(draw, data):
    """A (container, key) inside ``data``, reached by a random walk from the root."""
    parent, key = None, None
    node = data
    while isinstance(node, (dict, list)) and node:
        slots = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
        k = slots[draw(st.integers(0, len(slots) - 1))]
        parent, key, node = node, k, node[k]
        if not draw(st.integers(0, 4)):  # stop here one time in five
            break
    return parent, key


@st.composite
def tree_mutations(draw, data):
    """``data`` with a few nodes replaced, deleted, turned into refs or given new keys."""
    data = json.loads(json.dumps(data))
    for _ in range(draw(st.integers(1, 4))):
        parent, key = _choose_slot(draw, data)
        if parent is None:
            return draw(values) if draw(st.integers(0, 9)) == 0 else data
        if parent is data and key in ("openapi", "swagger") and draw(st.integers(0, 9)):
            continue  # mostly keep it an OpenAPI document, so the rules run
        op = draw(st.sampled_from(["replace", "delete", "ref", "add"]))
        if op == "replace":
            parent[key] = draw(values)
        elif op == "delete":
            del parent[key]
        elif op == "ref":
            parent[key] = draw(refs)
        elif isinstance(parent, dict):
            parent[draw(keys)] = draw(values)
        else:
            parent.append(draw(values))
    return data


SPLICES = [
    b"{",
    b"}",
    b"[",
    b"]",
    b": ",
    b"- ",
    b"\n",
    b"\r\n",
    b"\t",
    b'"',
    b"'",
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"!!python/object/apply:os.system ['true'] ",
    b"!!binary ",
    b"$ref: '#/'\n",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"%YAML 1.1\n",
    b"---\n",
    b"...\n",
    b"? ",
    b"|\n",
    b">-\n",
    b"1e999",
    b"-.inf",
    b"~",
    b"null",
    b"9" * 5000,
    b'"\\ud800"',
    b"\\u0000",
]


@st.composite
def byte_mutations(draw, text: bytes):
    """``text`` with a few slices cut, copied or overwritten, or YAML/JSON syntax spliced in."""
    data = bytearray(text)
    for _ in range(draw(st.integers(1, 3))):
        n = len(data)
        i = draw(st.integers(0, n))
        op = draw(st.sampled_from(["cut", "copy", "splice", "byte", "truncate"]))
        if op == "cut":
            del data[i : i + draw(st.integers(1, 200))]
        elif op == "copy" and n:
            j = draw(st.integers(0, n - 1))
            data[i:i] = data[j : j + draw(st.integers(1, 400))]
        elif op == "splice":
            data[i:i] = draw(st.sampled_from(SPLICES))
        elif op == "byte" and i < n:
            data[i] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[i:]
    return bytes(data)


http_methods = st.sampled_from(["get", "put", "post", "delete", "patch", "head", "options", "trace", "x-op", "parameters", "$ref"])
statuses = st.sampled_from(
    ["200", "201", "202", "204", "301", "400", "401", "403", "404", "409", "422", "429", "500", "503", "default", "2XX", "5XX", "abc", ""]
)


@st.composite
def small_specs(draw):
    """A small, roughly OpenAPI-shaped document whose every part may be wrong."""
    family = draw(st.sampled_from(["2.0", "3.0.3", "3.1.0", "3.2.0"]))
    version = {"swagger": "2.0"} if family == "2.0" else {"openapi": family}
    schema = st.one_of(
        values,
        st.fixed_dictionaries(
            {"type": words}, optional={"properties": st.dictionaries(keys, values, max_size=3), "items": values, "required": st.lists(keys, max_size=3)}
        ),
    )
    response = st.one_of(
        values,
        st.fixed_dictionaries(
            {"description": st.text(max_size=10)},
            optional={
                "content": st.dictionaries(words, st.fixed_dictionaries({}, optional={"schema": schema, "example": values}), max_size=2),
                "schema": schema,
                "headers": st.dictionaries(keys, values, max_size=2),
            },
        ),
    )
    parameter = st.one_of(
        refs,
        values,
        st.fixed_dictionaries(
            {"name": keys, "in": st.sampled_from(["query", "header", "path", "cookie", "body", "formData", "x"])},
            optional={"required": st.booleans(), "schema": schema, "type": words},
        ),
    )
    operation = st.one_of(
        values,
        st.fixed_dictionaries(
            {"responses": st.one_of(values, st.dictionaries(statuses, response, max_size=4))},
            optional={
                "parameters": st.lists(parameter, max_size=3),
                "requestBody": values,
                "operationId": keys,
                "security": values,
                "x-auditor-ignore": values,
                "deprecated": values,
                "tags": values,
            },
        ),
    )
    paths = st.dictionaries(
        st.one_of(st.sampled_from(["/a", "/a/{id}", "/health", "/v1/x", "x-ext", "", "/{", "/a/{id}/{id}"]), st.text(max_size=10)),
        st.one_of(refs, values, st.dictionaries(http_methods, operation, max_size=3)),
        max_size=4,
    )
    doc = {**version, "info": draw(st.one_of(values, st.just({"title": "T", "version": "1"}))), "paths": draw(st.one_of(paths, values))}
    extra = draw(
        st.dictionaries(
            st.sampled_from(
                ["components", "definitions", "servers", "security", "tags", "webhooks", "host", "basePath", "x-auditor-ignore", "parameters", "responses"]
            ),
            values,
            max_size=3,
        )
    )
    doc.update(extra)
    if draw(st.booleans()):
        doc["components"] = {"schemas": draw(st.dictionaries(st.sampled_from(["X", "A", "B"]), schema, max_size=3))}
    return doc


# --- the property ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("properties")


@pytest.fixture(scope="module")
def config(workdir):
    return api.load_effective_config(api.LintOptions(cwd=workdir))


def check(workdir: Path, config, name: str, data: bytes) -> None:
    """Lint ``data`` saved as ``name``; a Report (rendered in every format) or an AuditorError."""
    from auditor.report import FORMATS, RenderOptions, render

    folder = Path(tempfile.mkdtemp(dir=workdir))
    try:
        path = folder / name
        path.write_bytes(data)
        try:
            report = api.lint([str(path)], api.LintOptions(cwd=folder), config=config)
        except AuditorError as exc:
            assert exc.message and "\n" not in exc.message and exc.hint, (exc.message, exc.hint)
            return
        assert isinstance(report, Report)
        for fmt in FORMATS:
            assert isinstance(render(report, fmt, RenderOptions()), str)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _dump(data) -> bytes:
    return json.dumps(data, allow_nan=True).encode()


@pytest.mark.corpus
@FEWER
@given(st.data())
def test_mutated_corpus_bytes(workdir, config, data):
    source = data.draw(st.sampled_from(SAMPLE), label="document")
    mutated = data.draw(byte_mutations(source.read_bytes()), label="mutated")
    check(workdir, config, source.name, mutated)


@pytest.mark.corpus
@pytest.mark.slow
@CI
@given(st.data())
def test_mutated_corpus_trees(workdir, config, data):
    from auditor.document.parse import parse

    source = data.draw(st.sampled_from(SAMPLE), label="document")
    tree = parse(source.read_bytes(), source.name).data
    mutated = data.draw(tree_mutations(tree), label="mutated")
    check(workdir, config, "openapi.json", _dump(mutated))


@CI
@given(small_specs())
def test_small_specs(workdir, config, doc):
    check(workdir, config, "openapi.json", _dump(doc))


@FEWER
@given(small_specs(), st.sampled_from([b"", b"\n", b"\r\n"]), st.data())
def test_small_specs_as_mutated_yaml(workdir, config, doc, eol, data):
    import yaml

    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode("utf-8")
    if eol:
        text = text.replace(b"\n", eol)
    check(workdir, config, "openapi.yaml", data.draw(byte_mutations(text), label="mutated"))


def test_sample_is_varied():
    """The corpus sample covers both formats."""
    assert {p.suffix for p in SAMPLE} >= {".json", ".yaml"} and len(SAMPLE) >= 3
