"""The HTML report in a real headless Chromium (Debian's `chromium`, driven over the DevTools
protocol on a pipe by fixtures/browser.py): the page renders every finding and runs its script
under its own Content-Security-Policy without an error, nothing from the report runs as script,
typing into the filter, unticking a severity and choosing a family hide what they should, the
operations table sorts, and without JavaScript every finding is shown.

`./run test` installs chromium when it is missing (as root, with apt-get). Where it cannot be
installed the tests skip with the reason, except in CI (CI set), where they fail.
"""

from __future__ import annotations

import os

import pytest

from auditor.report import RenderOptions, render
from fixtures.browser import Browser, chromium_path
from fixtures.reports import audit_report

VISIBLE_RULES = "[...document.querySelectorAll('.finding')].filter(e => e.offsetParent !== null).map(e => e.closest('.rule-group').dataset.rule)"
VISIBLE_ROWS = "[...document.querySelectorAll('table.ops tbody tr')].filter(e => e.offsetParent !== null).map(e => e.cells[0].textContent)"
SHOWN = "document.getElementById('shown').textContent"


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    if chromium_path() is None:
        reason = "chromium is not installed: `apt-get install -y chromium` (./run test installs it when run as root)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render(audit_report(), "html", RenderOptions()), encoding="utf-8")
    return path


@pytest.fixture
def browser(page_file):
    with Browser() as b:
        b.open(page_file)
        yield b


def _rules(severity: str | None = None) -> list[str]:
    return [f.rule for f in audit_report().findings if severity is None or f.severity.value != severity]


def test_the_page_renders_every_finding_and_its_script_runs_cleanly(browser):
    assert browser.console_errors() == []  # a refused inline script or style would be reported here
    assert browser.evaluate("document.documentElement.className") == "js"
    assert sorted(browser.evaluate(VISIBLE_RULES)) == sorted(_rules())
    assert browser.evaluate(SHOWN) == f"{len(_rules())} of {len(_rules())} findings shown"
    assert browser.evaluate("window.pwned") is None  # the report's <script> and onerror are text
    assert "<script>window.pwned = 1</script>" in browser.evaluate("document.body.innerText")
    assert browser.evaluate("document.querySelectorAll('svg .bar').length") == 4


def test_typing_into_the_filter_hides_what_does_not_match(browser):
    browser.type_into("#q", "leak")
    assert browser.evaluate(VISIBLE_RULES) == ["errors/live-no-leak", "errors/no-internal-leak"]  # text and rule ids
    assert browser.evaluate(SHOWN) == f"2 of {len(_rules())} findings shown"
    hidden_groups = browser.evaluate("[...document.querySelectorAll('.rule-group')].filter(g => g.hidden).length")
    assert hidden_groups == len(set(_rules())) - 2
    assert browser.evaluate(VISIBLE_ROWS) == []  # no operation is named "leak"
    browser.evaluate("document.getElementById('q').select()")
    browser.type_into("#q", "{id}")
    assert browser.evaluate(VISIBLE_RULES) == ["inputs/string-bounded", "ratelimit/live-headers"]  # a used-by list, an operation
    assert browser.evaluate(VISIBLE_ROWS) == ["GET /items/{id}", "DELETE /items/{id}"]


def test_unticking_a_severity_and_choosing_a_family(browser):
    browser.click("input[name=severity][value=error]")
    assert sorted(browser.evaluate(VISIBLE_RULES)) == sorted(_rules("error"))
    assert "POST /items" in browser.evaluate(VISIBLE_ROWS)  # it also has warn findings
    browser.evaluate("const s = document.getElementById('family'); s.value = 'reliability'; s.dispatchEvent(new Event('change', {bubbles: true}))")
    assert browser.evaluate(VISIBLE_RULES) == []  # every reliability finding is an error
    browser.click("input[name=severity][value=error]")
    assert sorted(browser.evaluate(VISIBLE_RULES)) == ["reliability/error-rate", "reliability/latency-p95", "reliability/server-error"]
    assert browser.evaluate(VISIBLE_ROWS) == ["GET /items", "POST /items"]


def test_the_operations_table_sorts_by_a_column(browser):
    header = "table.ops thead th:nth-child({}) button"
    p95 = browser.evaluate("[...document.querySelectorAll('table.ops thead th')].findIndex(th => th.textContent === 'p95 ms')") + 1
    browser.click(header.format(p95))
    assert browser.evaluate(VISIBLE_ROWS) == ["DELETE /items/{id}", "GET /items/{id}", "POST /items", "GET /items"]
    browser.click(header.format(p95))
    assert browser.evaluate(VISIBLE_ROWS) == ["GET /items", "POST /items", "GET /items/{id}", "DELETE /items/{id}"]
    assert browser.evaluate(f"document.querySelector('{header.format(p95)}').parentNode.getAttribute('aria-sort')") == "descending"
    browser.click(header.format(1))
    assert browser.evaluate(VISIBLE_ROWS) == ["DELETE /items/{id}", "GET /items", "GET /items/{id}", "POST /items"]


def test_without_javascript_every_finding_is_shown_and_the_filter_is_not(page_file):
    with Browser() as b:
        b.send("Emulation.setScriptExecutionDisabled", {"value": True})
        b.open(page_file)
        assert sorted(b.evaluate(VISIBLE_RULES)) == sorted(_rules())
        assert b.evaluate("getComputedStyle(document.getElementById('filters')).display") == "none"
        assert b.evaluate("document.documentElement.className") == "nojs"
