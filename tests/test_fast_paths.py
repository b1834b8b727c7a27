"""The fast paths find exactly what the reference paths find.

Parsing: rapidyaml (``yaml_fast``) vs PyYAML (``AUDITOR_REFERENCE_PARSER=1``): the same data,
the same repeated keys, the same line:column for every node a report could point at.
Validation: jsonschema-rs + our semantic walk (``validate_fast``) vs openapi-spec-validator
(``AUDITOR_REFERENCE_VALIDATOR=1``): the same set of errors; the fast path points each one at
its node, where openapi-spec-validator points semantic errors at the document root or at a
pointer relative to the schema it checked (so a fast pointer must equal or end with it).
Whole reports: every rule other than contract/spec-valid gives the same findings either way.

The documents: the corpus sample kept in the repository (always), and larger or multi-file
ones from the shared corpus (skipped, with the reason, without it). Run
``python tests/test_fast_paths.py`` to compare every entry document of the shared corpus.
"""

from __future__ import annotations

import os
import random
import re
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import CORPUS, CORPUS_MISSING, SAMPLE_CORPUS, corpus_document, manifest, sample_documents  # noqa: E402

# a spread of real documents: YAML and JSON, 2.0 / 3.0 / 3.1, valid and invalid, big and small.
# The small single-file ones are in the repository; the big and multi-file ones (kubernetes
# has the paths that make the engine split its work) come from the shared corpus.
KUBERNETES = "kubernetes-client__python/scripts/swagger.json"
SAMPLE = [pytest.param(path, id=str(path.relative_to(SAMPLE_CORPUS))) for path in sample_documents()] + [
    corpus_document(rel)
    for rel in (
        KUBERNETES,
        "APIs-guru__unofficial_openapi_specs/atlassian.com/jira/7.6.1/swagger.yaml",
        "APIs-guru__unofficial_openapi_specs/bufferapp.com/1/swagger.yaml",
        "digitalocean__openapi/specification/DigitalOcean-public.v2.yaml",
        "opensearch-project__opensearch-api-specification/spec/namespaces/knn.yaml",
        "ga4gh__data-repository-service-schemas/openapi/data_repository_service.openapi.yaml",
    )
]
# openapi-spec-validator raising instead of reporting ("KeyError: 'name'", "PointerToNowhere: ...")
# stops it; the fast path goes on, so after such a crash it may report more
CRASH = re.compile(r"^(?:[A-Z][A-Za-z]+: |validation stopped)")


def _reference(monkeypatch_env: dict[str, str]):
    class Env:
        def __enter__(self):
            self.saved = {k: os.environ.get(k) for k in monkeypatch_env}
            os.environ.update(monkeypatch_env)

        def __exit__(self, *exc):
            for k, v in self.saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    return Env()


def _pointers(data: Any, limit: int, seed: int) -> list[str]:
    """Every pointer down to depth 3, plus a random sample of deeper ones."""
    from auditor.document import pointer as jp

    shallow, deep = [], []
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        node, ptr, depth = stack.pop()
        (shallow if depth <= 3 else deep).append(ptr)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            stack.append((v, jp.join(ptr, k), depth + 1))
    rng = random.Random(seed)
    return shallow + rng.sample(deep, min(limit, len(deep)))


def compare_parse(path: Path) -> list[str]:
    from auditor.document.parse import parse
    from auditor.exceptions import InputError

    raw = path.read_bytes()
    problems: list[str] = []
    outcome: dict[str, Any] = {}
    for mode, env in (("fast", {"AUDITOR_REFERENCE_PARSER": "0"}), ("reference", {"AUDITOR_REFERENCE_PARSER": "1"})):
        with _reference(env):
            try:
                outcome[mode] = parse(raw, str(path))
            except InputError as exc:
                outcome[mode] = exc.message
    fast, ref = outcome["fast"], outcome["reference"]
    if isinstance(fast, str) or isinstance(ref, str):
        if fast != ref:
            problems.append(f"parse outcome differs: fast={str(fast)[:200]!r} reference={str(ref)[:200]!r}")
        return problems
    if fast.data != ref.data:
        problems.append("parsed data differs")
        return problems
    if fast.duplicate_keys != ref.duplicate_keys:
        problems.append(f"duplicate keys differ: {fast.duplicate_keys[:5]} vs {ref.duplicate_keys[:5]}")
    located = [d for d in fast.duplicate_keys if d.startswith("/")]  # JSON ones are names, not pointers
    for ptr in located + _pointers(fast.data, 3000, seed=len(raw)):
        a, b = fast.locator.locate(ptr), ref.locator.locate(ptr)
        if a != b:
            problems.append(f"position of {ptr!r}: fast {a} reference {b}")
            if len(problems) > 5:
                break
    return problems


def compare_validation(path: Path) -> list[str]:
    from auditor.document.document import Document
    from auditor.document.validate import validate
    from auditor.exceptions import InputError

    try:
        spec = Document.load(str(path))
    except InputError:
        return []
    with _reference({"AUDITOR_REFERENCE_VALIDATOR": "0"}):
        fast = list(validate(spec))
    with _reference({"AUDITOR_REFERENCE_VALIDATOR": "1"}):
        ref = list(validate(spec))
    problems = []
    crashed = any(CRASH.match(e.raw[1]) for e in ref)
    fast_msgs = {e.raw[1] for e in fast}
    ref_msgs = {e.raw[1] for e in ref if not CRASH.match(e.raw[1])}
    if ref_msgs - fast_msgs:
        problems.append(f"only openapi-spec-validator reports: {sorted(ref_msgs - fast_msgs)[:5]}")
    if not crashed and fast_msgs - ref_msgs:  # after a crash the reference stops early
        problems.append(f"only the fast path reports: {sorted(fast_msgs - ref_msgs)[:5]}")
    for e in ref:
        if e.kind == "schema" and e.raw not in {f.raw for f in fast}:
            problems.append(f"schema error not matched exactly: {e.raw}")
    fast_by_msg: dict[str, list[str]] = {}
    for e in fast:
        fast_by_msg.setdefault(e.raw[1], []).append(e.at.pointer)
    for e in ref:
        if e.kind == "semantic" and e.raw[1] in fast_by_msg:
            if not any(p.endswith(e.at.pointer) for p in fast_by_msg[e.raw[1]]):
                problems.append(f"{e.raw[1]!r}: fast at {fast_by_msg[e.raw[1]][:3]}, reference at {e.at.pointer!r}")
    return problems


def compare_reports(path: Path) -> list[str]:
    from auditor import api
    from auditor.exceptions import InputError

    reports = {}
    for mode, flag in (("fast", "0"), ("reference", "1")):
        with _reference({"AUDITOR_REFERENCE_PARSER": flag, "AUDITOR_REFERENCE_VALIDATOR": flag}):
            try:
                report = api.lint([str(path)])
            except InputError as exc:
                reports[mode] = exc.message
                continue
            reports[mode] = sorted(
                (
                    f.rule,
                    f.message,
                    f.location.pointer if f.location else None,
                    f.location.line if f.location else None,
                    f.location.column if f.location else None,
                    f.severity.value,
                )
                for f in report.findings + report.suppressed
                if f.rule != "contract/spec-valid"
            )
    if reports["fast"] != reports["reference"]:
        fast, ref = reports["fast"], reports["reference"]
        if isinstance(fast, str) or isinstance(ref, str):
            return [f"outcome differs: {fast!r:.200} vs {ref!r:.200}"]
        return [f"findings differ: only fast {sorted(set(fast) - set(ref))[:3]}, only reference {sorted(set(ref) - set(fast))[:3]}"]
    return []


def test_the_corpus_sample_is_a_spread_of_real_documents():
    rows = manifest(SAMPLE_CORPUS)
    assert len(rows) >= 5 and all((SAMPLE_CORPUS / row["path"]).is_file() for row in rows)
    assert {row["format"] for row in rows} == {"yaml", "json"} and {row["valid"] for row in rows} == {"yes", "no"}
    assert {row["oas_version"] for row in rows} >= {"2.0", "3.0.x", "3.1.x"}
    assert sum(int(row["bytes"]) for row in rows) < 300_000


@pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(), reason=CORPUS_MISSING)
def test_the_corpus_sample_is_a_verbatim_copy_of_the_shared_corpus():
    corpus = manifest(CORPUS)
    for row in manifest(SAMPLE_CORPUS):
        assert (SAMPLE_CORPUS / row["path"]).read_bytes() == (CORPUS / row["path"]).read_bytes(), row["path"]
        assert row in corpus, row["path"]


@pytest.mark.parametrize("path", SAMPLE)
def test_fast_parser_matches_pyyaml(path):
    assert compare_parse(path) == []


@pytest.mark.slow
@pytest.mark.parametrize("path", SAMPLE)
def test_fast_validator_matches_openapi_spec_validator(path):
    assert compare_validation(path) == []


@pytest.mark.slow
@pytest.mark.parametrize("path", SAMPLE)
def test_reports_match_with_and_without_fast_paths(path):
    assert compare_reports(path) == []


YAML_CASES = {
    "scalars": b"a: 2020-01-01\nb: yes\nc: True\nd: 012\ne: '1.0'\nf: 1.5\ng: ~\nh:\ni: 1e5\nj: 0x1F\nk: .inf\nl: 1_000\nm: '~'\n",
    "keys": b"200: a\ntrue: b\n~: c\n'x': d\n\"y\\tz\": e\n1.5: f\n",
    "quoted": b"a: \"multi\n  line\"\nb: 'it''s'\nc: |\n  block\n  text\nd: >\n  folded\n  text\n",
    "flow": b"a: {b: [1, 'two', {c: d}], e: []}\nf: [ {g: h} ]\n",
    "duplicates": b"a: 1\na: 2\nb: {c: 1, c: 2}\nd: [{e: 1, e: 2}]\n",
    "comments": b"# head\n\n---\na: 1 # tail\nlist:\n  - x\n  - - y\n  - z: 1\n",
    "unicode": 'a: "h\u00e9llo"\n\u00fc: \u00e9\nb: ["\u00e9", x]\n'.encode(),
    "bom": b"\xef\xbb\xbfa: 1\n",
    "anchors": b"a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n  e: 2\n",
    "tags": b"a: !!str 12\nb: !!int '7'\n",
    "empty": b"security:\n  - {}\n  - []\n  - a: 1\nx: [{}, [], {b: []}]\ny:\n  - |\n    block in a list\n",
}


JSON_CASES = {
    "escapes": b'{"a": "\\u00e9\\/\\n\\"x", "b~/c": [1, 2.5e3, -0, true, null, {"d": []}], "\\u00fc": {}}',
    "layout": b'\t{\n\t"a" :\t[ {"b":1} ,\r\n {"c" : "x"}],"e":{}}\n',
    "duplicates": b'{"a": 1, "b": {"c": 1, "c": 2}, "a": 3}',
    "empty": b'{"security": [{}, [], {"a": []}], "x": [[], [{}]]}',
    "unicode": '{"\u00e9t\u00e9": ["\u00fc", {"k": "v"}], "z": "\u4e2d\u6587"}'.encode(),
}


@pytest.mark.parametrize("name", sorted(YAML_CASES))
def test_fast_parser_matches_pyyaml_on_edge_cases(tmp_path, name):
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(YAML_CASES[name])
    assert compare_parse(path) == []


@pytest.mark.parametrize("name", sorted(JSON_CASES))
def test_json_locator_on_ryml_matches_text_scanner(tmp_path, name):
    path = tmp_path / f"{name}.json"
    path.write_bytes(JSON_CASES[name])
    assert compare_parse(path) == []


def test_dialect_ids_are_openapi_schema_validators():
    import openapi_schema_validator as osv

    from auditor.document.validate_defaults import DIALECTS

    assert DIALECTS == {"3.1": osv.OAS31_BASE_DIALECT_ID, "3.2": osv.OAS32_BASE_DIALECT_ID}


def test_fast_path_is_taken_for_plain_yaml():
    from auditor.document.parse import parse
    from auditor.document.yaml_fast import RymlLocator

    assert isinstance(parse(b"openapi: 3.0.0\npaths: {}\n", "a.yaml").locator, RymlLocator)


def test_oneof_failure_names_the_closest_alternative(tmp_path):
    from auditor.document.document import Document
    from auditor.document.validate import validate

    path = tmp_path / "a.yaml"
    path.write_bytes(
        b"openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a/{id}:\n    get:\n"
        b"      parameters:\n        - {name: id, in: path, schema: {type: string}}\n"
        b"      responses: {'200': {description: ok}}\n"
    )
    errors = [e for e in validate(Document.load(str(path))) if e.kind == "schema"]
    assert len(errors) == 1
    assert errors[0].at.pointer == "/paths/~1a~1{id}/get/parameters/0"
    assert errors[0].message.startswith('"required" is a required property')
    assert "oneOf" in errors[0].message


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize("path", [corpus_document(KUBERNETES)])
def test_rules_split_over_two_processes_give_the_same_report(path):
    from auditor import api

    texts = []
    for jobs in ("1", "2"):
        with _reference({"AUDITOR_JOBS": jobs}):
            texts.append(api.lint([str(path)]).to_dict())
    assert texts[0] == texts[1]


def test_split_reruns_a_failing_item_in_the_parent():
    from auditor.parallel import map_split

    def fn(x):
        if x == 3 and os.getpid() != parent:
            raise RuntimeError("child only")
        return x * x

    parent = os.getpid()
    with _reference({"AUDITOR_JOBS": "2"}):
        assert map_split(range(6), fn, weight=10_000) == [0, 1, 4, 9, 16, 25]


def test_split_shares_the_items_between_both_processes():
    """Each item runs once, in whichever process takes it from the queue first; with items
    that take a while, both processes take some."""
    import time

    from auditor.parallel import map_split

    def fn(x):
        time.sleep(0.05)
        return x, os.getpid()

    prepared: list[int] = []
    with _reference({"AUDITOR_JOBS": "2"}):
        out = map_split(range(8), fn, weight=10_000, prepare=lambda: prepared.append(os.getpid()))
    assert [x for x, _ in out] == list(range(8))
    assert len({pid for _, pid in out}) == 2
    assert prepared == [os.getpid()]  # once, before the fork


@pytest.mark.slow
@pytest.mark.parametrize("path", sample_documents()[:2], ids=lambda p: p.name)
def test_json_report_is_byte_identical_to_the_standard_encoder(path):
    import dataclasses
    import json

    from auditor import api
    from auditor.model import Operation
    from auditor.report import json_format

    report = api.lint([str(path)])
    first = dataclasses.replace(
        report.findings[0],
        message=report.findings[0].message + " \u00e9\U0001f600",  # non-ASCII must come out escaped
        operation=Operation("GET", "/caf\u00e9"),
        evidence={"operations": ["GET /a", "POST /b"], "n": 3, "nested": [{"ok": True, "none": None}]},
    )
    report = dataclasses.replace(report, findings=(first, *report.findings[1:]))
    fast = json_format._orjson(report)
    assert fast is not None
    assert fast == json.dumps(report.to_dict(), indent=2, ensure_ascii=True) + "\n"


def test_json_report_with_a_float_in_evidence_uses_the_standard_encoder():
    from auditor.model import Finding, Report, Severity
    from auditor.report import json_format

    report = Report("lint", findings=(Finding("a/b", Severity.WARN, "m", "h", evidence={"p95_ms": [1e16]}),))
    assert json_format._orjson(report) is None
    assert '"p95_ms": [\n' in json_format.render(report, None) and "1e+16" in json_format.render(report, None)


def _all_entries() -> list[str]:
    return [row["path"] for row in manifest(CORPUS) if row["entry"] == "yes"]


if __name__ == "__main__":  # compare every corpus entry document
    bad = 0
    for rel in sys.argv[1:] or _all_entries():
        path = CORPUS / rel
        problems = compare_parse(path) + compare_validation(path) + compare_reports(path)
        if problems:
            bad += 1
            print(rel)
            for p in problems:
                print("   ", p[:400])
    print(f"{bad} documents differ")


# --- defaults: the fast check must never call valid what openapi-schema-validator rejects -----

DEFAULT_CASES = [
    ({"type": "integer", "format": "int32"}, [0, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1, True, "x"]),
    ({"type": "integer", "format": "int64"}, [2**63 - 1, 2**63, -(2**63), -(2**63) - 1]),
    ({"type": "number", "format": "float"}, [1, 1.5, True]),
    ({"type": "string", "format": "date"}, ["2021-01-01", "2021-02-30", "2021-1-1", "２０２１-01-01", "x", 5]),
    (
        {"type": "string", "format": "uuid"},
        ["a14dcc63-d651-4c57-9826-4a3705f5c78d", "a14dcc63d6514c5798264a3705f5c78d", "{a14dcc63-d651-4c57-9826-4a3705f5c78d}", "x"],
    ),
    ({"type": "string", "format": "email"}, ["a@b", "ab", ""]),
    ({"type": "string", "format": "date-time"}, ["2021-01-01T00:00:00Z", "Assigned"]),
    ({"type": "string", "format": "byte"}, ["aGk=", "not base64!"]),
    ({"type": "string", "format": "made-up"}, ["anything"]),
    ({"type": "array", "items": {"type": "string", "format": "date"}}, [["2021-01-01"], ["2021-01-01", "nope"], []]),
    ({"type": "string"}, [None, "x"]),
    ({"type": "string", "nullable": True}, [None]),
    ({"nullable": False}, [None]),
    ({"enum": [None, "a"]}, [None, "b"]),
    ({"type": "object", "properties": {"a": {"type": "string", "nullable": True}}}, [{"a": None}, {"a": 1}]),
    ({"type": ["string", "null"]}, [None, 1]),
]


@pytest.mark.parametrize("family", ["2.0", "3.0", "3.1", "3.2"])
def test_default_fast_check_agrees_with_openapi_schema_validator(family):
    import openapi_schema_validator as osv
    from openapi_schema_validator.validators import OAS30Validator, OAS31Validator, OAS32Validator

    from auditor.document.validate_defaults import default_surely_valid

    cls, checker = {
        "2.0": (OAS30Validator, osv.oas30_format_checker),
        "3.0": (OAS30Validator, osv.oas30_format_checker),
        "3.1": (OAS31Validator, osv.oas31_format_checker),
        "3.2": (OAS32Validator, osv.oas32_format_checker),
    }[family]
    fast_accepted = 0
    for schema, values in DEFAULT_CASES:
        for value in values:
            try:
                errors = list(cls(schema, format_checker=checker).iter_errors(value))
            except Exception as exc:  # noqa: BLE001 - e.g. `type: [..]` is no 3.0 type: then fast must not accept
                errors = [exc]
            if default_surely_valid(family, schema, value):
                fast_accepted += 1
                assert not errors, f"{family}: fast path accepts {value!r} for {schema}, the reference says {errors[0]}"
    assert fast_accepted >= 12  # the fast path does take the common cases


def test_every_checked_format_is_known_to_the_fast_check():
    """A format the validators check but CHECKED_FORMATS does not list would be ignored by the
    fast check while the reference enforces it."""
    import openapi_schema_validator as osv

    from auditor.document.validate_defaults import CHECKED_FORMATS

    for checker in (osv.oas30_format_checker, osv.oas30_strict_format_checker, osv.oas31_format_checker, osv.oas32_format_checker):
        assert set(checker.checkers) <= CHECKED_FORMATS, set(checker.checkers) - CHECKED_FORMATS


SCALARS = [
    "warn",
    "error",
    "inputs/string-bounded",
    "true",
    "false",
    "True",
    "null",
    "~",
    "",
    "0",
    "7",
    "012",
    "09",
    "1_000",
    "1.5",
    "-1",
    "+2",
    "2020-01-01",
    "1:30",
    "yes",
    "no",
    "on",
    "Off",
    "y",
    "NULL",
    "<<",
    "=",
    ".inf",
    "0x1F",
    "0o17",
    "0b11",
    "é",
    "123abc",
    "12 34",
    "a b",
    "0.",
    "10e3",
    "The x",
    "on",
    "ON",
    "Null",
    "NO",
    "n",
    "Y",
    "nothing",
    "TRUE",
    "tRue",
    "observability/correlation-id",
    "OFF",
    "9" * 5000,
]


def test_quick_scalars_resolve_as_pyyaml_does():
    import yaml

    from auditor.document import yaml_fast

    assert yaml_fast.RESOLVER_FIRST_CHARS == {k for k in yaml.resolver.Resolver.yaml_implicit_resolvers if k}
    quick_ones = 0
    for text in SCALARS:
        quick = yaml_fast._quick_scalar(text)
        if quick is yaml_fast._SLOW:
            continue
        quick_ones += 1
        slow = _slow_scalar(text)
        assert quick == slow and type(quick) is type(slow), (text, quick, slow)
    assert quick_ones >= 10


def _slow_scalar(text: str):
    """What the PyYAML path of Scalars.value gives (the quick path bypassed)."""
    import yaml

    from auditor.document.yaml_safe import YamlBuilder

    tag = "tag:yaml.org,2002:str"
    for t, regexp in yaml.resolver.Resolver.yaml_implicit_resolvers.get(text[:1] if text else "", ()):
        if regexp.match(text):
            tag = t
            break
    return YamlBuilder("")._scalar(yaml.ScalarNode(tag, text, style=None))
