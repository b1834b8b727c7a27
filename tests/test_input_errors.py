"""Bad input: one short message with a hint on stderr, exit code 2, never a traceback."""

from __future__ import annotations

import sys

import pytest

CASES = {
    "empty.yaml": (b"", "empty"),
    "blank.yaml": (b"   \n\n  \n", "empty"),
    "list.yaml": (b"- a\n- b\n", "not a mapping"),
    "scalar.yaml": (b"just text\n", "not a mapping"),
    "broken.yaml": (b"openapi: 3.0.0\ninfo: [\n", "invalid YAML at line"),
    "broken.json": (b'{"openapi": "3.0.0",\n "info": }', "invalid JSON at line 2"),
    "utf8.yaml": (b"openapi: 3.0.0\ninfo: {title: \xff\xfe}\n", "invalid UTF-8"),
    "binary.yaml": (b"\x00\x01\x02\x03PK\x03\x04", "binary"),
    "notoas.yaml": (b"name: my-package\nversion: 1.0\n", "not an OpenAPI document"),
    "version.yaml": (b"openapi: 4.0.0\ninfo: {title: T, version: '1'}\npaths: {}\n", "unsupported OpenAPI version"),
    "swagger1.yaml": (b"swagger: '1.2'\n", "unsupported Swagger version"),
    "tag.yaml": (b"openapi: 3.0.0\ninfo: !!python/object/apply:os.system ['echo hi']\n", "not allowed"),
    "bomb.yaml": (
        b"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + b"".join(
            b"%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n" % ((bytes([c]),) * 2 + (bytes([c - 1]),) * 10) for c in range(ord("b"), ord("k"))
        ),
        "alias bomb",
    ),
    "deep.json": (b"[" * 5000 + b"]" * 5000, "deeper than"),
    "deep.yaml": (b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nest"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_exit_2_with_hint(cli, write, name):
    data, expected = CASES[name]
    r = cli(["lint", str(write(name, data))])
    assert r.code == 2, (r.out, r.err)
    assert expected in r.err
    assert "hint:" in r.err
    assert "Traceback" not in r.err
    assert r.out == ""


def test_missing_file(cli, tmp_path):
    r = cli(["lint", str(tmp_path / "nope.yaml")])
    assert r.code == 2 and "file not found" in r.err


def test_directory(cli, tmp_path):
    r = cli(["lint", str(tmp_path)])
    assert r.code == 2 and "directory" in r.err


def test_size_cap(cli, write):
    path = write("big.yaml", b"openapi: 3.0.0\n" + b"#" * (2 * 1024 * 1024))
    r = cli(["lint", str(path), "--max-size", "1"])
    assert r.code == 2 and "larger than" in r.err


def test_unsupported_url_scheme(cli):
    r = cli(["lint", "ftp://example.com/a.yaml"])
    assert r.code == 2 and "unsupported URL scheme" in r.err


def test_debug_shows_traceback(write):
    import subprocess
    import sys

    path = write("empty.yaml", b"")
    p = subprocess.run([sys.executable, "-m", "auditor", "--debug", "lint", str(path)], capture_output=True, text=True)
    assert "Traceback" in p.stderr


def test_yaml_dates_stay_strings_and_yes_no_stay_strings(write):
    from auditor.document.parse import parse

    parsed = parse(b"a: 2020-01-01\nb: yes\nc: true\nd: 012\ne: '1.0'\nf: 1.5\ng: ~\n", "x.yaml")
    assert parsed.data == {"a": "2020-01-01", "b": "yes", "c": True, "d": 12, "e": "1.0", "f": 1.5, "g": None}


def test_json_depth_guard_holds_with_a_raised_recursion_limit(cli, write):
    """json.loads stops at the recursion limit by itself; with the limit raised (as an embedding
    program may do) the document is walked and still refused past MAX_DEPTH levels."""
    from auditor.document.parsed import MAX_DEPTH

    path = write("deep.json", b'{"a": ' + b"[" * (MAX_DEPTH + 10) + b"]" * (MAX_DEPTH + 10) + b"}")
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(MAX_DEPTH * 4)
    try:
        r = cli(["lint", str(path)])
    finally:
        sys.setrecursionlimit(old)
    assert r.code == 2 and "deeper than" in r.err, r.err
