"""Every entry document of the shared corpus lints without a crash: exit 0 or 1 with a report,
or 2 with a clean one-line input error. Many corpus documents are invalid on purpose.

The reports are also pinned: ``golden/corpus-reports.tsv`` holds, per document, the number of
findings and a digest of the whole JSON report (every rule, message, location, evidence and
fingerprint). An optimisation must leave every digest as it is; a deliberate rule change
regenerates the file (``AUDITOR_UPDATE_GOLDEN=1 python -m pytest tests/test_corpus.py``) and
the diff shows which documents it touched."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from conftest import CORPUS, CORPUS_MISSING, ROOT, manifest

MANIFEST = CORPUS / "MANIFEST.tsv"
GOLDEN = ROOT / "tests" / "golden" / "corpus-reports.tsv"
UPDATE = os.environ.get("AUDITOR_UPDATE_GOLDEN") == "1"
pytestmark = [pytest.mark.corpus, pytest.mark.skipif(not MANIFEST.is_file(), reason=CORPUS_MISSING)]


def _entries() -> list[str]:
    return [row["path"] for row in manifest(CORPUS) if row["entry"] == "yes"]


def _golden() -> dict[str, tuple[str, str]]:
    if not GOLDEN.is_file():
        return {}
    rows = (line.split("\t") for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line)
    return {path: (count, digest) for path, count, digest in rows}


ENTRIES = _entries()
PINNED = _golden()
SEEN: dict[str, tuple[str, str]] = {}


def _digest(out: str) -> tuple[str, str]:
    """(finding count, digest) of a JSON report, with the corpus folder taken out of paths."""
    report = json.loads(out)
    body = {"findings": report["findings"], "suppressed": report["suppressed"], "documents": report["documents"]}
    text = json.dumps(body, sort_keys=True)
    for spelling in sorted({str(CORPUS), str(CORPUS.resolve())}, key=len, reverse=True):  # the corpus may be a symlink
        text = text.replace(json.dumps(spelling)[1:-1], "<corpus>")
    return str(len(report["findings"])), hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def test_corpus_is_present():
    assert len(ENTRIES) > 100


@pytest.mark.slow  # a few seconds per big document, ~20 s in all
@pytest.mark.parametrize("path", ENTRIES or ["(no corpus)"])
def test_corpus_document_lints_without_crash(cli, path, monkeypatch):
    monkeypatch.chdir(ROOT)  # outside a git repository the current folder may be the ref root: not one holding the corpus
    r = cli(["lint", str(CORPUS / path), "-f", "json"])
    assert r.code in (0, 1, 2), r.err
    assert "internal error" not in r.err and "Traceback" not in r.err, r.err
    if r.code == 2:
        assert r.err.startswith("auditor: error:") and "hint:" in r.err
        got = ("exit 2", hashlib.sha256(r.err.encode("utf-8")).hexdigest()[:16])
    else:
        assert r.out.startswith("{")
        got = _digest(r.out)
    SEEN[path] = got
    if UPDATE:
        return
    assert path in PINNED, f"{path} has no pinned report; regenerate {GOLDEN.name} (see the module docstring)"
    assert got == PINNED[path], (
        f"the report on {path} changed: {PINNED[path][0]} -> {got[0]} findings. If the change is meant, "
        f"regenerate {GOLDEN.name} (see the module docstring); an optimisation must not change it"
    )


def test_update_pinned_reports():
    """Runs last in this module: with AUDITOR_UPDATE_GOLDEN=1, writes what the runs above saw."""
    if not UPDATE:
        assert set(PINNED) <= set(ENTRIES), f"{GOLDEN.name} pins documents that are no longer corpus entries"
        return
    assert len(SEEN) == len(ENTRIES), "run the whole module to regenerate the pinned reports"
    GOLDEN.write_text("".join(f"{p}\t{c}\t{d}\n" for p, (c, d) in sorted(SEEN.items())), encoding="utf-8")
