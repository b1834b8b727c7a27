"""Shared test helpers: run the CLI in-process and capture what it prints."""

from __future__ import annotations

import csv
import io
import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.register_assert_rewrite("rule_helpers")  # its snapshot comparison shows a diff

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
# the real-world corpus: beside the repository (not in it), or where AUDITOR_CORPUS says
CORPUS = Path(os.environ.get("AUDITOR_CORPUS") or ROOT.parent / "shared" / "corpus")
CORPUS_MISSING = f"needs the shared corpus, not found at {CORPUS}"
SAMPLE_CORPUS = ROOT / "tests" / "data" / "corpus-sample"  # a few real documents that are always here


def manifest(folder: Path) -> list[dict[str, str]]:
    """The rows of ``folder/MANIFEST.tsv`` (the corpus's or the sample's); none when it is absent."""
    path = folder / "MANIFEST.tsv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def sample_documents() -> list[Path]:
    """The documents of the in-repository corpus sample."""
    return [SAMPLE_CORPUS / row["path"] for row in manifest(SAMPLE_CORPUS)]


def corpus_document(rel: str):
    """A test parameter for a document of the shared corpus: skipped, with the reason in the
    summary, when the corpus is not there."""
    path = CORPUS / rel
    return pytest.param(path, id=rel, marks=pytest.mark.skipif(not path.is_file(), reason=CORPUS_MISSING))


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(args: list[str], stdin: bytes | None = None, monkeypatch=None) -> CliResult:
    from auditor.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr = out, err
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        code = main(args)
    finally:
        sys.stdout, sys.stderr, sys.stdin = old
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def write(tmp_path):
    """write("name.yaml", text) -> path, in a fresh temp folder."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def lint(write):
    """lint(text, rule_id, options=None, public=()) -> the findings of that rule alone on the YAML
    ``text`` (dedented), written as openapi.yaml in a fresh temp folder."""
    from rule_helpers import findings_of

    def _lint(text: str, rule_id: str, options: dict | None = None, public: tuple[str, ...] = ()):
        return findings_of(write("openapi.yaml", textwrap.dedent(text)), rule_id, options, public)

    return _lint


class TcpServer:
    """A raw TCP server on a free loopback port that never speaks HTTP. ``behaviour``: "hang"
    (accept, say nothing, keep the connection open), "close" (read the request, close without an
    answer) or "count" (close at once; only ``hits`` matters)."""

    def __init__(self, behaviour: str, host: str = "127.0.0.1") -> None:
        import socket
        import threading

        self.behaviour = behaviour
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.hits = 0
        self.conns: list = []
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            if self.behaviour == "hang":
                self.conns.append(conn)
                continue
            try:
                if self.behaviour == "close":
                    conn.recv(65536)
            finally:
                conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for conn in self.conns:
            conn.close()
        self.sock.close()
