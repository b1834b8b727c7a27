"""Plain-text tables from ``Report.stats`` for the console: the per-operation join of `audit`
(static findings, live findings, p95) and the latency table (p50/p95/p99/max per operation).
Pure and width-independent, like the console report."""

from __future__ import annotations

from typing import Any

from auditor.model import Report


def stats_lines(report: Report) -> list[str]:
    stats = report.stats or {}
    lines: list[str] = []
    rows = stats.get("operations")
    latency = stats.get("latency") or {}
    if rows:
        lines += _table(
            ["operation", "static", "live", "p95 ms"],
            [[r["operation"], r["static"], "-" if stats.get("live") is None else r["live"], _ms(r.get("p95_ms"))] for r in rows],
        )
        lines.append("")
    if latency:
        lines += _table(
            ["latency (ms)", "answers", "p50", "p95", "p99", "max", "sampled", "sampled p95"],
            [
                [op, v["requests"], _ms(v["p50_ms"]), _ms(v["p95_ms"]), _ms(v["p99_ms"]), _ms(v["max_ms"]), v.get("samples", 0), _ms(v.get("sampled_p95_ms"))]
                for op, v in latency.items()
            ],
        )
        lines.append("")
    diff = stats.get("diff")
    if diff:
        lines.append(f"diff: {diff['matched']} operations in both versions, {diff['removed']} removed, {diff['added']} added")
        if diff.get("truncated"):
            lines.append("diff: the schemas were too large to compare completely; some changes may be missing")
        for side, count in (diff.get("unresolved_refs") or {}).items():
            lines.append(f"diff: {count} $ref(s) of the {side} document could not be followed and were compared as empty schemas (`auditor lint` says which)")
        lines.append("")
    live = stats.get("live") or {}
    for note in live.get("notes") or []:
        lines.append(f"live: {note}")
    if live.get("notes"):
        lines.append("")
    return lines


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(row[1:], widths[1:]))
        return f"{first}  {rest}".rstrip()

    return [line(cells[0])] + [line(r) for r in cells[1:]]
