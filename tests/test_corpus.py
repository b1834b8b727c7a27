"""Every entry document of the shared corpus lints without a crash: exit 0 or 1 with a report,
or 2 with a clean one-line input error. Many corpus documents are invalid on purpose."""

from __future__ import annotations

import csv

import pytest

from conftest import CORPUS

MANIFEST = CORPUS / "MANIFEST.tsv"


def _entries() -> list[str]:
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(encoding="utf-8") as fh:
        return [row["path"] for row in csv.DictReader(fh, delimiter="\t") if row["entry"] == "yes"]


ENTRIES = _entries()


def test_corpus_is_present():
    if not MANIFEST.is_file():
        pytest.skip(f"shared corpus not found at {CORPUS} (it lives beside the project)")
    assert len(ENTRIES) > 100


@pytest.mark.parametrize("path", ENTRIES)
def test_corpus_document_lints_without_crash(cli, path):
    r = cli(["lint", str(CORPUS / path), "-f", "json"])
    assert r.code in (0, 1, 2), r.err
    assert "internal error" not in r.err and "Traceback" not in r.err, r.err
    if r.code == 2:
        assert r.err.startswith("auditor: error:") and "hint:" in r.err
    else:
        assert r.out.startswith("{")
