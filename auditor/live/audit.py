"""``audit()``: the library function behind ``auditor audit``: lint, then (with a base URL) the
fuzz run, the probes and the live policy checks, joined into one ``Report`` (command ``audit``).

``stats`` carries ``live`` (the fuzz figures plus the probes'), ``latency`` (per operation
p50/p95/p99/max in ms) and ``operations`` (per operation: static findings, live findings, p95).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from auditor import __version__
from auditor.exceptions import InputError
from auditor.live.policy import SAFE, Issue, Observed, Policy, check_all, check_error_rate, check_latency, latency_table
from auditor.model import Finding, Report, Source

LIVE_SETTINGS: dict[str, tuple[type, Any, str]] = {
    "read-only": (bool, False, "send only GET, HEAD and OPTIONS; mutating probes off"),
    "probe-rate-limit": (int, 0, "burst size of the rate-limit probe (0 = off)"),
    "probes": (bool, True, "provoke errors and send injection-style values"),
    "sampling": (bool, True, "run the latency sampling pass over safe operations"),
}
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class AuditOptions:
    read_only: bool | None = None  # None: the `live:` setting (default off)
    probe_rate_limit: int | None = None


def live_settings(config_live: dict[str, Any], options: AuditOptions, where: str = "config") -> dict[str, Any]:
    """The ``live:`` section of the packs/config, checked, with command-line values on top."""
    unknown = set(config_live) - set(LIVE_SETTINGS)
    if unknown:
        raise InputError(f"unknown `live` setting(s) {', '.join(sorted(map(str, unknown)))}", where=where, hint=f"live settings: {', '.join(LIVE_SETTINGS)}")
    out: dict[str, Any] = {}
    for name, (kind, default, help_text) in LIVE_SETTINGS.items():
        value = config_live.get(name, default)
        negative = isinstance(value, int) and value < 0
        if not isinstance(value, kind) or (kind is int and (isinstance(value, bool) or negative)):
            raise InputError(f"`live.{name}` must be {'a non-negative integer' if kind is int else kind.__name__}", where=where, hint=help_text)
        out[name] = value
    if options.read_only is not None:
        out["read-only"] = options.read_only
    if options.probe_rate_limit is not None:
        out["probe-rate-limit"] = options.probe_rate_limit
    return out


def audit(
    spec_path: str,
    lint_options,
    fuzz_options=None,
    options: AuditOptions | None = None,
    on_tick: Callable | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Report:
    """Lint ``spec_path``; with ``fuzz_options`` (a base URL) also audit the running service.
    ``on_tick`` gets the fuzzer's progress, ``on_stage`` one line when the probes start."""
    from auditor import api
    from auditor.rules import load_builtin_rules

    started = time.monotonic()
    options = options or AuditOptions()
    config = api.load_effective_config(lint_options)
    settings = live_settings(config.live, options, where=", ".join(config.sources) or "config")
    document = api.load_document(spec_path, lint_options)  # once: stdin and URLs are read a single time
    static, suppressed = api.lint_document(document, config, lint_options.only_rules)
    lint_report = Report(
        command="audit", documents=(api.document_info(document),), findings=tuple(static), suppressed=tuple(suppressed), tool_version=__version__
    )
    if fuzz_options is None:
        stats: dict[str, Any] = {"live": None, "operations": operations_table(document, lint_report.findings, [], {})}
        return replace(lint_report, stats={**stats, "elapsed_s": round(time.monotonic() - started, 2)})

    from auditor.live.run import fuzz
    from auditor.live.secrets import parse_headers
    from auditor.live.select import select

    read_only = bool(settings["read-only"])
    if read_only:
        fuzz_options = replace(fuzz_options, read_only=True, exclude=[*fuzz_options.exclude, *UNSAFE_METHODS])
    fuzz_options = replace(fuzz_options, lint_options=lint_options, document=document)
    observed: list[Observed] = []
    fuzz_report = fuzz(spec_path, fuzz_options, on_tick, on_exchange=lambda label, exchange, mode: observed.append(Observed(label, exchange, "fuzz", mode)))
    fuzzed = len(observed)

    if on_stage is not None:
        on_stage(
            "probes: idempotency replay, health, provoked errors, injection, latency sampling"
            + (", burst" if settings["probe-rate-limit"] else "")
            + (" (read-only)" if read_only else "")
        )
    registry = load_builtin_rules()
    policy = Policy(document, config, registry)
    environ = fuzz_options.environ if fuzz_options.environ is not None else os.environ
    headers, masker = parse_headers(fuzz_options.headers, environ, fuzz_options.auth)
    issues, notes, sampled, sent, probe_s = _probe(policy, document, fuzz_options, settings, headers, observed, select)
    issues += check_all(observed, policy)
    issues += check_latency(observed, policy, sampled)
    issues += check_error_rate(observed, policy)
    live_findings = to_findings(issues, document, config, registry, masker)

    if read_only:
        notes.insert(
            0, "read-only: only GET, HEAD and OPTIONS were sent; unsafe operations, idempotency replay, malformed-body and body-injection probes were skipped"
        )
    latency = latency_table(observed)
    live_all = [*fuzz_report.findings, *live_findings]
    if lint_options.only_rules:  # --rule: only the named rules, live ones included
        live_all = [f for f in live_all if f.rule in lint_options.only_rules]
    findings = sorted((*lint_report.findings, *live_all), key=Finding.sort_key)
    live_stats = {
        **fuzz_report.stats,
        "read_only": read_only,
        "fuzz_answers": fuzzed,
        "probe_requests": sent,
        "probe_elapsed_s": round(probe_s, 2),
        "sampled_operations": sampled,
        "notes": notes,
    }
    stats = {
        "live": live_stats,
        "latency": latency,
        "operations": operations_table(document, lint_report.findings, live_all, latency),
        "elapsed_s": round(time.monotonic() - started, 2),
    }
    return Report(
        command="audit",
        documents=lint_report.documents,
        findings=tuple(findings),
        suppressed=lint_report.suppressed,
        stats=stats,
        tool_version=__version__,
    )


def _probe(policy: Policy, document, fuzz_options, settings, headers, observed: list[Observed], select):
    from auditor.live import probes

    selected = select(document, fuzz_options.include, fuzz_options.exclude, fuzz_options.shard)
    ops = probes.selected_operations(policy, selected)
    read_only = bool(settings["read-only"])
    prober = probes.Prober(
        fuzz_options.base_url.rstrip("/"), headers, policy, observed.append, read_only, fuzz_options.request_timeout, fuzz_options.tls_verify
    )
    issues: list[Issue] = []
    notes: list[str] = []
    started = time.monotonic()
    try:
        seen = list(observed)
        if not read_only:
            for op in ops:
                if op.method in ("post", "patch"):
                    issues += probes.replay(prober, op, notes)
        issues += probes.health(prober, notes)
        if settings["probes"]:
            issues += probes.provoke_errors(prober, ops)
            issues += probes.inject(prober, ops)
        sampled = probes.sample_latency(prober, [op for op in ops if op.method.upper() in SAFE], seen, notes) if settings["sampling"] else []
        if settings["probe-rate-limit"]:
            issues += probes.burst(prober, ops, list(observed), int(settings["probe-rate-limit"]), notes)
    finally:
        prober.close()
    if prober.errors:
        shown = "; ".join(dict.fromkeys(prober.errors[:20]))
        notes.append(f"probes: {len(prober.errors)} request(s) got no answer: {shown}" + ("; …" if len(prober.errors) > 20 else ""))
    return issues, notes, sampled, prober.sent, time.monotonic() - started


def to_findings(issues: list[Issue], document, config, registry, masker) -> list[Finding]:
    """Issues -> findings: the same issue on many answers (numbers aside) is one finding with a count."""
    from auditor.live.findings import curl_for, exchange_evidence, live_finding, merge_repeats, operation_index

    operations = operation_index(document)
    groups: dict[tuple, tuple[Issue, int]] = {}
    for issue in issues:
        key = (issue.rule, issue.operation, issue.evidence.get("group") or issue.message)
        first, count = groups.get(key, (issue, 0))
        groups[key] = (first, count + 1)
    out = []
    for issue, count in groups.values():
        rule = registry.get(issue.rule)
        if rule is None:
            continue
        evidence = {k: v for k, v in issue.evidence.items() if k != "group"}
        evidence = {"count": count, **evidence, **exchange_evidence(issue.exchange, masker)}
        if issue.exchange is not None:
            evidence["curl"] = curl_for(issue.exchange)
        finding = live_finding(rule, issue.message, issue.operation or "", evidence, operations, document, config, masker)
        if finding is None:
            continue
        if issue.severity is not None and issue.severity.rank < finding.severity.rank:
            finding = finding.with_severity(issue.severity)
        out.append(finding)
    return merge_repeats(out)


def operations_table(document, static, live, latency: dict) -> list[dict[str, Any]]:
    """Per operation: static findings (at the operation, or at a component it uses), live
    findings, and the p95 of every answer seen."""
    n_static, n_live = _per_operation(static), _per_operation(f for f in live if f.source == Source.LIVE)
    rows = []
    for op in document.operations():
        label = f"{op.method.upper()} {op.path}"
        row: dict[str, Any] = {"operation": label, "static": n_static.get(label, 0), "live": n_live.get(label, 0)}
        if label in latency:
            row["p95_ms"] = latency[label]["p95_ms"]
        rows.append(row)
    return rows


def _per_operation(findings) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        labels = {str(f.operation)} if f.operation is not None else set()
        labels |= set((f.evidence or {}).get("operations") or [])
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
    return counts


def summary(report: Report) -> str:
    """The closing lines of `auditor audit` on stderr."""
    stats = report.stats or {}
    live = stats.get("live")
    n_lint = sum(1 for f in report.findings if f.source == Source.LINT)
    n_live = sum(1 for f in report.findings if f.source == Source.LIVE)
    lines = [f"audit: {n_lint} static and {n_live} live findings in {stats.get('elapsed_s', 0):.1f} s"]
    if live:
        lines.append(
            f"audit: fuzz tested {live.get('operations_tested', 0)}/{live.get('operations_total', 0)} operations with "
            f"{live.get('requests', 0)} requests in {live.get('elapsed_s', 0):.1f} s (seed {live.get('seed')}); "
            f"probes and sampling sent {live.get('probe_requests', 0)} requests in {live.get('probe_elapsed_s', 0):.1f} s"
            + ("; read-only" if live.get("read_only") else "")
        )
    else:
        lines.append("audit: no --base-url: the live checks did not run")
    return "\n".join(lines) + "\n"
