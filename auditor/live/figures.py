"""The figures of a live run for the report's tables: latency per operation, and per operation the
static and live findings, requests, 5xx answers and rate-limit headers seen."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from auditor.document.document import Document
from auditor.live.checks.budgets import op_sort, percentile
from auditor.live.headers import has_ratelimit_family, lower
from auditor.live.model import Observed
from auditor.model import Finding, Source


def latency_table(observed: Iterable[Observed], samples: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Per operation: answers, p50/p95/p99/max over every answer (ms), and the samples the p95
    verdict was made on (the sampling pass's, with the fuzzer's 2xx answers it counted) with their
    p95, and the tolerance limit that decided "under" early when one did."""
    every: dict[str, list[float]] = defaultdict(list)
    samples = samples or {}
    sampled: dict[str, list[float]] = {label: list(s.values) for label, s in samples.items()}
    for o in observed:
        ms = o.exchange.elapsed_ms
        if o.operation is None or ms is None:
            continue
        every[o.operation].append(ms)
    table = {}
    for label in sorted(every, key=op_sort):
        values = every[label]
        row: dict[str, Any] = {
            "requests": len(values),
            "p50_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(max(values), 1),
            "samples": len(sampled.get(label, [])),
        }
        if sampled.get(label):
            row["sampled_p95_ms"] = round(percentile(sampled[label], 95), 1)
        if label in samples and samples[label].bound_ms is not None:
            row["under_bound_ms"] = samples[label].bound_ms
        table[label] = row
    return table


def operations_table(
    document: Document, static: Iterable[Finding], live: Iterable[Finding], latency: dict, observed: Iterable[Observed] = ()
) -> list[dict[str, Any]]:
    """Per operation: static findings (at the operation, or at a component it uses), live
    findings, and when the service was audited: answers seen, 5xx among them, whether 2xx
    answers carried rate-limit headers, and the p95 of every answer."""
    n_static, n_live = _per_operation(static), _per_operation(f for f in live if f.source == Source.LIVE)
    answers: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # answers, 5xx, 2xx, 2xx with rate-limit headers
    for o in observed:
        if o.operation is None:
            continue
        counts = answers[o.operation]
        status = o.exchange.status or 0
        counts[0] += 1
        counts[1] += status >= 500
        if o.exchange.ok:
            counts[2] += 1
            counts[3] += has_ratelimit_family(lower(o.exchange.response_headers))
    rows = []
    for op in document.operations():
        label = f"{op.method.upper()} {op.path}"
        row: dict[str, Any] = {"operation": label, "static": n_static.get(label, 0), "live": n_live.get(label, 0)}
        if label in answers:
            seen, errors, ok, limited = answers[label]
            row.update(requests=seen, errors_5xx=errors, ratelimit_headers=(limited == ok) if ok else None)
        if label in latency:
            row["p95_ms"] = latency[label]["p95_ms"]
        rows.append(row)
    return rows


def _per_operation(findings: Iterable[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        labels = {str(f.operation)} if f.operation is not None else set()
        labels |= set((f.evidence or {}).get("operations") or [])
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
    return counts
