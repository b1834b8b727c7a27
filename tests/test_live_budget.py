"""How `auditor fuzz` shares a time budget between operations, against a real service on loopback.

Four operations; the second answers in 100 ms, the others at once. With even shares the slow one
would get a quarter of the budget and be cut though the run ends far under it; with
work-conserving shares it may use what the operations after it do not typically need.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import run_cli

PATHS = ("/a-fast", "/b-slow", "/c-fast", "/d-fast")
SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "budget", "version": "1"},
    "paths": {
        path: {
            "get": {
                "operationId": path.strip("/").replace("-", "_"),
                "parameters": [{"name": "n", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}},
            }
        }
        for path in PATHS
    },
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server hook
        if self.path.startswith("/b-slow"):
            time.sleep(0.1)
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
@pytest.mark.live
def test_a_slow_operation_uses_the_time_the_fast_ones_leave(tmp_path, service):
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    budget = 16
    started = time.monotonic()
    result = run_cli(
        ["fuzz", str(spec), "--base-url", service, "--phases", "fuzzing", "-n", "60", "--seed", "1", "--workers", "1", "--max-time", str(budget), "-f", "json"]
    )
    seconds = time.monotonic() - started
    stats = json.loads(result.out)["stats"]
    slowest = stats["slowest_scenarios"][0]
    assert slowest["scenario"] == "fuzzing GET /b-slow"
    # an even share (a quarter of the budget) would have ended it; the fast ones left it the time
    assert slowest["seconds"] > budget / 4, stats["slowest_scenarios"]
    assert stats["cut_short"] == [], stats["cut_short"]
    assert stats["operations_tested"] == 4
    assert seconds < budget + 5
