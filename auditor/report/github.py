"""`--format github`: GitHub Actions workflow commands, one annotation per finding::

    ::error file=api/openapi.yaml,line=12,col=9,title=contract/spec-valid::'description' is ...

``error`` / ``warning`` / ``notice`` by severity; paths relative to the base folder (the
repository root when run from it). Escaping follows the runner: in the message ``%``, CR and LF
are percent-encoded; in property values ``:`` and ``,`` are too. A plain summary line ends the
output."""

from __future__ import annotations

from auditor.model import Finding, Report
from auditor.report.common import finding_path, summary_line

COMMAND = {"error": "error", "warn": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, options) -> str:
    base_dir = getattr(options, "base_dir", None)
    lines = [_annotation(f, finding_path(f, report, base_dir)) for f in report.findings]
    lines.append(f"auditor: {summary_line(report)}")
    return "\n".join(lines) + "\n"


def _annotation(f: Finding, path: str | None) -> str:
    props = []
    if path is not None:
        props.append(f"file={escape_property(path)}")
        if f.location is not None and f.location.line is not None:
            props.append(f"line={f.location.line}")
            if f.location.column is not None:
                props.append(f"col={f.location.column}")
    props.append(f"title={escape_property(f'{f.rule} ({f.severity.value})')}")
    message = f.message
    if f.operation is not None:
        message += f" [{f.operation}]"
    if f.hint:
        message += f"\nhint: {f.hint}"
    return f"::{COMMAND[f.severity.value]} {','.join(props)}::{escape_data(message)}"
