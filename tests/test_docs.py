"""Generated documentation stays in sync with the registry: the README's rule table and
docs/rules.md. Regenerate with AUDITOR_UPDATE_DOCS=1 python -m pytest tests/test_docs.py."""

from __future__ import annotations

import os
import re

from conftest import ROOT

from auditor import rules_doc
from auditor.rules import load_builtin_rules

START, END = "<!-- rules:start -->", "<!-- rules:end -->"
UPDATE = os.environ.get("AUDITOR_UPDATE_DOCS") == "1"


def test_readme_rule_table_is_up_to_date():
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert START in text and END in text, "README.md lacks the rule table markers"
    table = rules_doc.render(None, "markdown")
    current = text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    if UPDATE and current != table:
        readme.write_text(text.split(START, 1)[0] + START + "\n" + table + END + text.split(END, 1)[1], encoding="utf-8")
        current = table
    assert current == table, "README rule table is out of date: AUDITOR_UPDATE_DOCS=1 python -m pytest tests/test_docs.py"


def test_rules_reference_is_up_to_date():
    path = ROOT / "docs" / "rules.md"
    expected = rules_doc.render(None, "reference")
    if UPDATE and (not path.is_file() or path.read_text(encoding="utf-8") != expected):
        path.write_text(expected, encoding="utf-8")
    assert path.is_file() and path.read_text(encoding="utf-8") == expected, (
        "docs/rules.md is out of date: AUDITOR_UPDATE_DOCS=1 python -m pytest tests/test_docs.py"
    )


def test_every_rule_documents_itself():
    for r in load_builtin_rules():
        assert r.summary and r.hint, r.id
        for section in ("What it checks", "Why it matters"):
            assert section in r.doc, f"{r.id}: docstring lacks '{section}'"
        if r.check is not None:
            for section in ("Bad", "Good", "Fix"):
                assert re.search(rf"^{section}\b", r.doc, re.M), f"{r.id}: docstring lacks '{section}'"


def test_rules_command_lists_and_documents(cli):
    r = cli(["rules"])
    assert r.code == 0 and "contract/spec-valid" in r.out
    r = cli(["rules", "contract/spec-valid"])
    assert r.code == 0 and "What it checks" in r.out
    r = cli(["rules", "contract/spec-vald"])
    assert r.code == 2 and "did you mean" in r.err
