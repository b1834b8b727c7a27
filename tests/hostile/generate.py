"""Writes the hostile-input suite into a folder, at test time (nothing big is committed).

    python tests/hostile/generate.py DIR [--listener 127.0.0.1:PORT]

Layout written under DIR:

    secret/                 files outside every spec's folder; their content must never be printed
    cases/<name>/...        one folder per case; the spec's folder is the case folder
    markers/                where YAML tags that would run code try to ``touch`` a file

``generate()`` returns the list of ``Case``s: the command line (after ``auditor lint``), the exit
codes that are acceptable, and what the output must (or must not) say. tests/test_hostile.py runs
each one in a subprocess with a time and memory limit. ``listener`` is the base URL of a local
socket that records connections, used by the refs that must not be fetched.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SECRET = "S3CR3T-7f1c9e2ab4d8-OUTSIDE"  # content of the files outside the spec folders
METADATA_SECRET = "METADATA-RESPONSE-5b2e77c1"  # what the local "metadata service" answers
ROOT_DOC = "openapi.yaml"
DEEP = 100_000

# a small real document every "real document" case starts from
BASE = {
    "openapi": "3.0.3",
    "info": {"title": "Hostile", "version": "1.0.0"},
    "paths": {
        "/things": {
            "get": {
                "operationId": "listThings",
                "responses": {
                    "200": {
                        "description": "The things",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                    }
                },
            }
        }
    },
    "components": {"schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}}},
}


@dataclass
class Case:
    name: str
    args: list[str]  # after `auditor lint`; relative paths are relative to the case folder
    codes: tuple[int, ...]  # acceptable exit codes
    err: str = ""  # for exit 2: text the one-line message must contain
    rules: tuple[str, ...] = ()  # rule ids that must be among the findings
    stdin: bytes | str | Callable | None = None
    files: dict = field(default_factory=dict)  # relative path -> str | bytes | dict | callable
    no_connect: bool = False  # the listener must see no connection while this case runs
    extra_forbidden: tuple[str, ...] = ()  # more strings that must not appear in the output
    notes: str = ""

    def folder(self, dest: Path) -> Path:
        return Path(dest) / "cases" / self.name

    def command(self, dest: Path, listener: str) -> list[str]:
        return [_fill(a.encode(), dest, listener).decode() for a in self.args]

    def stdin_bytes(self, dest: Path, listener: str) -> bytes | None:
        return None if self.stdin is None else _fill(_bytes(self.stdin), dest, listener)


UNREADABLE = (2,)
REAL = (0, 1)
FINDINGS = (1,)


DEST = "@DEST@"  # replaced by the output folder when the files are written
HOST = "listener.invalid:1"  # replaced by the recording socket's host:port
LISTENER = f"http://{HOST}"


def plan() -> list[Case]:
    """Every case, with its files still in memory (big ones as callables, written later)."""
    secret_dir = f"{DEST}/secret"
    marker = f"{DEST}/markers"
    listener = LISTENER
    cases: list[Case] = []

    def case(name: str, files: dict, codes, *, args=None, **kw) -> Case:
        c = Case(name, args if args is not None else [next(iter(files))], tuple(codes), files=files, **kw)
        cases.append(c)
        return c

    def doc(**extra) -> dict:
        d = json.loads(json.dumps(BASE))
        d.update(extra)
        return d

    def with_schema(schema_name: str, schema, **more) -> dict:
        d = doc()
        d["components"]["schemas"][schema_name] = schema
        d["components"]["schemas"].update(more)
        d["paths"]["/things"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {"$ref": f"#/components/schemas/{schema_name}"}
        return d

    def ref_doc(ref: str) -> dict:
        return with_schema("Outside", {"$ref": ref})

    # --- cannot be read: exit 2 with a one-line message and a hint ----------------------------
    case("empty", {"openapi.yaml": b""}, UNREADABLE, err="empty")
    case("whitespace", {"openapi.yaml": b"  \n\t\n\r\n   "}, UNREADABLE, err="empty")
    case("comment-only", {"openapi.yaml": b"# nothing here\n"}, UNREADABLE, err="empty")
    case("empty-json", {"openapi.json": b"\n"}, UNREADABLE, err="empty")
    case("root-list", {"openapi.yaml": b"- openapi: 3.0.3\n"}, UNREADABLE, err="not a mapping")
    case("root-scalar", {"openapi.yaml": b"openapi 3.0.3\n"}, UNREADABLE, err="not a mapping")
    case("root-null", {"openapi.yaml": b"~\n"}, UNREADABLE, err="not a mapping")
    case("root-number-json", {"openapi.json": b"42"}, UNREADABLE, err="not a mapping")
    case("root-string-json", {"openapi.json": b'"openapi"'}, UNREADABLE, err="not a mapping")
    case("not-openapi", {"openapi.yaml": b"name: package\nversion: 1\n"}, UNREADABLE, err="not an OpenAPI document")
    case("version-list", {"openapi.yaml": b"openapi: [3, 0]\ninfo: {}\n"}, UNREADABLE, err="unsupported OpenAPI version")
    case("broken-yaml", {"openapi.yaml": b"openapi: 3.0.3\ninfo: [\n  title: x\n"}, UNREADABLE, err="invalid YAML")
    case("broken-yaml-indent", {"openapi.yaml": b"openapi: 3.0.3\n info:\n title: x\n"}, UNREADABLE, err="invalid YAML")
    case("broken-yaml-tab", {"openapi.yaml": b"openapi: 3.0.3\ninfo:\n\ttitle: x\n"}, UNREADABLE, err="invalid YAML")
    case("broken-json", {"openapi.json": b'{"openapi": "3.0.3", "info": {,}}'}, UNREADABLE, err="invalid JSON")
    case("truncated-json", {"openapi.json": json.dumps(BASE).encode()[:-7]}, UNREADABLE, err="invalid JSON")
    case("control-character", {"openapi.yaml": b"openapi: 3.0.3\ninfo:\x01 {}\n"}, UNREADABLE, err="control characters")
    case("control-character-json", {"openapi.json": b'\x01{"openapi": "3.0.3"}'}, UNREADABLE, err="control characters")
    case("two-yaml-documents", {"openapi.yaml": b"openapi: 3.0.3\n---\nopenapi: 3.1.0\n"}, UNREADABLE, err="invalid YAML")
    case("undefined-alias", {"openapi.yaml": b"openapi: 3.0.3\ninfo: *nowhere\n"}, UNREADABLE, err="invalid YAML")
    case("complex-key", {"openapi.yaml": b"openapi: 3.0.3\n? [a, b]\n: c\n"}, UNREADABLE, err="key")
    case("invalid-utf8", {"openapi.yaml": b'openapi: 3.0.3\ninfo: {title: "caf\xe9"}\n'}, UNREADABLE, err="invalid UTF-8")
    case("invalid-utf8-json", {"openapi.json": b'{"openapi": "3.0.3", "x": "\xc3\x28"}'}, UNREADABLE, err="invalid UTF-8")
    case("utf16-bom", {"openapi.yaml": "\ufeffopenapi: 3.0.3\n".encode("utf-16")}, UNREADABLE, err="UTF-16")
    case("binary", {"openapi.yaml": bytes(range(256)) * 64}, UNREADABLE)
    case("binary-nul", {"openapi.yaml": b"openapi: 3.0.3\x00\x00\x00\n"}, UNREADABLE, err="binary")
    case("gzip", {"openapi.yaml.gz": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(200))}, UNREADABLE)
    case("png", {"openapi.json": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)}, UNREADABLE)
    case("directory", {"sub/openapi.yaml": b"openapi: 3.0.3\n"}, UNREADABLE, args=["sub"], err="directory")
    case("missing-file", {"README": b"x"}, UNREADABLE, args=["nope.yaml"], err="file not found")
    case("json-huge-integer", {"openapi.json": b'{"openapi": "3.0.3", "x": ' + b"9" * 100_000 + b"}"}, UNREADABLE, err="digits")
    case("json-lone-surrogate", {"openapi.json": json.dumps(doc(**{"x-\ud800": "\udfff"}))}, UNREADABLE, err="surrogate")
    case(
        "json-surrogate-pair-keys",
        {"openapi.json": json.dumps(doc())[:-1] + ', "x-\\ud83d\\ude00": 1, "x-\\ud83d\\ude00": 2}'},
        FINDINGS,
        rules=("contract/duplicate-key",),
    )
    case("yaml-surrogate-escape", {"openapi.yaml": _to_yaml(BASE) + 'x-a: "\\ud800"\n'}, UNREADABLE, err="invalid")
    case("yaml-huge-integer", {"openapi.yaml": _to_yaml(BASE) + "x-big: " + "9" * 100_000 + "\n"}, REAL)
    case("name-too-long", {"README": b"x"}, UNREADABLE, args=["a" * 5000 + ".yaml"])
    case("symlink-loop", {"README": b"x"}, UNREADABLE, args=["loop.yaml"], notes="symlink")

    # YAML tags that would construct objects (each tries to touch a marker file)
    apply = f"!!python/object/apply:os.system ['touch {marker}/applied']"
    tag_cases = {
        "tag-apply-value": f"openapi: 3.0.3\ninfo: {apply}\n",
        "tag-apply-key": f"openapi: 3.0.3\n? {apply}\n: value\n",
        "tag-apply-in-sequence": f"openapi: 3.0.3\ntags:\n  - {apply}\n",
        "tag-apply-map": f"openapi: 3.0.3\ninfo: !!python/object/apply:subprocess.call {{args: [[touch, {marker}/map]]}}\n",
        "tag-object-new": f"openapi: 3.0.3\ninfo: !!python/object/new:subprocess.Popen [[touch, {marker}/new]]\n",
        "tag-python-name": "openapi: 3.0.3\ninfo: !!python/name:os.system\n",
        "tag-python-module": "openapi: 3.0.3\ninfo: !!python/module:os\n",
        "tag-via-tag-directive": f"%TAG !py! tag:yaml.org,2002:python/object/\n---\nopenapi: 3.0.3\ninfo: !py!apply:os.system ['touch {marker}/directive']\n",
        "tag-local-custom": "openapi: 3.0.3\ninfo: !Ref other\n",
        "tag-set": "openapi: 3.0.3\ninfo: !!set {a, b}\n",
        "tag-str-on-map": "openapi: 3.0.3\ninfo: !!str {title: x}\n",
        "tag-in-quoted-scalar": "openapi: 3.0.3\ninfo: !!python/str 'x'\n",
    }
    for name, text in tag_cases.items():
        # a tagged key is refused as a complex key before its tag is looked at
        case(name, {"openapi.yaml": text}, UNREADABLE, err="key at line 2" if name == "tag-apply-key" else "not allowed")

    # alias bombs (billion laughs): 10^9 nodes once expanded
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 10)}]")
    bomb = "\n".join(lines) + "\n"
    case("alias-bomb", {"openapi.yaml": "openapi: 3.0.3\n" + bomb}, UNREADABLE, err="alias bomb")
    map_lines = ["a: &a {k0: lol, k1: lol, k2: lol, k3: lol, k4: lol, k5: lol, k6: lol, k7: lol, k8: lol, k9: lol}"]
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        map_lines.append(f"{cur}: &{cur} {{{', '.join(f'k{i}: *{prev}' for i in range(10))}}}")
    case("alias-bomb-mappings", {"openapi.yaml": "openapi: 3.0.3\n" + "\n".join(map_lines) + "\n"}, UNREADABLE, err="alias bomb")
    merge_lines = ["a: &a {k0: lol}"]
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        merge_lines.append(f"{cur}: &{cur} {{{', '.join(f'k{i}: {{<<: *{prev}}}' for i in range(10))}}}")
    case("alias-bomb-merge-keys", {"openapi.yaml": "openapi: 3.0.3\n" + "\n".join(merge_lines) + "\n"}, UNREADABLE, err="alias bomb")
    case("alias-self-cycle", {"openapi.yaml": b"openapi: 3.0.3\ninfo: &a [*a]\n"}, UNREADABLE)

    # 100,000-deep nesting
    case("deep-json-arrays", {"openapi.json": "[" * DEEP + "]" * DEEP}, UNREADABLE, err="deeper than")
    case("deep-json-objects", {"openapi.json": '{"a":' * DEEP + "1" + "}" * DEEP}, UNREADABLE, err="deeper than")
    deep_in_doc = json.dumps(doc())[:-1] + ', "x-deep": ' + "[" * DEEP + "]" * DEEP + "}"
    case("deep-json-in-document", {"openapi.json": deep_in_doc}, UNREADABLE, err="deeper than")
    case("deep-yaml-flow", {"openapi.yaml": "openapi: 3.0.3\nx-deep: " + "[" * DEEP + "]" * DEEP + "\n"}, UNREADABLE, err="deeper than")
    case("deep-yaml-flow-maps", {"openapi.yaml": "openapi: 3.0.3\nx-deep: " + "{a: " * DEEP + "1" + "}" * DEEP + "\n"}, UNREADABLE, err="deeper than")
    case("deep-yaml-block", {"openapi.yaml": "openapi: 3.0.3\nx-deep:\n" + "- " * DEEP + "x\n"}, UNREADABLE, err="deeper than")
    block_maps = "".join(" " * i + "a:\n" for i in range(3000)) + " " * 3000 + "b: 1\n"
    case(
        "deep-yaml-block-maps",
        {"openapi.yaml": "openapi: 3.0.3\nx-deep:\n" + "".join(" " + line for line in block_maps.splitlines(True))},
        UNREADABLE,
        err="deeper than",
    )

    # size: 50 MB document, over and under a cap
    big = _big_document
    case("big-50mb-under-cap", {"openapi.json": big}, REAL, args=["openapi.json", "--max-size", "64"])
    case("big-50mb-over-cap", {"README": b"x"}, UNREADABLE, args=["../big-50mb-under-cap/openapi.json", "--max-size", "10"], err="larger than")
    case("big-50mb-stdin-over-cap", {"README": b"x"}, UNREADABLE, args=["-", "--max-size", "10"], stdin=big, err="larger than")

    # --- real documents: exit 0 or 1, findings where something is wrong ------------------------
    base_yaml = _to_yaml(BASE)
    case("bom-yaml", {"openapi.yaml": "\ufeff" + base_yaml}, REAL)
    case("bom-json", {"openapi.json": "\ufeff" + json.dumps(BASE, indent=2)}, REAL)
    case("crlf-yaml", {"openapi.yaml": base_yaml.replace("\n", "\r\n")}, REAL)
    case("crlf-json", {"openapi.json": json.dumps(BASE, indent=2).replace("\n", "\r\n")}, REAL)
    case("bom-crlf-yaml", {"openapi.yaml": "\ufeff" + base_yaml.replace("\n", "\r\n")}, REAL)
    case("cr-only-yaml", {"openapi.yaml": base_yaml.replace("\n", "\r")}, REAL)
    case("json-nan-infinity", {"openapi.json": json.dumps(with_schema("N", {"type": "number", "default": float("nan"), "maximum": float("inf")}))}, REAL)
    case("yaml-odd-scalars", {"openapi.yaml": base_yaml + "x-odd: [!!int abc, !!float xyz, !!binary aGk=, 2020-13-45, .inf, -.nan, 0x1F, 0o17, 1_000]\n"}, REAL)
    case("swagger-version-number", {"openapi.yaml": "swagger: 2.0\ninfo: {title: T, version: '1'}\npaths: {}\n"}, REAL)
    case("wrong-types", {"openapi.yaml": "openapi: 3.0.3\ninfo: just a string\npaths: [1, 2]\ncomponents: 5\n"}, FINDINGS, rules=("contract/spec-valid",))
    case("duplicate-keys-yaml", {"openapi.yaml": base_yaml + "paths: {}\n"}, FINDINGS, rules=("contract/duplicate-key",))
    case(
        "duplicate-keys-json",
        {"openapi.json": json.dumps(BASE)[:-1] + ', "info": {"title": "Again", "version": "2"}}'},
        FINDINGS,
        rules=("contract/duplicate-key",),
    )
    case(
        "control-characters",
        {"openapi.yaml": base_yaml.replace("title: Hostile", 'title: "\\e[31mred\\e]0;title\\a\\u202e"') + '"\\e[2J": 1\n"\\e[2J": 2\n'},
        REAL,
    )

    # $ref trouble
    case(
        "ref-cycle",
        {"openapi.json": with_schema("A", {"$ref": "#/components/schemas/B"}, B={"$ref": "#/components/schemas/A"})},
        FINDINGS,
        rules=("contract/ref-resolvable",),
    )
    case("ref-self", {"openapi.json": with_schema("A", {"$ref": "#/components/schemas/A"})}, FINDINGS, rules=("contract/ref-resolvable",))
    case(
        "ref-cycle-across-files",
        {
            "openapi.json": ref_doc("a.yaml#/A"),
            "a.yaml": "A: {$ref: 'b.yaml#/B'}\n",
            "b.yaml": "B: {$ref: 'a.yaml#/A'}\n",
        },
        FINDINGS,
        rules=("contract/ref-resolvable",),
    )
    case("ref-root-document-cycle", {"openapi.json": ref_doc("#")}, REAL)
    case(
        "recursive-schema",
        {
            "openapi.json": with_schema(
                "Node",
                {
                    "type": "object",
                    "properties": {
                        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                        "parent": {"$ref": "#/components/schemas/Node"},
                    },
                    "allOf": [{"$ref": "#/components/schemas/Node"}],
                },
            )
        },
        REAL,
    )
    case(
        "recursive-schema-across-files",
        {
            "openapi.json": ref_doc("tree.yaml#/Tree"),
            "tree.yaml": "Tree:\n  type: object\n  properties:\n    kids: {type: array, items: {$ref: '#/Tree'}}\n    other: {$ref: 'openapi.json#/components/schemas/Outside'}\n",
        },
        REAL,
    )
    # a ref "bomb": 10 refs to 10 refs to ... (10^8 paths if expanded)
    layers = {f"L{i}": {"type": "object", "properties": {f"p{j}": {"$ref": f"#/components/schemas/L{i + 1}"} for j in range(10)}} for i in range(8)}
    layers["L8"] = {"type": "string"}
    case("ref-bomb", {"openapi.json": with_schema("L0", layers["L0"], **layers)}, REAL)
    ext_layers = {f"L{i}": {"type": "object", "properties": {f"p{j}": {"$ref": f"#/L{i + 1}"} for j in range(10)}} for i in range(8)}
    ext_layers["L8"] = {"type": "string"}
    case("ref-bomb-external", {"openapi.json": ref_doc("layers.json#/L0"), "layers.json": ext_layers}, REAL)
    chain = {f"C{i}": {"$ref": f"#/components/schemas/C{i + 1}"} for i in range(500)}
    chain["C500"] = {"type": "string"}
    case("ref-long-chain", {"openapi.json": with_schema("C0", chain["C0"], **chain)}, REAL)
    case("ref-dangling", {"openapi.json": ref_doc("#/components/schemas/Missing")}, FINDINGS, rules=("contract/ref-resolvable",))
    case(
        "ref-bad-pointers",
        {
            "openapi.json": with_schema(
                "A",
                {
                    "allOf": [
                        {"$ref": "#no-slash"},
                        {"$ref": "#/components/schemas/~2bad"},
                        {"$ref": "#/paths/999"},
                        {"$ref": "#/components/schemas/A/allOf/99999"},
                        {"$ref": "#/%ZZ"},
                        {"$ref": ""},
                        {"$ref": "#"},
                        {"$ref": "#/components/schemas/A/allOf/-1"},
                        {"$ref": 5},
                        {"$ref": {"$ref": "#"}},
                        {"$ref": None},
                    ]
                },
            )
        },
        FINDINGS,
        rules=("contract/ref-resolvable",),
    )
    case("ref-missing-file", {"openapi.json": ref_doc("missing.yaml#/X")}, FINDINGS, rules=("contract/ref-resolvable",))
    case("ref-to-directory", {"openapi.json": ref_doc("sub#/X"), "sub/a.yaml": "a: 1\n"}, FINDINGS, rules=("contract/ref-resolvable",))
    case("ref-to-broken-file", {"openapi.json": ref_doc("broken.yaml#/X"), "broken.yaml": "a: [\n"}, FINDINGS, rules=("contract/ref-resolvable",))
    case("ref-to-binary-file", {"openapi.json": ref_doc("blob.bin"), "blob.bin": bytes(range(256))}, FINDINGS, rules=("contract/ref-resolvable",))
    case("ref-to-empty-file", {"openapi.json": ref_doc("empty.yaml"), "empty.yaml": b""}, FINDINGS, rules=("contract/ref-resolvable",))
    case("ref-to-tagged-file", {"openapi.json": ref_doc("tag.yaml"), "tag.yaml": apply + "\n"}, FINDINGS, rules=("contract/ref-resolvable",))
    case("ref-to-alias-bomb-file", {"openapi.json": ref_doc("bomb.yaml#/i"), "bomb.yaml": bomb}, FINDINGS, rules=("contract/ref-resolvable",))
    case("ref-to-deep-file", {"openapi.json": ref_doc("deep.json"), "deep.json": "[" * DEEP + "]" * DEEP}, FINDINGS, rules=("contract/ref-resolvable",))
    case("ref-nul-byte", {"openapi.json": ref_doc("a\u0000.yaml#/X")}, FINDINGS)
    case(
        "ref-malformed-urls",
        {"openapi.json": with_schema("A", {"allOf": [{"$ref": r} for r in ("http://[x/a.yaml", "//[::1/x", "http://[]/a", "[", "a.yaml#/[")]})},
        FINDINGS,
        rules=("contract/ref-resolvable",),
    )
    case("ref-very-long-name", {"openapi.json": ref_doc("a" * 5000 + ".yaml#/X")}, FINDINGS, rules=("contract/ref-resolvable",))
    case("ref-symlink-loop", {"openapi.json": ref_doc("loop.yaml#/X")}, FINDINGS, rules=("contract/ref-resolvable",), notes="symlink")
    case("ref-to-fifo", {"openapi.json": ref_doc("pipe.yaml#/X")}, FINDINGS, rules=("contract/ref-resolvable",), notes="fifo")

    # refs that leave the spec's folder: never followed, never printed
    outside = (
        "../../secret/secret.yaml",
        "../../secret/secret.yaml#/type",
        "%2e%2e/%2e%2e/secret/secret.yaml",
        f"{secret_dir}/secret.yaml",
        f"{secret_dir}/secret.txt",
        "../../../../../../../../etc/passwd",
        "/etc/passwd",
        "/etc/shadow",
        "/proc/self/environ",
        "/dev/zero",
        "/dev/stdin",
        "sub/../../../secret/secret.yaml",
    )
    for i, ref in enumerate(outside):
        case(f"ref-outside-{i:02d}", {"openapi.json": ref_doc(ref)}, FINDINGS, rules=("contract/ref-allowed",), notes=ref)
    case("ref-outside-many", {"openapi.json": with_schema("A", {"allOf": [{"$ref": r} for r in outside]})}, FINDINGS, rules=("contract/ref-allowed",))
    case(
        "ref-outside-from-second-file",
        {
            "openapi.json": ref_doc("inner/a.yaml#/A"),
            "inner/a.yaml": "A: {$ref: '../../../secret/secret.yaml'}\n",
        },
        FINDINGS,
        rules=("contract/ref-allowed",),
    )
    case("ref-symlink-file-outside", {"openapi.json": ref_doc("link.yaml")}, FINDINGS, rules=("contract/ref-allowed",), notes="symlink")
    case("ref-symlink-dir-outside", {"openapi.json": ref_doc("linkdir/secret.yaml")}, FINDINGS, rules=("contract/ref-allowed",), notes="symlink")
    case("ref-symlink-to-dev-zero", {"openapi.json": ref_doc("zero.yaml")}, FINDINGS, rules=("contract/ref-allowed",), notes="symlink")
    case("ref-file-url", {"openapi.json": ref_doc(f"file://{secret_dir}/secret.yaml")}, FINDINGS, rules=("contract/ref-allowed",))
    case("ref-file-url-upper", {"openapi.json": ref_doc(f"FILE://{secret_dir}/secret.yaml#/type")}, FINDINGS, rules=("contract/ref-allowed",))
    case("ref-file-url-no-slashes", {"openapi.json": ref_doc(f"file:{secret_dir}/secret.yaml")}, FINDINGS, rules=("contract/ref-allowed",))
    for scheme in ("ftp", "gopher", "jar:file", "data:text/plain,", "ssh"):
        case(
            f"ref-scheme-{scheme.split(':')[0]}",
            {"openapi.json": ref_doc(f"{scheme}://{HOST}/ref-scheme/x.yaml")},
            FINDINGS,
            rules=("contract/ref-allowed",),
            no_connect=True,
        )
    meta = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    case("ref-metadata-service", {"openapi.json": ref_doc(meta)}, FINDINGS, rules=("contract/ref-allowed",))
    case(
        "ref-metadata-service-yaml",
        {"openapi.yaml": _to_yaml(ref_doc("http://169.254.169.254/computeMetadata/v1/#/x"))},
        FINDINGS,
        rules=("contract/ref-allowed",),
    )
    case(
        "ref-http-listener",
        {"openapi.json": ref_doc(f"{listener}/ref-http-listener/latest/meta-data/")},
        FINDINGS,
        rules=("contract/ref-allowed",),
        no_connect=True,
        extra_forbidden=(METADATA_SECRET,),
    )
    case(
        "ref-https-listener", {"openapi.json": ref_doc(f"https://{HOST}/ref-https-listener/x.yaml")}, FINDINGS, rules=("contract/ref-allowed",), no_connect=True
    )
    case(
        "ref-http-listener-upper",
        {"openapi.json": ref_doc(f"HTTP://{HOST}/ref-http-listener-upper/x.yaml")},
        FINDINGS,
        rules=("contract/ref-allowed",),
        no_connect=True,
    )
    case("ref-protocol-relative", {"openapi.json": ref_doc(f"//{HOST}/ref-protocol-relative/x.yaml")}, FINDINGS, no_connect=True)
    case(
        "stdin-with-file-ref",
        {"README": b"x"},
        FINDINGS,
        args=["-"],
        stdin=json.dumps(ref_doc("../../secret/secret.yaml")).encode(),
        rules=("contract/ref-allowed",),
    )
    case(
        "url-root-relative-refs",
        {"README": b"x"},
        FINDINGS,
        args=[f"{listener}/root.json"],
        rules=("contract/ref-allowed",),
        extra_forbidden=(METADATA_SECRET,),
        notes="served by the listener: one request (the root), no more",
    )

    # --- scale ------------------------------------------------------------------------------------
    def many() -> dict:
        d = doc()
        d["paths"] = {f"/r{i}": {"get": {"operationId": f"op{i}", "responses": {"200": {"description": "ok"}}}} for i in range(20_000)}
        return d

    case("operations-20000", {"openapi.json": many}, REAL)
    case(
        "operations-20000-yaml",
        {
            "openapi.yaml": lambda: (
                "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n"
                + "".join(f"  /r{i}:\n    get:\n      operationId: op{i}\n      responses:\n        '200': {{description: ok}}\n" for i in range(20_000))
            )
        },
        REAL,
    )
    wide = lambda: with_schema("Wide", {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(50_000)}})  # noqa: E731
    case("schema-50000-properties", {"openapi.json": wide}, REAL)
    case("long-string-10mb", {"openapi.yaml": lambda: base_yaml.replace("title: Hostile", "title: " + "x" * (10 * 1024 * 1024))}, REAL)
    case("deep-but-allowed-schema", {"openapi.json": with_schema("D", _nested_schema(900))}, REAL)

    return cases


def write(dest: Path, cases: list[Case], listener: str) -> None:
    """Write every case's files (and the secrets, symlinks, FIFO) under ``dest``; ``listener``
    is the ``host:port`` of the recording socket."""
    dest = Path(dest)
    secret_dir = dest / "secret"
    secret_dir.mkdir(parents=True, exist_ok=True)
    (dest / "markers").mkdir(exist_ok=True)
    # if this were ever followed its content would show: a duplicate key (quoted by
    # contract/duplicate-key) and an invalid `type` value (quoted by contract/spec-valid)
    (secret_dir / "secret.yaml").write_text(f"type: {SECRET}\n{SECRET}: 1\n{SECRET}: 2\ndescription: {SECRET}\n")
    (secret_dir / "secret.txt").write_text(SECRET + "\n")
    for c in cases:
        folder = c.folder(dest)
        folder.mkdir(parents=True, exist_ok=True)
        for rel, content in c.files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_fill(_bytes(content), dest, listener))
    _special_files(dest, secret_dir)


def _bytes(content) -> bytes:
    if callable(content):
        content = content()
    if isinstance(content, (dict, list)):
        content = json.dumps(content)
    return content.encode("utf-8") if isinstance(content, str) else content


def _fill(data: bytes, dest: Path, listener: str) -> bytes:
    if DEST.encode() in data:
        data = data.replace(DEST.encode(), str(dest).encode())
    if HOST.encode() in data:
        data = data.replace(HOST.encode(), listener.encode())
    return data


def served() -> dict[str, bytes]:
    """What the recording socket answers, by request path; anything else gets METADATA_SECRET.
    The root document (fetched because the user named its URL) refers to other places on the
    same server, to local files and to the metadata service: none may be fetched."""
    root = json.loads(json.dumps(BASE))
    root["components"]["schemas"]["Thing"] = {
        "allOf": [
            {"$ref": "other.json#/Other"},
            {"$ref": "../../../secret/secret.yaml"},
            {"$ref": "/etc/passwd"},
            {"$ref": "file:///etc/passwd"},
            {"$ref": "http://169.254.169.254/latest/meta-data/"},
        ]
    }
    return {"/root.json": json.dumps(root).encode()}


def _special_files(dest: Path, secret_dir: Path) -> None:
    """Symlinks and a FIFO inside case folders (created after the folders exist)."""
    cases = dest / "cases"
    _symlink(cases / "ref-symlink-file-outside" / "link.yaml", secret_dir / "secret.yaml")
    _symlink(cases / "ref-symlink-dir-outside" / "linkdir", secret_dir)
    _symlink(cases / "ref-symlink-to-dev-zero" / "zero.yaml", Path("/dev/zero"))
    for name in ("symlink-loop", "ref-symlink-loop"):
        _symlink(cases / name / "loop.yaml", cases / name / "loop2.yaml")
        _symlink(cases / name / "loop2.yaml", cases / name / "loop.yaml")
    fifo = cases / "ref-to-fifo" / "pipe.yaml"
    if fifo.parent.is_dir() and not fifo.exists():
        os.mkfifo(fifo)


def _symlink(link: Path, target: Path) -> None:
    if not link.parent.is_dir():
        return
    if link.is_symlink():
        link.unlink()
    link.symlink_to(target)


def _nested_schema(depth: int) -> dict:
    schema: dict = {"type": "string"}
    for _ in range(depth // 2):  # each level is two JSON levels (properties -> name)
        schema = {"type": "object", "properties": {"n": schema}}
    return schema


@functools.lru_cache(maxsize=1)
def _big_document(size: int = 50 * 1024 * 1024) -> bytes:
    """A valid OpenAPI JSON document of about ``size`` bytes (a large example value)."""
    head = json.dumps(BASE)[:-1] + ', "x-payload": ['
    item = json.dumps({"id": 123456, "name": "a thing with a name", "tags": ["x", "y", "z"], "ok": True})
    count = max(1, (size - len(head)) // (len(item) + 2))
    return (head + ", ".join([item] * count) + "]}").encode()


def _to_yaml(data) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--listener", default="127.0.0.1:9", help="host:port of a socket that records connections")
    args = parser.parse_args()
    cases = plan()
    write(args.dest, cases, args.listener)
    for c in cases:
        print(f"{c.name:32} exit {'/'.join(map(str, c.codes)):5} auditor lint {' '.join(c.command(args.dest, args.listener))[:80]}")
    print(f"{len(cases)} cases in {args.dest}")


if __name__ == "__main__":
    main()
