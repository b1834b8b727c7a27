"""`--format console`: grouped by file, `file:line:col severity rule message`, the hint under it,
totals at the end. Colour only on a terminal (and never with NO_COLOR); plain text is
width-independent (no wrapping), so CI logs and golden tests are stable."""

from __future__ import annotations

from collections import defaultdict
from io import StringIO

from auditor.model import Finding, Report
from auditor.report.tables import stats_lines

_STYLE = {"error": "bold red", "warn": "yellow", "info": "cyan"}


def render(report: Report, options) -> str:
    lines: list[tuple[str, str | None]] = []  # (text, style)
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_file[f.location.file if f.location else "(no location)"].append(f)
    for file, findings in by_file.items():
        lines.append((file, "bold underline"))
        for f in findings:
            loc = f"{f.location.line}:{f.location.column}" if f.location and f.location.line else "-"
            op = f" [{f.operation}]" if f.operation else ""
            count = (f.evidence or {}).get("count")
            times = f" (x{count})" if isinstance(count, int) and count > 1 else ""
            lines.append((f"  {loc:<9} {f.severity.value:<5} {f.rule}  {f.message}{op}{times}", _STYLE[f.severity.value]))
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
