"""The pure parts of the live policy checks: header validation, leak signatures (strict: a trace
id, Azure's `innererror` or the word "error" in a message is no leak), percentiles and the
error-budget arithmetic."""

from __future__ import annotations

import pytest

from auditor.live.checks.budgets import percentile
from auditor.live.context import LiveContext, LiveRun
from auditor.live.headers import ratelimit_problems, retry_after_problem
from auditor.live.leaks import find_leak
from auditor.live.model import Exchange, Issue, Observed
from fixtures.service import SPEC


@pytest.mark.parametrize(
    "headers",
    [
        {"ratelimit": '"default";r=50;t=30', "ratelimit-policy": '"default";q=100;w=60'},
        {"ratelimit": "default;r=0"},  # Token name tolerated
        {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999", "x-ratelimit-reset": "1700000000"},  # epoch reset
        {"ratelimit-limit": "10", "ratelimit-remaining": "10", "ratelimit-reset": "3"},
    ],
)
def test_sane_rate_limit_headers(headers):
    assert ratelimit_problems(headers) == []


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({"ratelimit": '"default";t=3'}, "lacks the required 'r'"),
        ({"ratelimit": '"default";r=-1'}, "r=-1 is not a non-negative integer"),
        ({"ratelimit": '"open;r=1'}, "not a Structured Field List"),
        ({"ratelimit-policy": '"p";q=10;w=0'}, "w=0 is not a positive integer"),
        ({"x-ratelimit-limit": "10", "x-ratelimit-remaining": "11"}, "X-RateLimit-Remaining 11 is above X-RateLimit-Limit 10"),
        ({"x-rate-limit-remaining": "many"}, "is not a non-negative integer"),
    ],
)
def test_broken_rate_limit_headers(headers, expected):
    assert any(expected in p for p in ratelimit_problems(headers)), ratelimit_problems(headers)


def test_retry_after_values():
    assert retry_after_problem("30") is None
    assert retry_after_problem("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert retry_after_problem(None) == ("no Retry-After header", True)
    assert retry_after_problem("soon")[1] is True
    assert retry_after_problem("-1")[1] is True
    assert retry_after_problem("172800")[1] is False  # over a day: info


@pytest.mark.parametrize(
    "body, what",
    [
        ('Traceback (most recent call last):\n  File "/srv/app.py", line 12, in handler\nKeyError: x', "Python"),
        ("java.lang.IllegalStateException: x\n\tat com.acme.Orders.get(Orders.java:42)", "Java"),
        ("   at Acme.Api.ItemsController.Get(Int32 id) in /src/Items.cs:line 17", ".NET"),
        ("TypeError: x\n    at Object.<anonymous> (/srv/index.js:10:15)", "Node.js"),
        ("panic: boom\n\ngoroutine 7 [running]:\nmain.main()", "Go"),
        ("app/models/item.rb:12:in `find'", "Ruby"),
        ("PHP Fatal error: Uncaught Error in /var/www/index.php on line 3", "PHP"),
        ('{"detail": "psycopg2.errors.UndefinedTable: relation \\"x\\" does not exist"}', "PostgreSQL"),
        ("You have an error in your SQL syntax; check the manual that corresponds to your MySQL server", "MySQL"),
        ('sqlite3.OperationalError: near "\'": syntax error', "SQLite"),
        ("ORA-01756: quoted string not properly terminated", "Oracle"),
        ("Unclosed quotation mark after the character string 'x'.", "SQL Server"),
        ("MongoServerError: unknown operator: $ne", "MongoDB"),
        ("<h1>Whitelabel Error Page</h1><p>This application has no explicit mapping", "Spring"),
        ("You're seeing this error because you have <code>DEBUG = True</code> in your Django settings", "Django"),
    ],
)
def test_leak_signatures(body, what):
    leak = find_leak(body)
    assert leak is not None and leak.what == what


@pytest.mark.parametrize(
    "body",
    [
        '{"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no item 7"}',
        '{"errors": [{"code": "E1", "message": "error at position 3"}], "trace": "7f3c9a"}',  # IBM trace id
        '{"error": {"code": "Conflict", "innererror": {"code": "Etag"}}}',  # Azure innererror
        "An internal error occurred at 10:30; exception logged",
        '{"detail": "value at /items/0:1 is not valid"}',
    ],
)
def test_no_false_leaks(body):
    assert find_leak(body) is None


def _live(rule_id: str) -> LiveContext:
    """The context a live check gets in `auditor audit` (the fixture's document, the default pack)."""
    from auditor.api import LintOptions, load_document, load_effective_config
    from auditor.live.audit import AuditOptions, live_settings
    from auditor.rules import load_builtin_rules

    options, registry = LintOptions(), load_builtin_rules()
    config = load_effective_config(options)
    run = LiveRun(load_document(str(SPEC), options), config, registry, live_settings({}, AuditOptions()), None)
    rule = registry[rule_id]
    return LiveContext(run, rule, dict(config.setting(rule).options))


def _run_check(rule_id: str, answers: list[Observed]) -> list[Issue]:
    live = _live(rule_id)
    check = live.rule.check
    assert check is not None
    if live.rule.hook == "run":
        return list(check(live, answers))
    return [issue for o in answers for issue in check(live, o)]


def _seen(status: int, n: int, operation: str = "GET /v1/items", body: str | None = None) -> list[Observed]:
    ex = Exchange("GET", "http://127.0.0.1/v1/items", {}, None, status, {}, body, 1.0)
    return [Observed(operation, ex, "fuzz", "positive") for _ in range(n)]


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 95) == 95.0 and percentile(values, 50) == 50.0 and percentile([7.0], 99) == 7.0


def test_error_rate_over_budget_and_too_small_samples():
    over = _run_check("reliability/error-rate", _seen(200, 99) + _seen(500, 1))
    assert [i.message for i in over] == ["1 of 100 valid requests answered 5xx (1.00 %, budget 0.1 %)"]
    small = _run_check("reliability/error-rate", _seen(200, 500))
    assert len(small) == 1 and small[0].severity is not None and small[0].severity.value == "info" and "3000" in small[0].message
    enough = _run_check("reliability/error-rate", _seen(200, 3000))
    assert enough == []
    negative = [Observed("GET /v1/items", o.exchange, "fuzz", "negative") for o in _seen(500, 5)]
    assert not [i for i in _run_check("reliability/error-rate", negative + _seen(200, 3000)) if i.severity is None]


def test_leak_check_quotes_the_excerpt():
    issues = _run_check("errors/live-no-leak", _seen(500, 1, body='{"detail": "ORA-00933: SQL command not properly ended"}'))
    assert len(issues) == 1 and "ORA-00933" in issues[0].message


def test_live_settings_from_packs_and_command_line():
    from auditor.exceptions import InputError
    from auditor.live.audit import AuditOptions, live_settings

    defaults = live_settings({}, AuditOptions())
    assert defaults == {"read-only": False, "probe-rate-limit": 0, "probes": True, "sampling": True}
    packed = live_settings({"read-only": True, "probe-rate-limit": 50, "sampling": False}, AuditOptions())
    assert packed["read-only"] and packed["probe-rate-limit"] == 50 and not packed["sampling"]
    assert live_settings({"read-only": True}, AuditOptions(read_only=False))["read-only"] is False  # the command line wins
    for bad in ({"probe-rate-limit": -1}, {"probes": "yes"}, {"burst": 5}):
        with pytest.raises(InputError):
            live_settings(bad, AuditOptions())


def test_a_long_json_error_body_is_judged_whole_not_by_its_excerpt():
    body = '{"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "' + "x" * 5000 + '"}'
    ex = Exchange("GET", "http://127.0.0.1/v1/items", {}, None, 400, {"Content-Type": "application/problem+json"}, None, 1.0)
    from auditor.live.model import excerpt

    ex.response_body = excerpt(body)
    ex.keep_error_body(body.encode())
    assert ex.response_body.endswith("…") and ex.body_text == body
    assert _run_check("errors/live-error-schema", [Observed("GET /v1/items", ex, "fuzz", "negative")]) == []
