"""Live runs against a real local service that misbehaves on purpose: the bounds the README lists
under "Live runs are bounded" (time, memory, traffic only to --base-url).

The service has three GET operations; `/healthz` carries the fault, `/ok` and `/also-ok` answer as
documented. Each run goes through the real CLI in a child process (`python -m auditor`), so a
hang is cut by the subprocess timeout and the enormous-body case runs under an address-space
limit. The document's `servers` entry points at a second, recording server: no test may ever
reach it (only --base-url is used), nor may a redirect to another host or port.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import ROOT, TcpServer

pytestmark = pytest.mark.live

TIMEOUT = "0.5"  # --request-timeout for every run
GUARD = 60  # seconds: the child process is killed after this (a hang fails the test)
HUGE = 200 * 1024 * 1024  # bytes the enormous answer would send
MEMORY_LIMIT = 1536 * 1024 * 1024  # RLIMIT_AS of the child in the enormous-body case
OK_BODY = b'{"ok": true}'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _FaultServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.server.count(path)
        if path == "/healthz":
            getattr(self, "_fault_" + self.server.fault.replace("-", "_"))()
        elif path in ("/ok", "/also-ok"):
            self._send(200, "application/json", OK_BODY)
        else:
            self._send(404, "application/json", b'{"error": "not found"}')

    def _refuse_method(self) -> None:
        self._send(405, "application/json", b'{"error": "method not allowed"}', Allow="GET")

    def __getattr__(self, name: str):  # every other method (POST, QUERY, ...): 405
        if name.startswith("do_"):
            return self._refuse_method
        raise AttributeError(name)

    def _send(self, status: int, media: str, body: bytes, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _fault_html(self) -> None:
        self._send(200, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>")

    def _fault_slow(self) -> None:  # no answer within --request-timeout
        time.sleep(1.5)
        self._send(200, "application/json", OK_BODY)

    def _fault_trickle(self) -> None:  # headers at once, then one body byte every 0.2 s for 20 s
        body = b'{"ok": true, "pad": "' + b"x" * 80 + b'"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for i in range(len(body)):
            self.wfile.write(body[i : i + 1])
            self.wfile.flush()
            time.sleep(0.2)

    def _fault_reset(self) -> None:  # RST: linger 0, then close
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _fault_huge(self) -> None:  # 200 MB of JSON, no Content-Length: read until the server closes
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"0," * (512 * 1024)
        self.wfile.write(b"[")
        for _ in range(HUGE // len(chunk)):
            self.wfile.write(chunk)
        self.wfile.write(b"0]")
        self.close_connection = True

    def _fault_huge_stream(self) -> None:  # one endless server-sent event: 200 MB, no blank line
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"x" * (1024 * 1024)
        self.wfile.write(b"data: ")
        for _ in range(HUGE // len(chunk)):
            self.wfile.write(chunk)
        self.close_connection = True

    def _fault_redirect_port(self) -> None:
        self._send(302, "text/plain", b"", Location=self.server.elsewhere[0] + "/ok")

    def _fault_redirect_host(self) -> None:
        self._send(302, "text/plain", b"", Location=self.server.elsewhere[1] + "/ok")

    def _fault_refuse(self) -> None:  # the first request is answered, then the service goes away
        self._send(200, "application/json", OK_BODY, Connection="close")
        self.close_connection = True
        self.server.going_away.set()


class _FaultServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fault: str, elsewhere: tuple[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fault = fault
        self.elsewhere = elsewhere
        self.hits: dict[str, int] = {}
        self.going_away = threading.Event()
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        if fault == "refuse":
            threading.Thread(target=self._go_away, daemon=True).start()

    def count(self, path: str) -> None:
        self.hits[path] = self.hits.get(path, 0) + 1

    def _go_away(self) -> None:
        self.going_away.wait()
        self.socket.close()  # the listening socket: new connections are refused

    def handle_error(self, request, client_address) -> None:  # resets and broken pipes are the point
        pass

    def close(self) -> None:
        self.shutdown()
        self.server_close()


SPEC = """openapi: 3.0.3
info: {{title: faults, version: "1"}}
servers:
  - url: {elsewhere}/api
paths:
{paths}
"""
OPERATION = """  {path}:
    get:
      operationId: {name}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {{type: object, required: [ok], properties: {{ok: {{type: boolean}}}}}}
"""


@pytest.fixture
def recorders():
    """Two recording servers: another port on this host, and another host (127.0.0.2)."""
    port, host = TcpServer("count"), TcpServer("count", "127.0.0.2")
    yield port, host
    port.close()
    host.close()


def _spec(tmp_path: Path, servers_url: str) -> Path:
    paths = "".join(OPERATION.format(path=p, name=n) for p, n in (("/ok", "ok"), ("/also-ok", "alsoOk"), ("/healthz", "bad")))
    spec = tmp_path / "faults.yaml"
    spec.write_text(SPEC.format(elsewhere=servers_url, paths=paths), encoding="utf-8")
    return spec


# the child: `python -m auditor ...` under an address-space limit, printing its peak RSS last (Linux)
CHILD = """
import atexit, resource, runpy, sys
limit = int(sys.argv.pop(1))
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
def peak():  # VmHWM: this process's own peak (ru_maxrss may carry the parent's over exec)
    kib = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    sys.stderr.write(f"max-rss-kib {kib}")
atexit.register(peak)
sys.argv[0] = "auditor"
runpy.run_module("auditor", run_name="__main__")
"""


def _run(tmp_path: Path, fault: str, recorders, command: str = "fuzz", *extra: str, memory_limit: int | None = None):
    """(exit code, report, stderr, seconds, child max RSS in MiB, the fault server's hits)."""
    server = _FaultServer(fault, (recorders[0].url, recorders[1].url))
    spec = _spec(tmp_path, recorders[0].url)
    args = [
        sys.executable,
        "-c",
        CHILD,
        str(memory_limit or 0),
        command,
        str(spec),
        "--base-url",
        server.base_url,
        "--seed",
        "1",
        "-n",
        "2",
        "--workers",
        "1",
        "--request-timeout",
        TIMEOUT,
        "--format",
        "json",
        *extra,
    ]
    if command == "fuzz" and "--phases" not in extra:
        args += ["--phases", "coverage,fuzzing"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=env)
    try:
        out, err = child.communicate(timeout=GUARD)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail(f"{fault}: `auditor {command}` still running after {GUARD} s")
    finally:
        server.close()
    seconds = time.monotonic() - started
    err_text, _, rss = err.decode("utf-8", "replace").rpartition("max-rss-kib ")
    rss_mib = int(rss) / 1024
    assert "Traceback" not in err_text, err_text
    assert child.returncode in (0, 1), (child.returncode, err_text)
    report = json.loads(out)
    print(f"\n{command} {fault}: {seconds:.1f} s, max RSS {rss_mib:.0f} MiB")
    return report, err_text, seconds, rss_mib, dict(server.hits)


def _by_operation(report) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in report["findings"]:
        op = f["operation"]
        out.setdefault(f"{op['method']} {op['path']}" if op else "", []).append(f)
    return out


def _assert_others_fine(report, hits, recorders) -> None:
    """The good operations were tested and are clean; nothing reached the `servers` host or the
    redirect targets."""
    found = _by_operation(report)
    assert "GET /ok" not in found and "GET /also-ok" not in found, found
    assert hits.get("/ok", 0) >= 1 and hits.get("/also-ok", 0) >= 1, hits
    assert [r.hits for r in recorders] == [0, 0]


@pytest.mark.slow
@pytest.mark.parametrize(
    "fault, rule, words",
    [
        ("html", "contract/content-type", "text/html"),
        ("slow", "reliability/timeout", "Read timed out"),
        ("trickle", "reliability/timeout", "Read timed out"),
        ("reset", "reliability/connection-error", "the service reset the connection"),
        ("redirect-port", "contract/status-code", "302"),
        ("redirect-host", "contract/status-code", "302"),
    ],
)
def test_fuzz_reports_the_fault_and_tests_the_other_operations(tmp_path, recorders, fault, rule, words):
    report, err, seconds, _, hits = _run(tmp_path, fault, recorders)
    bad = _by_operation(report).get("GET /healthz", [])
    assert any(f["rule"] == rule and words.lower() in json.dumps(f).lower() for f in bad), bad
    _assert_others_fine(report, hits, recorders)
    assert report["stats"]["operations_tested"] == 3
    assert seconds < 30


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["huge", "huge-stream"])
def test_fuzz_enormous_body_is_cut_at_the_cap_in_bounded_memory(tmp_path, recorders, fault):
    report, err, seconds, rss_mib, hits = _run(tmp_path, fault, recorders, memory_limit=MEMORY_LIMIT)
    bad = _by_operation(report).get("GET /healthz", [])
    if fault == "huge":
        assert any("cap" in f["message"] for f in bad), bad
    else:  # the event stream is read until the request timeout (the cap is the backstop): judged as what arrived
        assert any(f["rule"] == "contract/content-type" for f in bad), bad
    _assert_others_fine(report, hits, recorders)
    assert rss_mib < 400  # far below the 200 MB answer read several times
    assert seconds < 30


@pytest.mark.slow
def test_fuzz_service_that_goes_away_mid_run(tmp_path, recorders):
    report, err, seconds, _, hits = _run(tmp_path, "refuse", recorders)
    assert hits.get("/healthz") == 1
    gone = [f for f in report["findings"] if f["message"].startswith("Service went away")]
    assert gone and gone[0]["rule"] == "reliability/connection-error", report["findings"]
    assert "findings up to that point are kept" in gone[0]["message"]
    assert report["stats"]["stop_reason"] == "server_unavailable" and report["stats"]["requests"] >= 1
    assert [r.hits for r in recorders] == [0, 0]
    assert seconds < 30


@pytest.mark.slow
def test_max_time_bounds_a_run_with_a_slow_operation(tmp_path, recorders):
    """--max-time is a budget the fuzzer fills; a request in flight may overrun it by one timeout.
    What it cut short is named, and the slowest scenarios are listed."""
    report, err, seconds, _, hits = _run(tmp_path, "slow", recorders, "fuzz", "--max-time", "3", "-n", "1000")
    assert report["stats"]["stop_reason"] == "max_time"
    assert report["stats"]["elapsed_s"] < 3 + 2 * float(TIMEOUT) + 1
    assert any(f["rule"] == "reliability/timeout" for f in _by_operation(report).get("GET /healthz", []))
    assert seconds < 15  # interpreter start, loading, the budget, closing
    # the scenario the budget ended after it had sent requests is named, not passed off as complete
    assert "fuzzing GET /healthz" in report["stats"]["cut_short"], report["stats"]["cut_short"]
    assert report["stats"]["slowest_scenarios"][0]["scenario"] == "fuzzing GET /healthz"
    assert "fuzz: the time budget cut short" in err


PROBE_RULE = {
    "huge": "over the 16,777,216-byte cap",
    "trickle": "within the request timeout",
    "redirect-host": "answered 302, not 2xx",
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", list(PROBE_RULE))
def test_audit_probes_are_bounded_too(tmp_path, recorders, fault):
    """`auditor audit`'s own probes (requests, not the fuzzer): the health probe of the faulty
    /healthz is cut at the cap and the deadline, and does not follow the redirect."""
    pack = tmp_path / "pack.yaml"
    pack.write_text("extends: recommended\nlive:\n  sampling: false\n", encoding="utf-8")
    report, err, seconds, rss_mib, hits = _run(
        tmp_path, fault, recorders, "audit", "--phases", "fuzzing", "-n", "1", "--pack", str(pack), memory_limit=MEMORY_LIMIT if fault == "huge" else None
    )
    assert [r.hits for r in recorders] == [0, 0]
    health = [f for f in _by_operation(report).get("GET /healthz", []) if f["rule"] == "health/live-probe"]
    assert any(PROBE_RULE[fault] in f["message"] for f in health), health
    if fault != "redirect-host":
        assert any(PROBE_RULE[fault] in note for note in report["stats"]["live"]["notes"]), report["stats"]["live"]["notes"]
    assert report["stats"]["live"]["probe_requests"] > 0 and hits.get("/ok", 0) >= 1
    assert rss_mib < 400
    assert seconds < 30


def test_event_stream_reads_stop_at_the_cap(recorders):
    """The adapter caps an event stream too (the fuzzer reads it chunk by chunk itself)."""
    import requests

    from auditor.live.bounded import ResponseTooLarge, bound

    server = _FaultServer("huge-stream", (recorders[0].url, recorders[1].url))
    session = bound(requests.Session(), max_body=1024 * 1024)
    read = 0
    try:
        response = session.get(server.base_url + "/healthz", timeout=10, stream=True)
        with pytest.raises(ResponseTooLarge):
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                read += len(chunk)
        assert 0 < read <= 1024 * 1024
        with pytest.raises(ResponseTooLarge):  # read by the adapter when the caller does not stream (the probes)
            session.get(server.base_url + "/healthz", timeout=10)
    finally:
        session.close()
        server.close()
