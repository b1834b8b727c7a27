"""Baselines: adopt auditor on a spec with existing problems without turning CI red forever.

``auditor baseline SPEC -o auditor-baseline.json`` records the current findings (``build``);
``--baseline FILE`` on a later run hides the findings it records (``apply``): they move to
``Report.baselined`` and are counted as ``baselined`` in the summary, so only new findings fail.
Entries that no longer match a finding come back as ``baseline/stale-entry`` findings (info),
located at the entry in the baseline file, so the baseline can be pruned.

Matching is by ``Finding.fingerprint`` (rule, source, file name, JSON pointer, operation, first
message line; no line numbers), as a multiset: an entry hides one finding, so two identical
findings need two entries. That survives lines moving, paths added elsewhere and keys being
reordered. The other fields of an entry are for people reading the file.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditor.exceptions import InputError
from auditor.model import Finding, Location, Report, Severity, Source
from auditor.report.common import display_path

BASELINE_VERSION = 1
STALE_RULE = "baseline/stale-entry"  # documented in auditor/rules/baseline.py


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    rule: str
    pointer: str  # RFC 6901 pointer inside the baseline file, for stale-entry locations
    what: str = ""  # "rule at file#pointer: message", from the human-readable fields


@dataclass(frozen=True)
class Baseline:
    path: str
    entries: tuple[Entry, ...]
    locator: Any = None  # pointer -> (line, column) in the baseline file


def build(report: Report, base_dir: str | None = None) -> str:
    """The baseline file for a report's visible findings (stable order, one entry per finding)."""
    entries = []
    for f in sorted(report.findings, key=lambda f: (f.rule, _file(f, base_dir), _pointer(f), f.message, f.fingerprint)):
        entries.append(
            {
                "fingerprint": f.fingerprint,
                "rule": f.rule,
                "file": _file(f, base_dir),
                "pointer": _pointer(f),
                "operation": str(f.operation) if f.operation else None,
                "message": f.message.splitlines()[0] if f.message else "",
            }
        )
    doc = {
        "auditor_baseline": BASELINE_VERSION,
        "tool": {"name": "auditor", "version": report.tool_version},
        "documents": [display_path(d.path, base_dir) for d in report.documents],
        "entries": entries,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def load(path: str) -> Baseline:
    """Read a baseline file; InputError (exit 2) when it is missing or not a baseline."""
    from auditor.document.parse import parse

    hint = "create it with `auditor baseline SPEC -o FILE`"
    file = Path(path)
    if not file.is_file():
        raise InputError("baseline file not found", where=path, hint=hint)
    try:
        parsed = parse(file.read_bytes(), path)
    except InputError as exc:
        raise InputError(f"cannot read the baseline: {exc.message}", where=path, hint=hint) from None
    data = parsed.data
    if not isinstance(data, dict) or data.get("auditor_baseline") != BASELINE_VERSION or not isinstance(data.get("entries"), list):
        raise InputError(
            f"not an auditor baseline (expected `auditor_baseline: {BASELINE_VERSION}` and an `entries` list)",
            where=path,
            hint=hint,
        )
    entries = []
    for i, item in enumerate(data["entries"]):
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
            raise InputError(f"baseline entry {i} has no `fingerprint` string", where=path, hint=hint)
        rule = str(item.get("rule") or "a finding")
        what = f"{rule} at {item.get('file') or '?'}#{item.get('pointer') or ''}"
        if item.get("message"):
            what += f": {item['message']}"
        entries.append(Entry(item["fingerprint"], rule, f"/entries/{i}", what))
    return Baseline(path, tuple(entries), parsed.locator)


def apply(report: Report, baseline: Baseline, only_rules: list[str] | None = None) -> Report:
    """Move the findings the baseline records to ``baselined``; add a stale-entry finding per
    entry that matched nothing. With ``only_rules`` (a run limited to some rules), entries of
    other rules are neither matched nor reported stale."""
    wanted = set(only_rules) if only_rules else None
    remaining: Counter[str] = Counter(e.fingerprint for e in baseline.entries if wanted is None or e.rule in wanted)
    visible: list[Finding] = []
    hidden: list[Finding] = list(report.baselined)
    for f in report.findings:
        if remaining[f.fingerprint] > 0:
            remaining[f.fingerprint] -= 1
            hidden.append(f)
        else:
            visible.append(f)
    stale = []
    for e in baseline.entries:
        if remaining[e.fingerprint] > 0:
            remaining[e.fingerprint] -= 1
            stale.append(_stale(baseline, e))
    return replace(report, findings=tuple(visible + stale), baselined=tuple(hidden))


def apply_file(report: Report, path: str | None, only_rules: list[str] | None = None) -> Report:
    """``--baseline FILE`` for any command: the report unchanged when no file is given."""
    if path is None:
        return report
    return apply(report, load(path), only_rules)


def _stale(baseline: Baseline, e: Entry) -> Finding:
    from auditor.rules import load_builtin_rules

    rule = load_builtin_rules().get(STALE_RULE)
    pos = baseline.locator.locate(e.pointer) if baseline.locator is not None else None
    return Finding(
        rule=STALE_RULE,
        severity=rule.severity if rule else Severity.INFO,
        message=f"baseline entry matches no finding any more: {e.what or e.fingerprint}",
        hint=rule.hint if rule else "",
        source=Source.LINT,
        location=Location(baseline.path, e.pointer, pos[0] if pos else None, pos[1] if pos else None),
        evidence={"fingerprint": e.fingerprint},
    )


def _file(f: Finding, base_dir: str | None) -> str:
    return display_path(f.location.file, base_dir) if f.location else ""


def _pointer(f: Finding) -> str:
    return f.location.pointer if f.location else ""
