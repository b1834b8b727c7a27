"""The per-operation part of the HTML page: a table (findings by source, p50/p95/p99, 5xx rate,
rate-limit headers seen) and the p95 bars against the latency budget, as plain values for the
template. Reads ``stats.operations`` and ``stats.latency`` of an audit and counts the findings
itself (so baselined findings are left out); a figure the report does not hold is said to be
missing, never guessed."""

from __future__ import annotations

from typing import Any

from auditor.model import Finding, Report, Source
from auditor.rules._shared import is_ratelimit_header
from auditor.triage import family_of, operations_of

MISSING = "not recorded"
SOURCE_TITLES = {Source.LINT.value: "Static findings", Source.LIVE.value: "Live findings"}

# the chart, in SVG user units
CHART_WIDTH, LABEL_WIDTH, PLOT_WIDTH, ROW, BAR = 760, 250, 400, 24, 14


def operations_table(report: Report) -> dict[str, Any] | None:
    """``{"columns", "rows", "latency", "all_listed"}``; None when no operation is known. Latency
    columns when the report has latency figures, the 5xx rate and rate-limit headers when a
    service was contacted."""
    stats = report.stats or {}
    listed = {str(row.get("operation")): row for row in stats.get("operations") or () if isinstance(row, dict)}
    findings: dict[str, list[Finding]] = {label: [] for label in listed}
    for f in report.findings:
        for label in operations_of(f):
            findings.setdefault(label, []).append(f)
    if not findings:
        return None
    latency = stats.get("latency") or {}
    live = live_stats(report) is not None
    sources = [Source.LINT.value] + ([Source.LIVE.value] if live else [])
    sources += sorted({f.source.value for f in report.findings} - set(sources))
    columns = [_column("Operation", False)] + [_column(SOURCE_TITLES.get(s, f"{s.title()} findings"), True) for s in sources]
    if latency:
        columns += [_column(name, True) for name in ("p50 ms", "p95 ms", "p99 ms")]
    if live:
        columns += [_column("5xx rate", True), _column("Rate-limit headers", False)]
    budget = latency_budget(report)
    rows = []
    for label, found in findings.items():
        cells = [_cell(label, label)] + [_count(sum(1 for f in found if f.source.value == s)) for s in sources]
        row = listed.get(label, {})
        for key in ("p50_ms", "p95_ms", "p99_ms") if latency else ():
            value = (latency.get(label) or {}).get(key)
            over = key == "p95_ms" and budget is not None and value is not None and value > budget
            cells.append(_cell("not measured", None) if value is None else _cell(f"{value:.1f}", value, "over" if over else ""))
        if live:
            cells += [error_rate(row, found), ratelimit_seen(row, found)]
        rows.append(
            {
                "label": label,
                "severities": " ".join(sorted({f.severity.value for f in found})),
                "families": " ".join(sorted({family_of(f.rule) for f in found})),
                "cells": cells,
            }
        )
    return {"columns": columns, "rows": rows, "latency": bool(latency), "all_listed": bool(listed)}


def live_stats(report: Report) -> dict[str, Any] | None:
    """The live run's figures: ``stats.live`` of an audit, the stats of a fuzz run; None when the
    service was not contacted."""
    stats = report.stats or {}
    if "live" in stats:
        return stats["live"] or None
    return stats if "requests" in stats else None


def error_rate(row: dict[str, Any], found: list[Finding]) -> dict[str, Any]:
    """5xx among the operation's requests: ``stats.operations`` when it has the figures, else a
    ``reliability/error-rate`` finding's evidence."""
    errors, requests = row.get("errors_5xx"), row.get("requests")
    if errors is None:
        for f in found:
            ev = f.evidence or {}
            if f.rule == "reliability/error-rate" and f.operation is not None and "errors" in ev and "requests" in ev:
                errors, requests = ev["errors"], ev["requests"]
    if not isinstance(errors, int) or not isinstance(requests, int) or requests <= 0:
        return _cell(MISSING, None)
    rate = 100 * errors / requests
    return _cell(f"{rate:.2f} % ({errors} of {requests})", rate, "over" if errors else "")


def ratelimit_seen(row: dict[str, Any], found: list[Finding]) -> dict[str, Any]:
    """The rate-limit headers seen on the operation's answers: ``stats.operations`` when it says,
    else the header names in the responses its findings carry as evidence."""
    value = row.get("ratelimit_headers")
    if value is None:
        names: dict[str, None] = {}
        for f in found:
            response = (f.evidence or {}).get("response")
            headers = response.get("headers") if isinstance(response, dict) else None
            for name in headers if isinstance(headers, dict) else ():
                if is_ratelimit_header(str(name)):
                    names[str(name).lower()] = None
        value = sorted(names) or None
    if value is None:
        return _cell(MISSING, None)
    if isinstance(value, bool):
        text = "yes" if value else "none"
    elif isinstance(value, dict):
        text = ", ".join(f"{k}: {v}" for k, v in value.items()) or "none"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(map(str, value)) or "none"
    else:
        text = str(value)
    return _cell(text, text)


def latency_budget(report: Report) -> float | None:
    """The p95 budget in ms: ``stats.latency_budget_ms``, else a latency-p95 finding's evidence."""
    value = (report.stats or {}).get("latency_budget_ms")
    for f in report.findings if value is None else ():
        if f.rule == "reliability/latency-p95" and f.evidence and "budget_ms" in f.evidence:
            value = f.evidence["budget_ms"]
            break
    return float(value) if isinstance(value, (int, float)) else None


def chart(report: Report) -> dict[str, Any] | None:
    """Horizontal bars of p95 per operation with the budget as a line; None without latency."""
    latency = (report.stats or {}).get("latency") or {}
    values = [(str(label), float(v["p95_ms"])) for label, v in latency.items() if isinstance(v, dict) and isinstance(v.get("p95_ms"), (int, float))]
    if not values:
        return None
    budget = latency_budget(report)
    top = max([v for _, v in values] + [budget or 0.0]) * 1.1 or 1.0
    scale = PLOT_WIDTH / top
    bars = [
        {
            "label": label,
            "short": label if len(label) <= 34 else label[:33] + "…",
            "y": 10 + i * ROW,
            "width": round(max(value * scale, 1.0), 1),
            "value": f"{value:.1f} ms",
            "over": budget is not None and value > budget,
        }
        for i, (label, value) in enumerate(values)
    ]
    height = 10 + len(bars) * ROW + 26
    return {
        "width": CHART_WIDTH,
        "height": height,
        "x0": LABEL_WIDTH,
        "bar": BAR,
        "bars": bars,
        "budget": None if budget is None else {"x": round(LABEL_WIDTH + budget * scale, 1), "label": f"budget {budget:g} ms"},
        "bottom": height - 22,
    }


def _column(title: str, numeric: bool) -> dict[str, Any]:
    return {"title": title, "numeric": numeric}


def _cell(text: str, sort: Any, cls: str = "") -> dict[str, Any]:
    """A table cell: its text, the value it sorts by (None: missing, sorted last), a CSS class."""
    return {"text": text, "sort": "" if sort is None else sort, "missing": sort is None, "cls": cls}


def _count(n: int) -> dict[str, Any]:
    return _cell(str(n), n)
