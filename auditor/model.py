"""The one finding model shared by lint, live fuzzing and diff, and the report that carries it.

Everything here is a frozen dataclass: rules, live checks and reporters exchange these values
and never mutate them. ``Report.to_dict()`` is the documented JSON contract (schema_version 1).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

SCHEMA_VERSION = 1

# C0/C1 control characters other than tab and newline: text from documents and responses reaches
# terminals and CI logs, where an ESC sequence could rewrite what the reader sees.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN`` (tab and newline kept)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text) if _CONTROL.search(text) else text


class Severity(str, Enum):
    """How bad a finding is. Ordered: ``error`` > ``warn`` > ``info``."""

    ERROR = "error"
    WARN = "warn"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.lower())
        except ValueError:
            raise ValueError(f"unknown severity {value!r} (expected error, warn or info)") from None


_RANK = {Severity.ERROR: 3, Severity.WARN: 2, Severity.INFO: 1}


class Source(str, Enum):
    """Which stage produced a finding."""

    LINT = "lint"
    LIVE = "live"
    DIFF = "diff"


@dataclass(frozen=True, order=True)
class Operation:
    """An API operation: upper-case HTTP method and the path template as written in the spec."""

    method: str
    path: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", clean_text(self.path))

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Location:
    """Where a finding points: the file that holds the node, an RFC 6901 pointer into that file,
    and the 1-based line and column of the node (None when the file has no text, e.g. stdin
    that could not be parsed)."""

    file: str
    pointer: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}#{self.pointer}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Finding:
    """One problem. ``fingerprint`` identifies it across edits (no line numbers in it)."""

    rule: str
    severity: Severity
    message: str
    hint: str
    source: Source = Source.LINT
    operation: Operation | None = None
    location: Location | None = None
    evidence: dict[str, Any] | None = None
    fingerprint: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", clean_text(self.message))
        object.__setattr__(self, "hint", clean_text(self.hint))
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", compute_fingerprint(self))

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)

    def sort_key(self) -> tuple:
        loc = self.location
        return (
            loc.file if loc else "",
            (loc.line or 0) if loc else 0,
            (loc.column or 0) if loc else 0,
            -self.severity.rank,
            self.rule,
            self.message,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
            "source": self.source.value,
            "operation": None if self.operation is None else {"method": self.operation.method, "path": self.operation.path},
            "location": None
            if self.location is None
            else {
                "file": self.location.file,
                "pointer": self.location.pointer,
                "line": self.location.line,
                "column": self.location.column,
            },
            "evidence": self.evidence,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """A finding read back from a JSON report (``to_dict``'s inverse; the fingerprint kept)."""
        op, loc = data.get("operation"), data.get("location")
        return cls(
            rule=data["rule"],
            severity=Severity(data["severity"]),
            message=data["message"],
            hint=data.get("hint") or "",
            source=Source(data.get("source") or "lint"),
            operation=Operation(op["method"], op["path"]) if op else None,
            location=Location(loc["file"], loc["pointer"], loc.get("line"), loc.get("column")) if loc else None,
            evidence=data.get("evidence"),
            fingerprint=data.get("fingerprint") or "",
        )


def compute_fingerprint(finding: Finding) -> str:
    """Stable identity of a finding: rule, file name, JSON pointer, operation and the message's
    first line. Line numbers are left out on purpose, so moving text does not change it (nor, for
    a diff, the git revision a document was read at). A static finding with a location is
    identified by its node alone: which operations use a shared node changes when paths are
    added elsewhere, and must not make it a new finding."""
    loc = finding.location
    by_node = loc is not None and finding.source is Source.LINT
    name = _basename(loc.file) if loc else ""
    if finding.source is Source.DIFF:
        name = name.rpartition(":")[2]  # `REF:path` read from git: the ref moves, the file does not
    parts = [
        finding.rule,
        finding.source.value,
        name,
        loc.pointer if loc else "",
        "" if by_node else str(finding.operation or ""),
        finding.message.splitlines()[0] if finding.message else "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class DocumentInfo:
    """A document that was audited."""

    path: str
    title: str | None = None
    api_version: str | None = None
    oas_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "title": self.title,
            "api_version": self.api_version,
            "oas_version": self.oas_version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentInfo:
        return cls(data["path"], data.get("title"), data.get("api_version"), data.get("oas_version"))


@dataclass(frozen=True)
class DocumentError:
    """A document that could not be read, in a run over several: the others are still linted,
    and the run exits 2."""

    path: str
    message: str
    hint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "hint": self.hint}


@dataclass(frozen=True)
class Report:
    """What a command found. ``findings`` are the visible ones; suppressed and baselined findings
    are counted (and kept) separately so nothing is silently dropped. ``checked`` holds the ids
    of the rules that ran (a rule without findings passed; a rule not listed was not tried)."""

    command: str
    documents: tuple[DocumentInfo, ...] = ()
    findings: tuple[Finding, ...] = ()
    suppressed: tuple[Finding, ...] = ()
    baselined: tuple[Finding, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)
    tool_version: str = ""
    checked: tuple[str, ...] = ()
    errors: tuple[DocumentError, ...] = ()

    def summary(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for f in self.findings:
            counts[f.severity.value] += 1
        counts["suppressed"] = len(self.suppressed)
        counts["baselined"] = len(self.baselined)
        return counts

    def exit_code(self, fail_on: str) -> int:
        """2 when a document could not be read; else 1 when a visible finding is at or above
        ``fail_on`` (error, warn, info), else 0; ``never`` is always 0."""
        if self.errors:
            return 2
        if fail_on == "never":
            return 0
        threshold = Severity.parse(fail_on).rank
        return 1 if any(f.severity.rank >= threshold for f in self.findings) else 0

    def to_dict(self, *, findings_as_objects: bool = False) -> dict[str, Any]:
        """The JSON contract. ``findings_as_objects`` leaves the findings as ``Finding`` values
        (their fields are laid out as ``Finding.to_dict`` lays them out), for an encoder that
        serialises dataclasses itself."""

        def findings(values: tuple[Finding, ...]) -> list[Any]:
            return list(values) if findings_as_objects else [f.to_dict() for f in values]

        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "auditor", "version": self.tool_version},
            "command": self.command,
            "documents": [d.to_dict() for d in self.documents],
            "summary": self.summary(),
            "findings": findings(self.findings),
            "suppressed": findings(self.suppressed),
            "checked": list(self.checked),
            "baselined": findings(self.baselined),
        }
        if self.stats:
            out["stats"] = self.stats
        if self.errors:
            out["errors"] = [e.to_dict() for e in self.errors]
        return out
