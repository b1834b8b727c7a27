"""``auditor merge``: one report from the JSON reports of a run split over CI jobs
(``fuzz``/``audit --shard I/N``), or of separate runs of one command.

The reports must be auditor JSON reports (``schema_version`` 1) written by one auditor version
for one command; sharded reports must be the whole set ``1/N`` ... ``N/N``, each once. Anything
else is an input error: a merged report that silently misses a shard would pass CI untested.

- documents: joined (each once);
- findings, suppressed, baselined: joined as multisets by fingerprint. A finding every shard
  reports (the lint part of ``audit``) is kept once, two identical findings of one report stay
  two. A ``baseline/stale-entry`` finding is dropped when another report's baseline entry did
  match (each shard sees only its own operations' live findings);
- stats: numbers are summed (requests, operations), wall times are the longest report's, values
  that differ and do not add up (seeds) are left out; each report's own stats are kept in
  ``stats.shards``.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.baseline_file import STALE_RULE
from auditor.exceptions import InputError, UsageError
from auditor.live.select import Shard
from auditor.model import SCHEMA_VERSION, DocumentInfo, Finding, Report

WALL_TIMES = ("elapsed_s", "probe_elapsed_s")  # shards run side by side: the longest one counts
KEPT_IF_EQUAL = ("seed",)  # numbers that do not add up
_HINT = "merge the JSON reports (-f json or -o json=FILE) of one auditor version and one command"


@dataclass(frozen=True)
class ReportFile:
    """One report to merge: where it was read from and its JSON object."""

    path: str
    data: dict[str, Any]


def merge_files(patterns: Iterable[str]) -> Report:
    """Read the reports (paths or glob patterns) and merge them."""
    return merge([read(path) for path in expand(patterns)])


def expand(patterns: Iterable[str]) -> list[str]:
    """Paths as given; a pattern with ``*``, ``?`` or ``[`` that names no file is expanded
    (``**`` crosses folders), and must match something."""
    paths: list[str] = []
    for pattern in patterns:
        if Path(pattern).exists() or not glob.has_magic(pattern):
            paths.append(pattern)
            continue
        found = sorted(glob.glob(pattern, recursive=True))
        if not found:
            raise UsageError(f"no report matches {pattern!r}", hint="check the pattern (are the shard jobs' reports downloaded?)")
        paths += found
    return list(dict.fromkeys(paths))


def read(path: str) -> ReportFile:
    """A JSON report from a file; InputError when it cannot be read or is not an auditor report."""
    try:
        data = json.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise InputError("report not found", where=path, hint=_HINT) from None
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc.strerror}", where=path, hint=_HINT) from None
    except ValueError:  # not JSON, not UTF-8
        raise InputError("not a JSON report", where=path, hint=_HINT) from None
    tool = data.get("tool") if isinstance(data, dict) else None
    if not isinstance(tool, dict) or tool.get("name") != "auditor" or "schema_version" not in data or not isinstance(data.get("command"), str):
        raise InputError("not an auditor JSON report (no `schema_version`, `tool` and `command`)", where=path, hint=_HINT)
    if data["schema_version"] != SCHEMA_VERSION:
        raise InputError(
            f"the report has schema_version {data['schema_version']!r}; this auditor merges schema_version {SCHEMA_VERSION}",
            where=path,
            hint="merge reports written by one auditor version, with that version",
        )
    return ReportFile(path, data)


def merge(reports: Sequence[ReportFile]) -> Report:
    """One report from ``reports`` (see the module docstring)."""
    if not reports:
        raise UsageError("no report to merge", hint="give the JSON reports: auditor merge shard-1.json shard-2.json ...")
    first = reports[0]
    for other in reports[1:]:
        _same(first, other, ("tool", "version"), "auditor version", "run every shard with the same auditor version")
        _same(first, other, ("command",), "command", "merge the reports of one command (fuzz with fuzz, audit with audit, ...)")
    _check_shards(reports)
    parsed = [_parse(s) for s in reports]
    baselined = _union(p.baselined for p in parsed)
    matched = {f.fingerprint for f in baselined}
    findings = [f for f in _union(p.findings for p in parsed) if not _stale_elsewhere(f, matched)]
    stats = join_stats([p.stats for p in parsed])
    if stats:
        stats["shards"] = [{"report": s.path, "stats": p.stats} for s, p in zip(reports, parsed)]
    return Report(
        command=first.data["command"],
        documents=tuple(dict.fromkeys(d for p in parsed for d in p.documents)),
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        suppressed=tuple(sorted(_union(p.suppressed for p in parsed), key=Finding.sort_key)),
        baselined=tuple(sorted(baselined, key=Finding.sort_key)),
        stats=stats,
        tool_version=first.data["tool"].get("version", ""),
    )


def _same(first: ReportFile, other: ReportFile, keys: tuple[str, ...], what: str, hint: str) -> None:
    def value(file: ReportFile) -> Any:
        node: Any = file.data
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        return node

    if value(first) != value(other):
        raise InputError(f"{what} {value(other)!r} differs from {value(first)!r} in {first.path}", where=other.path, hint=hint)


def shard_of(file: ReportFile) -> Shard | None:
    """The ``--shard`` a report was made with (``fuzz``: ``stats.shard``; ``audit``:
    ``stats.live.shard``), or None."""
    stats = file.data.get("stats")
    live = stats.get("live") if isinstance(stats, dict) else None
    spec = (stats.get("shard") if isinstance(stats, dict) else None) or (live.get("shard") if isinstance(live, dict) else None)
    if spec is None:
        return None
    try:
        return Shard.parse(str(spec))
    except UsageError:
        raise InputError(f"malformed report (shard {spec!r})", where=file.path, hint=_HINT) from None


def _check_shards(reports: Sequence[ReportFile]) -> None:
    shards = {file.path: shard_of(file) for file in reports}
    if not any(shards.values()):
        return
    hint = "merge the reports of every shard of one run: --shard 1/N ... --shard N/N"
    seen: dict[Shard, str] = {}
    for path, shard in shards.items():
        if shard is None:
            raise InputError("this report is not a shard, the others are", where=path, hint=hint)
        if shard in seen:
            raise InputError(f"shard {shard} is also {seen[shard]}", where=path, hint=hint)
        seen[shard] = path
    counts = sorted({shard.count for shard in seen})
    if len(counts) > 1:
        raise InputError(f"the reports come from runs split {' and '.join(map(str, counts))} ways", hint=hint)
    missing = [f"{i}/{counts[0]}" for i in range(1, counts[0] + 1) if Shard(i, counts[0]) not in seen]
    if missing:
        raise InputError(f"shard {', '.join(missing)} missing: the merged report would leave operations untested", hint=hint)


@dataclass(frozen=True)
class _Parsed:
    documents: tuple[DocumentInfo, ...]
    findings: list[Finding]
    suppressed: list[Finding]
    baselined: list[Finding]
    stats: dict[str, Any]


def _parse(file: ReportFile) -> _Parsed:
    data = file.data
    try:
        stats = data.get("stats") or {}
        if not isinstance(stats, dict):
            raise TypeError("stats")
        return _Parsed(
            documents=tuple(DocumentInfo.from_dict(d) for d in data.get("documents") or []),
            findings=[Finding.from_dict(f) for f in data.get("findings") or []],
            suppressed=[Finding.from_dict(f) for f in data.get("suppressed") or []],
            baselined=[Finding.from_dict(f) for f in data.get("baselined") or []],
            stats=stats,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"malformed report ({type(exc).__name__}: {exc})", where=file.path, hint=_HINT) from None


def _union(groups: Iterable[list[Finding]]) -> list[Finding]:
    """Multiset union by fingerprint: each fingerprint as often as the report that has it most."""
    kept: dict[str, list[Finding]] = {}
    for group in groups:
        mine: dict[str, list[Finding]] = {}
        for f in group:
            mine.setdefault(f.fingerprint, []).append(f)
        for fingerprint, found in mine.items():
            if len(found) > len(kept.get(fingerprint, ())):
                kept[fingerprint] = found
    return [f for found in kept.values() for f in found]


def _stale_elsewhere(finding: Finding, matched: set[str]) -> bool:
    return finding.rule == STALE_RULE and (finding.evidence or {}).get("fingerprint") in matched


def join_stats(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The stats of several reports as one: see the module docstring."""
    out: dict[str, Any] = {}
    for key in dict.fromkeys(k for part in parts for k in part):
        values = [part[key] for part in parts if part.get(key) is not None]
        if values:
            joined = _join(key, values)
            if joined is not None:
                out[key] = joined
    return out


def _join(key: str, values: list[Any]) -> Any:
    if key == "shard":  # the merged report is the whole run
        return None
    first = values[0]
    if all(isinstance(v, dict) for v in values):
        if key == "latency":  # percentiles do not add up: each operation's figures from the report that saw it most
            return {op: max((v[op] for v in values if op in v), key=lambda row: row.get("requests", 0)) for v in values for op in v}
        return join_stats(values)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        if key in KEPT_IF_EQUAL:
            return first if all(v == first for v in values) else None
        return max(values) if key in WALL_TIMES else round(sum(values), 2)
    if all(isinstance(v, list) for v in values):
        items = [item for v in values for item in v]
        if all(isinstance(item, dict) and "operation" in item for item in items):  # audit's per-operation table
            rows: dict[Any, list[dict[str, Any]]] = {}
            for item in items:
                rows.setdefault(item["operation"], []).append(item)
            return [{k: _max(row.get(k) for row in same) for k in dict.fromkeys(k for row in same for k in row)} for same in rows.values()]
        return [item for i, item in enumerate(items) if item not in items[:i]]
    if all(v == first for v in values):
        return first
    if all(isinstance(v, str) for v in values):
        return ", ".join(dict.fromkeys(values))
    return None


def _max(values: Iterable[Any]) -> Any:
    """An operation row's cell: static findings are the same in every shard, live findings and
    latency come from the one shard that tested the operation."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, float)) for v in present):
        return max(present)
    return present[0] if present else None
