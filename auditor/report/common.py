"""Helpers the CI reporters share: paths relative to the repository, rule metadata and help
links from the registry, severity words, fingerprints made unique within one report."""

from __future__ import annotations

import os
import posixpath
from collections import Counter
from collections.abc import Iterable

from auditor.model import Finding, Report

# Where a rule's documentation lives: one heading per rule id in docs/rules.md. The anchor is
# GitHub's slug of the heading (lower case, characters other than letters, digits, '-' and '_'
# dropped), so `## contract/spec-valid` is `#contractspec-valid`.
RULES_DOC_URL = "https://github.com/auditor-dev/auditor/blob/main/docs/rules.md"
TOOL_URL = "https://github.com/auditor-dev/auditor"


def help_uri(rule_id: str) -> str:
    slug = "".join(c for c in rule_id.lower() if c.isalnum() or c in "-_")
    return f"{RULES_DOC_URL}#{slug}"


def display_path(file: str, base_dir: str | None) -> str:
    """``file`` relative to ``base_dir`` (forward slashes) when it lies inside it; URLs, stdin and
    files outside are kept as they are."""
    if "://" in file or file.startswith("<"):
        return file
    path = file.replace("\\", "/")
    if base_dir is None:
        return posixpath.normpath(path) if not os.path.isabs(file) else path
    absolute = os.path.abspath(file)
    base = os.path.abspath(base_dir)
    try:
        rel = os.path.relpath(absolute, base)
    except ValueError:  # another drive on Windows
        return path
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return path
    return rel.replace(os.sep, "/")


def finding_path(finding: Finding, report: Report, base_dir: str | None) -> str | None:
    """The file a finding is shown against: its location, else the only document audited."""
    if finding.location is not None:
        return display_path(finding.location.file, base_dir)
    if len(report.documents) == 1:
        return display_path(report.documents[0].path, base_dir)
    return None


def unique_fingerprints(findings: Iterable[Finding]) -> list[str]:
    """Each finding's fingerprint, with ``-2``, ``-3`` ... appended to repeats, in order, so that
    consumers that need unique ids (GitLab) get them while the first stays the plain one."""
    seen: Counter[str] = Counter()
    out = []
    for f in findings:
        seen[f.fingerprint] += 1
        n = seen[f.fingerprint]
        out.append(f.fingerprint if n == 1 else f"{f.fingerprint}-{n}")
    return out


def rule_meta(rule_id: str):
    """The registry's ``Rule`` for an id, or None for ids the registry does not know."""
    from auditor.rules import load_builtin_rules

    return load_builtin_rules().get(rule_id)


def doc_section(doc: str, name: str) -> str:
    """The text of one ``Name:`` section of a rule docstring (What it checks / Why it matters /
    Fix), joined to one paragraph; empty when absent."""
    lines = doc.splitlines()
    prefix = name.lower() + ":"
    for i, line in enumerate(lines):
        if line.strip().lower().startswith(prefix):
            parts = [line.strip()[len(prefix) :].strip()]
            for nxt in lines[i + 1 :]:
                if not nxt.strip():
                    break
                parts.append(nxt.strip())
            return " ".join(p for p in parts if p)
    return ""


def summary_line(report: Report) -> str:
    """`3 findings: 1 error, 2 warn, 0 info (4 baselined)` or `No findings (...)`."""
    s = report.summary()
    total = s["error"] + s["warn"] + s["info"]
    extra = [f"{s[k]} {k}" for k in ("suppressed", "baselined") if s[k]]
    tail = f" ({', '.join(extra)})" if extra else ""
    if not total:
        return f"No findings{tail}"
    return f"{total} finding{'s' if total != 1 else ''}: {s['error']} error, {s['warn']} warn, {s['info']} info{tail}"
