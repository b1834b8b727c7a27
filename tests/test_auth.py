"""`--auth USER:PASS`: HTTP Basic credentials on every request of `fuzz` and `audit` (the fuzzer's
and the audit's own probes), `${VAR}` read from the environment, masked in every output.

The target is a small real HTTP server on a free loopback port that records the Authorization
header of every request and echoes it (and the password) back in a 500 answer, the way a leaky
debug page would: the report must carry that answer as evidence without the credentials."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import run_cli

from auditor.report import FORMATS

USER = "ci-bot"
PASSWORD = "pw-93c1e7-planted"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
SPEC = """openapi: 3.0.3
info: {title: Echo, version: 1.0.0}
paths:
  /items:
    get:
      operationId: listItems
      responses:
        "200":
          description: the items
          content:
            application/json:
              schema: {type: array, items: {type: string}}
  /echo:
    get:
      operationId: echo
      parameters:
        - {name: q, in: query, schema: {type: string, maxLength: 10}}
      responses:
        "200":
          description: never sent
          content:
            application/json:
              schema: {type: object}
"""


class Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str | None]]  # (method, path, Authorization)

    def _answer(self) -> None:
        auth = self.headers.get("Authorization")
        self.seen.append((self.command, self.path, auth))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.startswith("/items"):
            status, body = 200, b'["a", "b"]'
        else:  # a debug page that repeats the request's credentials
            status, body = 500, json.dumps({"error": "boom", "authorization": auth, "password": PASSWORD}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_TRACE = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list]]:
    seen: list[tuple[str, str, str | None]] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def password_in_env(monkeypatch):
    monkeypatch.setenv("AUDITOR_TEST_PASSWORD", PASSWORD)


def _run(command: str, spec, base_url: str, out_dir, *extra: str):
    outputs = [a for name in FORMATS for a in ("-o", f"{name}={out_dir / ('report.' + name)}")]
    args = [command, str(spec), "--base-url", base_url, "--auth", f"{USER}:${{AUDITOR_TEST_PASSWORD}}", "--seed", "1", "-n", "5", "-f", "json"]
    result = run_cli([*args, *outputs, *extra])
    files = {name: (out_dir / f"report.{name}").read_text(encoding="utf-8") for name in FORMATS}
    return result, files


@pytest.mark.parametrize("command", ["fuzz", "audit"])
def test_every_request_carries_the_credentials_and_no_output_shows_them(command, server, password_in_env, write, tmp_path):
    base_url, seen = server
    spec = write("openapi.yaml", SPEC)
    extra = ["--phases", "examples,coverage"] if command == "audit" else []
    result, files = _run(command, spec, base_url, tmp_path, *extra)
    assert result.code == 1, result.err
    report = json.loads(result.out)
    assert len(seen) > 10
    assert {auth for _, _, auth in seen} == {BASIC}, sorted({auth or "(none)" for _, _, auth in seen})
    if command == "audit":  # the probes (an unknown path, provoked errors) carried them too
        assert any(path.split("?")[0] not in ("/items", "/echo") for _, path, _ in seen)
    leak = next(f for f in report["findings"] if f["rule"] == "reliability/server-error" and f["evidence"]["response"]["status"] == 500)
    evidence = json.dumps(leak["evidence"])
    assert "***" in evidence and "boom" in evidence  # the body is there, masked
    secrets = (PASSWORD, f"{USER}:{PASSWORD}", BASIC.split()[1])
    for name, text in {**files, "stdout": result.out, "stderr": result.err}.items():
        for secret in secrets:
            assert secret not in text, (name, secret)


@pytest.mark.parametrize(
    ("auth", "extra", "message"),
    [
        ("ci-bot", [], "invalid --auth: expected USER:PASS"),
        (":secret-only", [], "invalid --auth: expected USER:PASS"),
        ("ci-bot:${AUDITOR_TEST_UNSET}", [], "environment variable AUDITOR_TEST_UNSET is not set (used in --auth)"),
        ("ci-bot:pw-literal", ["--header", "Authorization: Bearer x"], "--auth and an Authorization --header both set the Authorization header"),
    ],
)
def test_bad_auth_is_one_line_with_a_hint_and_no_secret(cli, write, server, auth, extra, message):
    base_url, seen = server
    os.environ.pop("AUDITOR_TEST_UNSET", None)
    spec = write("openapi.yaml", SPEC)
    for command in ("fuzz", "audit"):
        r = cli([command, str(spec), "--base-url", base_url, "--auth", auth, *extra])
        assert r.code == 2, r.err
        first, hint = r.err.splitlines()
        assert first == f"auditor: error: {message}" and hint.startswith("  hint: ")
        assert "secret-only" not in r.err and "pw-literal" not in r.err
    assert seen == []  # nothing was sent
