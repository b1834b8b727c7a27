"""The hostile-input suite (tests/hostile/generate.py): every case runs `auditor lint` in its own
process with a time limit and a memory limit, and must end with the expected exit code, no
traceback, a one-line message plus hint when the input cannot be read, and nothing from outside
the spec's folder (planted secret files, a local stand-in for the cloud metadata service) in any
output. Run with `-s` to see the timing summary (number of cases, slowest ones)."""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from auditor.report import FORMATS

HERE = Path(__file__).resolve().parent
CPU_LIMIT_S = 60  # per case, enforced by RLIMIT_CPU (the machine may be busy: wall time is not)
TIMEOUT_S = 120  # wall clock, catches hangs that burn no CPU (a FIFO, a socket)
MEMORY_BYTES = 2 * 1024**3
# `python -m auditor` that also records its own CPU time in $HOSTILE_CPU_FILE
LAUNCHER = (
    "import atexit, os, resource, runpy\n"
    "def _cpu():\n"
    "    r = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    with open(os.environ['HOSTILE_CPU_FILE'], 'w') as fh:\n"
    "        fh.write(str(r.ru_utime + r.ru_stime))\n"
    "atexit.register(_cpu)\n"
    "runpy.run_module('auditor', run_name='__main__', alter_sys=True)\n"
)


def _load_generator():
    spec = importlib.util.spec_from_file_location("hostile_generate", HERE / "hostile" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
CASES = {c.name: c for c in gen.plan()}


class Listener:
    """A TCP socket on 127.0.0.1 that records every connection (the first request line, or the
    raw first bytes when it is not HTTP) and answers ``routes`` or the fake metadata secret."""

    def __init__(self, routes: dict[str, bytes] | None = None) -> None:
        self.routes = routes or {}
        self.seen: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.host = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and len(data) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
                line = data.split(b"\r\n", 1)[0]
                self.seen.append(line.decode("latin-1") if line.startswith(b"GET ") else repr(data[:40]))
                path = line.split(b" ")[1].decode("latin-1") if line.count(b" ") >= 2 else ""
                body = self.routes.get(path, gen.METADATA_SECRET.encode())
                if body.startswith(b"redirect:"):
                    head, body = b"302 Found\r\nLocation: " + body[len(b"redirect:") :], b""
                else:
                    head = b"200 OK\r\nContent-Type: application/json"
                try:
                    conn.sendall(b"HTTP/1.0 %s\r\nContent-Length: %d\r\n\r\n%s" % (head, len(body), body))
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


@dataclass
class Outcome:
    code: int | None  # None: killed by the time limit
    out: str
    err: str
    seconds: float  # wall clock
    cpu: float  # CPU seconds of the auditor process
    json_report: str
    files: str  # every other report format, written with -o FORMAT=FILE


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S, CPU_LIMIT_S + 5))


def run_auditor(args: list[str], cwd: Path, stdin: bytes | None = None, timeout: float = TIMEOUT_S) -> tuple[int | None, str, str, float, float]:
    """(exit code or None on timeout, stdout, stderr, wall seconds, CPU seconds)."""
    cpu_file = cwd.parent / f".{cwd.name}.{threading.get_ident()}.cpu"
    env = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1", "HOSTILE_CPU_FILE": str(cpu_file)}
    start = time.perf_counter()
    try:
        p = subprocess.run(
            [sys.executable, "-c", LAUNCHER, "lint", *args],
            cwd=cwd,
            input=stdin if stdin is not None else b"",
            capture_output=True,
            timeout=timeout,
            preexec_fn=_limits,
            env=env,
        )
        code, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as exc:
        code, out, err = None, exc.stdout or b"", exc.stderr or b""
    seconds = time.perf_counter() - start
    try:
        cpu = float(cpu_file.read_text())
        cpu_file.unlink()
    except (OSError, ValueError):
        cpu = float("nan")
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), seconds, cpu


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """Writes the suite, runs every case (as many at once as there are cores), and prints the
    timing summary at the end."""
    dest = tmp_path_factory.mktemp("hostile")
    listener = Listener(gen.served())
    cases = list(CASES.values())
    gen.write(dest, cases, listener.host)

    def run(case) -> Outcome:
        reports = dest / "reports" / case.name
        reports.mkdir(parents=True)
        args = case.command(dest, listener.host)
        for fmt in FORMATS:
            if fmt != "console":  # the console report goes to stdout
                args += ["-o", f"{fmt}={reports / fmt}"]
        code, out, err, seconds, cpu = run_auditor(args, case.folder(dest), case.stdin_bytes(dest, listener.host))
        written = {p.name: p.read_text(encoding="utf-8") for p in reports.iterdir()}
        return Outcome(code, out, err, seconds, cpu, written.pop("json", ""), "".join(written.values()))

    start = time.perf_counter()
    # the biggest cases first, so the slow ones do not finish last
    order = sorted(cases, key=lambda c: not c.name.startswith(("big-", "operations-", "schema-", "long-")))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        outcomes = dict(zip([c.name for c in order], pool.map(run, order)))
    wall = time.perf_counter() - start
    listener.close()
    yield {"dest": dest, "outcomes": outcomes, "connections": listener.seen}
    slowest = sorted(outcomes.items(), key=lambda kv: -kv[1].seconds)[:5]
    cpu = sum(o.cpu for o in outcomes.values() if o.cpu == o.cpu)
    print(f"\nhostile suite: {len(outcomes)} cases, {wall:.1f} s wall on {os.cpu_count()} cores, {cpu:.1f} s CPU in total; slowest:")
    for name, o in slowest:
        print(f"  {o.seconds:6.2f} s wall {o.cpu:6.2f} s CPU  {name}  (exit {o.code})")


def _forbidden(case) -> list[str]:
    strings = [gen.SECRET, gen.METADATA_SECRET, *case.extra_forbidden]
    try:
        first = Path("/etc/passwd").read_text().splitlines()[0]
        strings.append(first)
    except (OSError, IndexError):
        pass
    return strings


@pytest.mark.slow
@pytest.mark.live
@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_case(suite, name):
    case = CASES[name]
    o = suite["outcomes"][name]
    assert o.code is not None, f"{name}: still running after {TIMEOUT_S} s"
    assert o.code >= 0, f"{name}: killed by signal {-o.code} (SIGXCPU: more than {CPU_LIMIT_S} s of CPU)"
    assert o.code in case.codes, f"{name}: exit {o.code}, expected {case.codes}\nstdout: {o.out[-2000:]}\nstderr: {o.err[-2000:]}"
    assert "Traceback" not in o.err + o.out
    assert "internal error" not in o.err, o.err
    assert "MemoryError" not in o.err, o.err
    if o.code == 2:
        lines = o.err.splitlines()
        assert len(lines) == 2 and lines[0].startswith("auditor: error: ") and lines[1].startswith("  hint: "), o.err
        assert case.err in lines[0], f"{name}: expected {case.err!r} in {lines[0]!r}"
        assert o.out == ""
    else:
        assert o.err == "", o.err
        report = json.loads(o.json_report)
        found = {f["rule"] for f in report["findings"]}
        missing = set(case.rules) - found
        assert not missing, f"{name}: expected findings of {sorted(missing)}, got {sorted(found)}"
        assert len(o.files) > 0
    for secret in _forbidden(case):
        assert secret not in o.out + o.err + o.json_report + o.files, f"{name}: output shows {secret!r}"


@pytest.mark.slow
@pytest.mark.live
def test_tags_never_ran_code(suite):
    assert list((suite["dest"] / "markers").iterdir()) == []


@pytest.mark.slow
@pytest.mark.live
def test_no_connection_except_the_named_root_document(suite):
    """Only `auditor lint http://.../root.json` may reach the listener, once; none of the refs
    (to the same server, to other schemes, to the metadata service) is fetched."""
    assert suite["connections"] == ["GET /root.json HTTP/1.1"]


def test_leak_check_can_fail(tmp_path):
    """Control: with the ref root widened on purpose, the secret file is followed and its content
    shows up in the report, so the checks above would notice a leak."""
    cases = [gen.Case("control", ["openapi.json", "--ref-root", str(tmp_path)], (1,), files={"openapi.json": json.dumps(_ref_doc("../../secret/secret.yaml"))})]
    gen.write(tmp_path, cases, "127.0.0.1:9")
    code, out, err, _, _ = run_auditor(cases[0].args, cases[0].folder(tmp_path))
    assert code == 1, err
    assert gen.SECRET in out


@pytest.mark.live
def test_remote_refs_only_with_the_flag(tmp_path):
    """A ref to a local listening socket: no connection without --allow-remote-refs; with it the
    document is fetched (and its content is used)."""
    listener = Listener({"/schemas.json": json.dumps({"Remote": {"type": "object", "x-seen": True}}).encode()})
    try:
        url = f"http://{listener.host}/schemas.json#/Remote"
        (tmp_path / "openapi.json").write_text(json.dumps(_ref_doc(url)))
        code, out, err, _, _ = run_auditor(["openapi.json", "-f", "json"], tmp_path)
        assert code == 1 and listener.seen == [], (code, err, listener.seen)
        assert "contract/ref-allowed" in _rules(out)
        code, out, err, _, _ = run_auditor(["openapi.json", "-f", "json", "--allow-remote-refs"], tmp_path)
        assert listener.seen == ["GET /schemas.json HTTP/1.1"], listener.seen
        assert code in (0, 1) and not {"contract/ref-allowed", "contract/ref-resolvable"} & _rules(out), (out, err)
    finally:
        listener.close()


def _rules(json_report: str) -> set[str]:
    """The rules with findings in a JSON report (its `checked` list names every rule that ran)."""
    return {f["rule"] for f in json.loads(json_report)["findings"]}


def _ref_doc(ref: str) -> dict:
    doc = json.loads(json.dumps(gen.BASE))
    doc["components"]["schemas"]["Thing"] = {"$ref": ref}
    return doc


@pytest.mark.live
def test_remote_redirect_to_a_local_file_is_not_followed(tmp_path):
    """Even with --allow-remote-refs, a remote ref that redirects to file:// reads nothing."""
    secret = tmp_path / "secret.yaml"
    secret.write_text(f"type: {gen.SECRET}\n")
    listener = Listener({"/x.json": f"redirect:file://{secret}".encode()})
    try:
        (tmp_path / "spec").mkdir()
        (tmp_path / "spec" / "openapi.json").write_text(json.dumps(_ref_doc(f"http://{listener.host}/x.json")))
        code, out, err, _, _ = run_auditor(["openapi.json", "-f", "json", "--allow-remote-refs"], tmp_path / "spec")
        assert listener.seen == ["GET /x.json HTTP/1.1"]
        assert code == 1 and "contract/ref-resolvable" in _rules(out) and gen.SECRET not in out + err, (out, err)
    finally:
        listener.close()
