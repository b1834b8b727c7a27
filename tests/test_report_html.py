"""`--format html` without a browser: the page's structure against a golden outline (lint of the
multifile fixture, a hand-built audit), escaping of everything from the document or the service,
nothing that loads from the network, the Content-Security-Policy hashes, missing figures said to
be missing, the size of a 1,000-finding page. tests/test_report_html_browser.py opens the page
in Chromium.

Golden outlines live in tests/golden/*.html-outline; after an intended change regenerate them
with `AUDITOR_UPDATE_GOLDEN=1 python -m pytest tests/test_report_html.py` and review the diff.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from html.parser import HTMLParser

from conftest import FIXTURES, ROOT

from auditor import __version__
from auditor.model import Report
from auditor.report import RenderOptions, render
from fixtures.reports import HOSTILE, audit_report, many_findings_report

GOLDEN = ROOT / "tests" / "golden"
VOID = {"meta", "input", "br", "img", "link", "hr", "rect", "line"}
SHOWN_ATTRS = ("id", "class", "href", "type", "name", "value", "scope", "role", "data-severity", "data-family", "data-source", "data-rule", "data-principle")
LOADING_TAGS = {"img", "link", "iframe", "frame", "object", "embed", "video", "audio", "source", "track", "image", "use", "base", "portal"}


class Page(HTMLParser):
    """The parsed page: every start tag with its attributes, the text of each <style> and
    <script>, and an indented outline (tags, chosen attributes, text) for the golden files."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"style": [], "script": []}
        self.outline: list[str] = []
        self._stack: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        shown = " ".join(f"{k}={attributes[k]}" for k in SHOWN_ATTRS if attributes.get(k) is not None)
        self.outline.append("  " * len(self._stack) + tag + (f" [{shown}]" if shown else ""))
        if tag not in VOID:
            self._stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self._stack.pop()

    def handle_endtag(self, tag):
        if tag in self._stack:
            while self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self._stack and self._stack[-1] in self.raw:
            self.raw[self._stack[-1]].append(data)
            self.outline.append("  " * len(self._stack) + "(inline)")
        elif data.strip():
            self.outline.append("  " * len(self._stack) + '"' + " ".join(data.split()) + '"')


def _render(report: Report, **options) -> str:
    return render(report, "html", RenderOptions(**options))


def _check_golden(name: str, text: str) -> None:
    got = "\n".join(Page(text).outline).replace(__version__, "<VERSION>") + "\n"
    path = GOLDEN / f"{name}.html-outline"
    if os.environ.get("AUDITOR_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert path.is_file(), f"no golden file {path} (run with AUDITOR_UPDATE_GOLDEN=1 and review it)"
    assert got == path.read_text(encoding="utf-8")


def test_golden_lint_page(cli, monkeypatch):
    monkeypatch.chdir(FIXTURES / "multifile")
    r = cli(["lint", "openapi.yaml", "--pack", "minimal", "-f", "html"])
    assert r.code == 1, r.err
    _check_golden("multifile", r.out)


def test_golden_audit_page():
    _check_golden("audit", _render(audit_report(), base_dir=None))


def test_text_from_the_document_and_the_service_is_escaped():
    text = _render(audit_report())
    page = Page(text)
    assert HOSTILE not in text and "window.pwned" in text  # present, but only as text
    assert [tag for tag, _ in page.tags].count("script") == 1  # ours
    assert not [(tag, attrs) for tag, attrs in page.tags if any(name.startswith("on") for name in attrs)]
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in text
    assert "near &lt;/pre&gt;" in text  # a response body cannot close the <pre> it is shown in
    assert "Items &lt;script&gt;" in text  # the document title, in <title> and in the table


def test_nothing_loads_from_the_network():
    page = Page(_render(audit_report()))
    assert not [tag for tag, _ in page.tags if tag in LOADING_TAGS]
    assert not [(tag, attrs) for tag, attrs in page.tags if "src" in attrs or "srcset" in attrs or "style" in attrs]
    for tag, attrs in page.tags:
        href = attrs.get("href")
        if href is not None:  # in-page anchors and links a person may follow to the rule docs
            assert tag == "a" and (href.startswith("#") or href.startswith("https://github.com/auditor-dev/auditor/blob/main/docs/rules.md#")), href
    inline = "".join(page.raw["style"] + page.raw["script"])
    assert not re.search(r"url\(|@import|https?:|fetch\(|XMLHttpRequest|import\(", inline)


def test_the_content_security_policy_allows_only_the_inline_style_and_script():
    page = Page(_render(audit_report()))
    csp = next(attrs["content"] for tag, attrs in page.tags if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy")
    assert csp and csp.startswith("default-src 'none';")
    for kind in ("style", "script"):
        (body,) = page.raw[kind]
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert f"{kind}-src 'sha256-{digest}'" in csp, kind


def test_summary_principles_operations_and_chart():
    text = _render(audit_report())
    page = Page(text)
    principles = {attrs["data-principle"]: attrs["class"] for tag, attrs in page.tags if "data-principle" in attrs}
    assert principles["contract"] == "principle fail"  # reliability/server-error
    assert principles["no-leaks"] == "principle fail" and principles["budgets"] == "principle fail"
    assert principles["security"] == "principle pass"  # ran (checked), nothing found
    assert principles["idempotency"] == "principle untested"
    assert "<dt>Seed</dt><dd>7</dd>" in text and "<dt>Requests</dt><dd>320</dd>" in text and "<dt>Duration</dt><dd>12.5 s</dd>" in text
    assert 'class="num over">260.5</td>' in text  # p95 over the budget
    assert "5.00 % (3 of 60)" in text  # from the error-rate finding's evidence
    assert "x-ratelimit-limit" in text  # seen in a finding's response
    assert text.count('class="num missing">not recorded') == 3  # the other operations' 5xx rate
    assert 'class="budget" x1=' in text and "budget 200 ms" in text
    assert text.count('<g class="bar over">') == 1 and text.count('<g class="bar">') == 3


def test_figures_from_the_operations_stats_are_used_when_present():
    report = audit_report()
    rows = [{**row, "errors_5xx": 0, "requests": 40, "ratelimit_headers": ["RateLimit", "RateLimit-Policy"]} for row in report.stats["operations"]]
    text = _render(Report(**{**report.__dict__, "stats": {**report.stats, "operations": rows}}))
    table = text[text.index('id="operations"') : text.index('id="findings"')]
    assert table.count("0.00 % (0 of 40)") == 4 and "not recorded" not in table
    assert table.count(">RateLimit, RateLimit-Policy</td>") == 4


def test_a_lint_page_has_no_latency_columns_and_says_which_operations_it_lists():
    report = many_findings_report(30)
    text = _render(report)
    assert "p95 ms" not in text and "5xx rate" not in text and "<svg" not in text
    assert "Operations with findings" in text
    assert "not contacted (static checks only)" in text and '<dt>Duration</dt><dd class="missing">not recorded</dd>' in text


def test_a_fuzz_page_shows_the_run_but_no_latency_it_does_not_have():
    report = audit_report()
    fuzz = Report("fuzz", report.documents, report.findings, stats={"seed": 3, "requests": 40, "elapsed_s": 2.0}, tool_version="0")
    text = _render(fuzz)
    assert "<dt>Seed</dt><dd>3</dd>" in text and "<dt>Requests</dt><dd>40</dd>" in text
    assert "p95 ms" not in text and "<svg" not in text
    assert "Live findings" in text and "5xx rate" in text and "5.00 % (3 of 60)" in text


def test_every_finding_is_on_the_page_with_its_location_hint_and_curl():
    report = audit_report()
    page = Page(_render(report))
    rendered = [attrs for tag, attrs in page.tags if tag == "li" and attrs.get("class") == "finding"]
    assert len(rendered) == len(report.findings)
    text = _render(report)
    for f in report.findings:
        assert f"{f.location.file}:{f.location.line}:{f.location.column}" in text
    assert "curl -X POST -H &#39;Authorization: ***&#39;" in text
    assert "Used by: POST /items, GET /items/{id}" in text


def test_a_report_of_1000_findings_is_under_2_mib_and_cuts_long_evidence():
    text = _render(many_findings_report(1000))
    size = len(text.encode("utf-8"))
    assert size < 2 * 1024 * 1024, size
    assert "more characters" in text and "… and 130 more" in text  # a 1,800-character body, 150 operations
    live = "li [class=finding data-severity=error data-family=reliability data-source=live]"
    assert [line.strip() for line in Page(text).outline].count(live) == 100


def test_empty_report():
    text = _render(Report("lint"))
    assert "No findings." in text and "0 of 0 findings shown" in text
