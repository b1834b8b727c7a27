"""`--format console`: triage first (the seed principles as pass / fail / untested, counts by
family and severity, the rules and operations with the most findings), then the findings grouped
by file, `file:line:col severity rule message` with the hint under it, the run's tables and the
totals. ``summary_only`` leaves the findings out (CI logs). Colour only on a terminal (and never
with NO_COLOR); plain text is width-independent (no wrapping), so CI logs and golden tests are
stable."""

from __future__ import annotations

from collections import defaultdict
from io import StringIO

from auditor.model import Finding, Report
from auditor.report.tables import stats_lines

_STYLE = {"error": "bold red", "warn": "yellow", "info": "cyan"}
ALIKE = 3  # more findings than this with one rule and message in a file are listed on one line
ALIKE_SHOWN = 12  # locations shown on that line (every finding stays in the other formats)


def render(report: Report, options) -> str:
    lines: list[tuple[str, str | None]] = triage_lines(report)  # (text, style)
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_file[f.location.file if f.location else "(no location)"].append(f)
    for file, findings in by_file.items() if not options.summary_only else ():
        lines.append((file, "bold underline"))
        for f, alike in _alike(findings):
            loc = _loc(f)
            op = f" [{f.operation}]" if f.operation else ""
            count = (f.evidence or {}).get("count")
            times = f" (x{count})" if isinstance(count, int) and count > 1 else ""
            lines.append((f"  {loc:<9} {f.severity.value:<5} {f.rule}  {f.message}{op}{times}", _STYLE[f.severity.value]))
            if alike:
                shown = ", ".join(_loc(a, True) for a in alike[:ALIKE_SHOWN]) + (", …" if len(alike) > ALIKE_SHOWN else "")
                lines.append((f"            and {len(alike)} more with the same message at {shown}", _STYLE[f.severity.value]))
            if f.hint:
                lines.append((f"            hint: {f.hint}", "dim"))
            ops = (f.evidence or {}).get("operations")
            if ops:
                lines.append((f"            used by: {', '.join(ops[:8])}{' …' if len(ops) > 8 else ''}", "dim"))
        lines.append(("", None))
    lines += [(text, "bold" if text.startswith(("operation ", "latency (ms)")) else None) for text in stats_lines(report)]
    s = report.summary()
    total = s["error"] + s["warn"] + s["info"]
    extra = []
    if s["suppressed"]:
        extra.append(f"{s['suppressed']} suppressed")
    if s["baselined"]:
        extra.append(f"{s['baselined']} baselined")
    tail = f" ({', '.join(extra)})" if extra else ""
    docs = len(report.documents)
    if total:
        summary = f"{total} finding{'s' if total != 1 else ''}: {s['error']} error, {s['warn']} warn, {s['info']} info in {docs} document{'s' if docs != 1 else ''}{tail}"
    else:
        summary = f"No findings in {docs} document{'s' if docs != 1 else ''}{tail}"
    lines.append((summary, "bold"))
    if not options.color:
        return "\n".join(text for text, _ in lines) + "\n"
    from rich.console import Console
    from rich.text import Text

    buf = StringIO()
    console = Console(file=buf, force_terminal=True, color_system="standard", width=options.width or 10_000, soft_wrap=True)
    for text, style in lines:
        console.print(Text(text, style=style or ""), highlight=False)
    return buf.getvalue()


_STATUS_STYLE = {"fail": "bold red", "pass": "green", "untested": "dim"}


def triage_lines(report: Report) -> list[tuple[str, str | None]]:
    """What to look at first: the principles by status, counts by family (worst first), the rules
    and operations with the most findings. Nothing when there is no finding."""
    if not report.findings:
        return []
    from auditor.triage import triage

    t = triage(report)
    lines: list[tuple[str, str | None]] = [("triage", "bold underline")]
    for status in ("fail", "pass", "untested"):
        shown = [p["title"] + (f" ({_counts(p)})" if _counts(p) else "") for p in t["principles"] if p["status"] == status]
        if shown:
            lines.append((f"  {status}: {', '.join(shown)}", _STATUS_STYLE[status]))
    families = sorted(t["by_family"].items(), key=lambda fc: (-fc[1]["error"], -fc[1]["warn"], -sum(fc[1].values()), fc[0]))
    lines.append(("  by family: " + "; ".join(f"{family} {_counts(c)}" for family, c in families), None))
    lines.append(("  most findings: " + ", ".join(f"{r['rule']} {r['count']}" for r in t["top_rules"]), None))
    if t["top_operations"]:
        lines.append(("  operations with most: " + ", ".join(f"{o['operation']} {o['count']}" for o in t["top_operations"]), None))
    lines.append(("", None))
    return lines


def _counts(counts: dict) -> str:
    return ", ".join(f"{counts[s]} {s}" for s in ("error", "warn", "info") if counts.get(s))


def _loc(f: Finding, with_operation: bool = False) -> str:
    at = f"{f.location.line}:{f.location.column}" if f.location and f.location.line else "-"
    return f"{at} [{f.operation}]" if with_operation and f.operation else at


def _alike(findings: list[Finding]) -> list[tuple[Finding, list[Finding]]]:
    """Each finding with the later ones of the same rule, severity and message in the file, when
    there are more than ``ALIKE`` of them (one cause copied into many places reads once)."""
    groups: dict[tuple, list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.rule, f.severity, f.message)].append(f)
    out = []
    for f in findings:
        group = groups[(f.rule, f.severity, f.message)]
        if len(group) > ALIKE:
            if group[0] is f:
                out.append((f, group[1:]))
        else:
            out.append((f, []))
    return out
