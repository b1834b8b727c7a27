"""Exact locations: line and column (1-based, in characters) of the node a pointer names, for YAML
(block, flow, anchors/aliases/merge keys, multi-line strings, duplicates, non-ASCII, CRLF) and
JSON, with both YAML paths (the fast rapidyaml one and the PyYAML reference one); and for
multi-file specs, the file where the node is written, through a chain of $refs.

A mapping member is located at its key; a sequence item at its value; a missing child falls back
to its nearest ancestor that exists."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES

from auditor.document.parse import parse


@pytest.fixture(params=["fast", "reference"])
def locate(request, monkeypatch):
    monkeypatch.setenv("AUDITOR_REFERENCE_PARSER", "1" if request.param == "reference" else "0")

    def _locate(text: str, pointer: str, name: str = "spec.yaml"):
        return parse(text.encode("utf-8"), name).locator.locate(pointer)

    return _locate


BLOCK = """openapi: 3.0.3
paths:
  /pets:
    get:
      parameters:
        - name: q
          in: query
        - in: header
          name: X-Trace
      responses:
        "200":
          description: ok
"""


@pytest.mark.parametrize(
    "pointer, expected",
    [
        ("", (1, 1)),
        ("/paths", (2, 1)),
        ("/paths/~1pets/get", (4, 5)),
        ("/paths/~1pets/get/parameters/0/in", (7, 11)),
        ("/paths/~1pets/get/parameters/1", (8, 11)),
        ("/paths/~1pets/get/parameters/1/name", (9, 11)),
        ("/paths/~1pets/get/responses/200", (11, 9)),  # a quoted key: at its quote
        ("/paths/~1pets/get/responses/200/description", (12, 11)),
        ("/paths/~1pets/get/nothing/here", (4, 5)),  # nearest existing ancestor
    ],
)
def test_yaml_block_style(locate, pointer, expected):
    assert locate(BLOCK, pointer) == expected


FLOW = """info: {title: T, version: '1'}
paths: {/a: {get: {responses: {'200': {description: ok}}}}}
list: [1, {x: 2}]
"""


@pytest.mark.parametrize(
    "pointer, expected",
    [
        ("/info/version", (1, 18)),
        ("/paths/~1a/get/responses/200", (2, 32)),
        ("/paths/~1a/get/responses/200/description", (2, 40)),
        ("/list/0", (3, 8)),
        ("/list/1/x", (3, 12)),
    ],
)
def test_yaml_flow_style(locate, pointer, expected):
    assert locate(FLOW, pointer) == expected


ANCHORS = """base: &b
  k: 1
  m: 2
child:
  <<: *b
  m: 3
alias: *b
seq:
  - &s {z: 1}
  - *s
"""


@pytest.mark.parametrize(
    "pointer, expected",
    [
        ("/child/k", (2, 3)),  # merged in: where the key is written, in the anchored mapping
        ("/child/m", (6, 3)),  # the child's own key overrides the merged one
        ("/alias", (7, 1)),
        ("/alias/k", (2, 3)),  # inside an alias: in the anchored node
        ("/seq/1/z", (9, 9)),
    ],
)
def test_yaml_anchors_aliases_and_merge_keys(locate, pointer, expected):
    assert locate(ANCHORS, pointer) == expected


MULTILINE = """a: |
  line1
  line2
b: >
  folded
  text
c: plain
  continued
d: "quoted
  more"
e: 1
"""


@pytest.mark.parametrize("pointer, expected", [("/b", (4, 1)), ("/c", (7, 1)), ("/d", (9, 1)), ("/e", (11, 1))])
def test_yaml_multiline_strings(locate, pointer, expected):
    assert locate(MULTILINE, pointer) == expected


def test_yaml_columns_count_characters_not_bytes(locate):
    text = 'x: {"é": 1, b: 2}\n"ключ": {y: 1}\n'
    assert locate(text, "/x/b") == (1, 13)
    assert locate(text, "/ключ/y") == (2, 10)


def test_yaml_crlf(locate):
    assert locate("a: 1\r\nb:\r\n  c: 2\r\n", "/b/c") == (3, 3)


def test_yaml_duplicate_key_points_at_the_copy_that_is_used(locate):
    text = "a:\n  x: 1\na:\n  y: 2\n"
    assert locate(text, "/a") == (3, 1)
    assert locate(text, "/a/y") == (4, 3)


JSON = '{\n  "a": {"b": [1, {"c": 2}]},\n  "é\\"x": {"d": 3},\n  "a~b/c": 1\n}\n'


@pytest.mark.parametrize(
    "pointer, expected",
    [
        ("", (1, 1)),
        ("/a", (2, 3)),
        ("/a/b/0", (2, 15)),
        ("/a/b/1/c", (2, 19)),
        ('/é"x/d', (3, 12)),  # escaped key, non-ASCII before the column
        ("/a~0b~1c", (4, 3)),
        ("/a/missing", (2, 3)),
    ],
)
def test_json(locate, pointer, expected):
    assert locate(JSON, pointer, "spec.json") == expected


def test_json_duplicate_key_points_at_the_copy_that_is_used(locate):
    text = '{"a": {"x": 1},\n "a": {"y": 2}}'
    assert parse(text.encode(), "spec.json").data == {"a": {"y": 2}}
    assert locate(text, "/a", "spec.json") == (2, 2)
    assert locate(text, "/a/y", "spec.json") == (2, 8)


# --- multi-file specs: the file the node is written in ----------------------------------------------


def _findings(cli, *args):
    r = cli(["lint", *args, "--pack", "minimal", "-f", "json"])
    assert r.code in (0, 1), r.err
    return json.loads(r.out)["findings"]


@pytest.mark.parametrize("mode", ["0", "1"])
def test_finding_in_third_file_of_a_ref_chain(cli, monkeypatch, mode):
    """openapi.yaml -> shared/b.yaml -> shared/c.yaml: the dangling ref in c.yaml is reported in
    c.yaml, at the line and column of its `$ref` key (spectral#2423)."""
    monkeypatch.setenv("AUDITOR_REFERENCE_PARSER", mode)
    root = FIXTURES / "multifile" / "openapi.yaml"
    found = [f for f in _findings(cli, str(root)) if f["location"]["file"].endswith("c.yaml")]
    assert len(found) == 1
    loc = found[0]["location"]
    assert loc["file"] == str(root.parent / "shared" / "c.yaml")
    assert (loc["pointer"], loc["line"], loc["column"]) == ("/schemas/Pet/properties/tag/$ref", 8, 9)
    line = (root.parent / "shared" / "c.yaml").read_text().splitlines()[loc["line"] - 1]
    assert line[loc["column"] - 1 :].startswith("$ref:")


@pytest.mark.parametrize("mode", ["0", "1"])
def test_validation_error_in_second_file(cli, monkeypatch, mode):
    monkeypatch.setenv("AUDITOR_REFERENCE_PARSER", mode)
    monkeypatch.chdir(FIXTURES / "multifile")
    found = [f for f in _findings(cli, "openapi.yaml") if f["location"]["file"] == "shared/b.yaml"]
    assert [(f["location"]["line"], f["location"]["column"]) for f in found] == [(11, 21)]  # `in: nowhere`


def test_json_chain_and_duplicate_key_in_third_file(cli, write):
    root = write(
        "root.json",
        json.dumps(
            {
                "openapi": "3.0.3",
                "info": {"title": "T", "version": "1"},
                "paths": {"/a": {"$ref": "b.json#/PathA"}},
            },
            indent=2,
        ),
    )
    write("b.json", json.dumps({"PathA": {"get": {"responses": {"200": {"$ref": "c.yaml#/Ok"}}}}}, indent=2))
    write("c.yaml", "Ok:\n  description: ok\n  content:\n    application/json:\n      schema: {$ref: '#/Nope'}\n  description: again\n")
    found = {f["rule"]: f["location"] for f in _findings(cli, str(root))}
    assert found["contract/ref-resolvable"]["file"].endswith("c.yaml")
    assert (found["contract/ref-resolvable"]["line"], found["contract/ref-resolvable"]["column"]) == (5, 16)
    assert found["contract/duplicate-key"]["file"].endswith("c.yaml")
    assert (found["contract/duplicate-key"]["line"], found["contract/duplicate-key"]["column"]) == (6, 3)


def test_each_file_is_parsed_once_whatever_the_number_of_findings(cli, write, monkeypatch):
    """Locations come from the locator built at load time, not from re-parsing per finding."""
    import auditor.document.document as document

    calls: list[str] = []
    real = document.parse

    def counting(data, name):
        calls.append(name)
        return real(data, name)

    monkeypatch.setattr(document, "parse", counting)
    ops = "".join(f"  /p{i}:\n    get:\n      responses:\n        '200': {{}}\n" for i in range(30))
    spec = write("many.yaml", f"openapi: 3.0.3\ninfo: {{title: T, version: '1'}}\npaths:\n{ops}")
    assert len(_findings(cli, str(spec))) >= 30
    assert calls == [str(spec)]


def test_spec_valid_error_in_third_file(cli, write):
    """A schema with an invalid `type` in c.yaml, reached root -> b.yaml -> c.yaml: the
    validation error names c.yaml and the line and column of the `type` key."""
    root = write(
        "openapi.yaml", ("openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /pets:\n    get:\n      responses:\n        '200': {$ref: 'b.yaml#/Ok'}\n")
    )
    write("b.yaml", "Ok:\n  description: ok\n  content:\n    application/json:\n      schema: {$ref: 'c.yaml#/Pet'}\n")
    write("c.yaml", "Pet:\n  type: object\n  properties:\n    name: {type: strng}\n")
    found = [f for f in _findings(cli, str(root)) if f["rule"] == "contract/spec-valid"]
    assert found and all(f["location"]["file"].endswith("c.yaml") for f in found), found
    assert {(f["location"]["pointer"], f["location"]["line"], f["location"]["column"]) for f in found} == {("/Pet/properties/name/type", 4, 12)}
