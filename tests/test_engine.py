"""The engine: a crashing rule is a finding, not the end of the run; malformed documents do not
crash the built-in rules."""

from __future__ import annotations

import json

from auditor.config import Config, RuleSetting
from auditor.document.document import Document
from auditor.engine import run_rules
from auditor.model import Severity
from auditor.rules.registry import Registry, Violation, rule

DOC = "openapi: 3.0.3\ninfo: {title: T, version: 1.0.0}\npaths: {}\n"


def test_crashing_rule_becomes_a_finding_and_others_still_run(write):
    registry = Registry()

    @rule("test/boom", severity="warn", summary="s", hint="h", registry=registry)
    def boom(ctx):
        """What it checks: nothing. Why it matters: test."""
        yield Violation("found before the crash", None)
        raise KeyError("oops")

    @rule("test/fine", severity="info", summary="s", hint="h", registry=registry)
    def fine(ctx):
        """What it checks: nothing. Why it matters: test."""
        yield Violation("fine", None)

    config = Config(settings={r.id: RuleSetting(True, r.severity, {}) for r in registry})
    result = run_rules(Document.load(str(write("a.yaml", DOC))), config, registry)
    messages = {f.message: f for f in result.findings}
    assert "found before the crash" in messages and "fine" in messages
    crash = next(f for f in result.findings if "stopped early" in f.message)
    assert crash.rule == "test/boom" and "KeyError" in crash.message and "bug in auditor" in crash.hint
    assert crash.severity is Severity.WARN


def test_malformed_servers_and_components_do_not_crash_rules(cli, write):
    doc = """openapi: 3.0.3
info: {title: T, version: 1.0.0}
servers:
  - url: "http://[/"
    variables: [1, 2]
components: [1]
paths:
  /a:
    get:
      servers: {url: 3}
      responses: {"200": {description: ok}}
"""
    r = cli(["lint", str(write("a.yaml", doc)), "--pack", "strict", "-f", "json"])
    assert r.code in (0, 1), r.err
    findings = json.loads(r.out)["findings"]
    assert not [f for f in findings if "stopped early" in f["message"]], [f["message"] for f in findings if "stopped" in f["message"]]


def test_control_characters_from_the_document_never_reach_any_output(write):
    from auditor import api
    from auditor.report import FORMATS, RenderOptions, render

    doc = 'openapi: 3.0.3\ninfo: {title: "T\\e[2J", version: 1.0.0}\npaths:\n  "/a\\e]0;pwned\\a":\n    post:\n      responses: {"200": {description: "\\e[31m"}}\n'
    report = api.lint([str(write("a.yaml", doc))], api.LintOptions(pack="strict"))
    assert report.findings
    for fmt in FORMATS:
        for color in (False, True):
            text = render(report, fmt, RenderOptions(color=color))
            # colour codes of our own console are fine; nothing from the document is raw
            assert "\x1b[2J" not in text and "\x1b]0;" not in text and "\x07" not in text, fmt
