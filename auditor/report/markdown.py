"""`--format markdown`: a compact summary for a pull-request comment or ``$GITHUB_STEP_SUMMARY``:
a heading with the verdict and counts, then a table of findings (worst first, at most
``MAX_ROWS`` rows, so the text stays far below GitHub's 65,536-character comment limit)."""

from __future__ import annotations

from auditor.model import Finding, Report
from auditor.report.common import finding_path, help_uri, summary_line

MAX_ROWS = 50
MAX_CELL = 300


def cell(text: str) -> str:
    """Text safe inside a table cell: one line, pipes and backticks escaped, shortened."""
    text = " ".join(text.split())
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    for ch in ("\\", "|", "`", "*", "_", "<", ">", "[", "]"):
        text = text.replace(ch, "\\" + ch)
    return text


def render(report: Report, options) -> str:
    base_dir = getattr(options, "base_dir", None)
    s = report.summary()
    docs = ", ".join(f"`{d.path}`" for d in report.documents) or "no documents"
    verdict = "failed" if _fails(report, getattr(options, "fail_on", "error")) else "passed"
    lines = [f"### auditor {report.command}: {verdict}", "", f"{summary_line(report)} in {docs}.", ""]
    if report.findings:
        lines += ["| Severity | Rule | Location | Message |", "| --- | --- | --- | --- |"]
        ordered = sorted(report.findings, key=lambda f: (-f.severity.rank,) + f.sort_key())
        for f in ordered[:MAX_ROWS]:
            lines.append(f"| {f.severity.value} | [{cell(f.rule)}]({help_uri(f.rule)}) | {_where(f, report, base_dir)} | {cell(f.message)} |")
        if len(ordered) > MAX_ROWS:
            lines += ["", f"… and {len(ordered) - MAX_ROWS} more (see the full report)."]
        lines.append("")
    hidden = [f"{s[k]} {k}" for k in ("suppressed", "baselined") if s[k]]
    if hidden:
        lines += [f"Not shown: {', '.join(hidden)}.", ""]
    return "\n".join(lines)


def _where(f: Finding, report: Report, base_dir: str | None) -> str:
    path = finding_path(f, report, base_dir)
    if path is None:
        return "-"
    loc = f.location
    text = f"{path}:{loc.line}:{loc.column}" if loc is not None and loc.line is not None else path
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _fails(report: Report, fail_on: str) -> bool:
    return report.exit_code(fail_on) != 0
