"""``audit()``: the library function behind ``auditor audit``: lint, then (with a base URL) the
fuzz run, the live checks and the sampling pass, joined into one ``Report`` (command ``audit``).

The live checks come from the registry (``@live_check``): probes in their order (the sampling pass
between the ordinary probes and the burst), then the checks over every answer, then the checks
over the whole run. All of it within one time budget (``--max-time``, default ten minutes): the
fuzzer gets most of it and runs every phase once, fairly shared by the operations; the probes
get the rest, with a cap per operation. What the budget cut short is said in the report.

``stats`` carries ``live`` (the fuzz figures plus the audit's), ``latency`` (per operation
p50/p95/p99/max in ms) and ``operations`` (per operation: static and live findings, requests,
5xx, rate-limit headers, p95).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from auditor import __version__
from auditor.exceptions import InputError
from auditor.live.context import LiveContext, LiveRun
from auditor.live.figures import latency_table, operations_table
from auditor.live.model import Issue, Observed
from auditor.live.progress import where_requests_went
from auditor.model import Finding, Report, Source
from auditor.rules.registry import Rule

LIVE_SETTINGS: dict[str, tuple[type, Any, str]] = {
    "read-only": (bool, False, "send only GET, HEAD and OPTIONS; mutating probes off"),
    "probe-rate-limit": (int, 0, "burst size of the rate-limit probe (0 = off)"),
    "probes": (bool, True, "provoke errors and send injection-style values"),
    "sampling": (bool, True, "run the latency sampling pass over safe operations"),
}
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
DEFAULT_BUDGET_S = 600.0  # a CI job can live with ten minutes; --max-time changes it
FUZZ_SHARE = 0.7  # of the budget; the probes and the sampling pass get the rest (and what the fuzzer left)
SAMPLING_ORDER = 80  # probes ordered below run before the sampling pass, the others (the burst) after it
PROBE_CAP_MIN_S = 5.0  # the smallest per-operation cap on probing


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
    info = api.document_info(document)
    if fuzz_options is None:
        stats: dict[str, Any] = {"live": None, "operations": operations_table(document, static, [], {})}
        stats["elapsed_s"] = round(time.monotonic() - started, 2)
        checked = api.checked_rules(config, lint_options.only_rules)
        return Report(
            command="audit", documents=(info,), findings=tuple(static), suppressed=tuple(suppressed), stats=stats, tool_version=__version__, checked=checked
        )

    from auditor.live.checks.idempotency import key_header_of
    from auditor.live.findings import fold_confirmations, issue_findings, merge_operations
    from auditor.live.prober import Prober
    from auditor.live.run import fuzz_session
    from auditor.live.select import select
    from auditor.live.valid_requests import ValidRequests

    read_only = bool(settings["read-only"])
    if read_only:
        fuzz_options = replace(fuzz_options, read_only=True, exclude=[*fuzz_options.exclude, *UNSAFE_METHODS])
    budget = float(fuzz_options.max_time or DEFAULT_BUDGET_S)
    deadline = started + budget
    fuzz_share = max(1.0, budget * FUZZ_SHARE - (time.monotonic() - started))
    fuzz_options = replace(fuzz_options, lint_options=lint_options, document=document, max_time=fuzz_share)
    registry = load_builtin_rules()
    run = LiveRun(document, config, registry, settings, select(document, fuzz_options.include, fuzz_options.exclude, fuzz_options.shard))

    def record(label: str, exchange: Any, mode: str | None) -> None:
        run.observed.append(Observed(label, exchange, "fuzz", mode))

    issues: list[tuple[Rule, Issue]] = []
    with fuzz_session(spec_path, fuzz_options, on_tick, on_exchange=record) as fuzzed:
        fuzz_report = fuzzed.report
        fuzz_answers = len(run.observed)
        run.requests = ValidRequests(run.observed, fuzzed.session.positive_requests if fuzzed.session else None, key_header_of(run))
        probes = _live_rules(run, "probe")
        if on_stage is not None:
            names = [r.id for r in probes] + (["sampling"] if settings["sampling"] else [])
            on_stage(f"live checks: {', '.join(names)}" + (" (read-only)" if read_only else ""))
        probe_started = time.monotonic()
        left = max(1.0, deadline - probe_started)
        prober = Prober(
            fuzz_options.base_url,
            fuzzed.headers,
            run.observed.append,
            read_only=read_only,
            timeout=fuzz_options.request_timeout,
            tls_verify=fuzz_options.tls_verify,
            deadline=deadline,
            per_operation_s=max(PROBE_CAP_MIN_S, 3 * left / max(1, len(run.selected))),
        )
        try:
            issues += _probes(run, prober, [r for r in probes if r.order < SAMPLING_ORDER])
            if settings["sampling"]:
                from auditor.live.sampling import sample

                prober.origin = "sample"
                run.samples = sample(run, prober)
            issues += _probes(run, prober, [r for r in probes if r.order >= SAMPLING_ORDER])
        finally:
            prober.close()
        probe_s = time.monotonic() - probe_started
        masker = fuzzed.masker
    answers, whole = _live_rules(run, "answer"), _live_rules(run, "run")
    for rule in answers:
        live = _context(run, rule)
        for o in run.observed:
            issues += [(rule, issue) for issue in _guarded(rule, live, o)]
    for rule in whole:
        issues += [(rule, issue) for issue in _guarded(rule, _context(run, rule), run.observed)]
    ran = [*probes, *answers, *whole]

    issues, static = fold_confirmations(issues, list(static), masker)
    live_all = merge_operations([*fuzz_report.findings, *issue_findings(issues, document, config, masker)])
    if lint_options.only_rules:  # --rule: only the named rules, live ones included
        live_all = [f for f in live_all if f.rule in lint_options.only_rules]
    findings = sorted((*static, *live_all), key=Finding.sort_key)

    notes = list(run.notes)
    if read_only:
        notes.insert(0, "read-only: only GET, HEAD and OPTIONS were sent; unsafe operations and the probes that mutate were skipped")
    if prober.errors:
        shown = "; ".join(dict.fromkeys(prober.errors[:20]))
        notes.append(f"probes: {len(prober.errors)} request(s) got no answer: {shown}" + ("; …" if len(prober.errors) > 20 else ""))
    sources = Counter(o.origin for o in run.observed[fuzz_answers:])
    latency = latency_table(run.observed, run.samples)
    live_stats = {
        **fuzz_report.stats,
        "read_only": read_only,
        "budget_s": budget,
        "fuzz_answers": fuzz_answers,
        "probe_requests": prober.sent,
        "probe_requests_by_check": {k.removeprefix("probe:"): v for k, v in sorted(sources.items()) if k != "sample"},
        "sampling_requests": sources.get("sample", 0),
        "probe_elapsed_s": round(probe_s, 2),
        "sampled_operations": sorted(run.samples),
        "budget_cut": _budget_cut(fuzz_report.stats, prober.cut),
        "notes": notes,
    }
    stats = {
        "live": live_stats,
        "latency": latency,
        "operations": operations_table(document, static, live_all, latency, run.observed),
        "latency_budget_ms": run.options("reliability/latency-p95")["budget-ms"],
        "elapsed_s": round(time.monotonic() - started, 2),
    }
    only = set(lint_options.only_rules or ())
    checked = api.checked_rules(config, lint_options.only_rules, ("lint", "fuzz")) + tuple(r.id for r in ran if not only or r.id in only)
    return Report(
        command="audit", documents=(info,), findings=tuple(findings), suppressed=tuple(suppressed), stats=stats, tool_version=__version__, checked=checked
    )


def _live_rules(run: LiveRun, hook: str) -> list[Rule]:
    """The enabled live checks of one hook, in their order (probes off under read-only when they
    mutate, or when their `live:` setting is off)."""
    rules = []
    for rule in run.registry:
        if rule.hook != hook or not run.config.setting(rule).enabled:
            continue
        if hook == "probe" and ((rule.mutates and run.read_only) or (rule.setting is not None and not run.settings[rule.setting])):
            continue
        rules.append(rule)
    return sorted(rules, key=lambda r: (r.order, r.id))


def _context(run: LiveRun, rule: Rule) -> LiveContext:
    return LiveContext(run, rule, dict(run.config.setting(rule).options))


def _probes(run: LiveRun, prober: Any, rules: list[Rule]) -> list[tuple[Rule, Issue]]:
    out = []
    for rule in rules:
        prober.origin = f"probe:{rule.id}"
        live = _context(run, rule)
        out += [(rule, issue) for issue in _guarded(rule, live, prober)]
    return out


def _guarded(rule: Rule, live: LiveContext, subject: Any) -> Iterator[Issue]:
    """``rule``'s check run on ``subject`` (an answer, all answers, or the prober); a check that
    crashes is an issue of its own (with what it found until then), so one bug never costs the
    rest of the report."""
    assert rule.check is not None
    try:
        yield from rule.check(live, subject)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a check bug must not end the run
        yield Issue(
            f"check {rule.id} stopped early: {type(exc).__name__}: {exc}"[:500],
            evidence={"internal_error": type(exc).__name__, "hint": "this is a bug in auditor; please report it"},
        )


def _budget_cut(fuzz_stats: dict[str, Any], cut: dict[tuple[str, str], str]) -> dict[str, Any]:
    """What the time budget cut short: fuzz scenarios (phase and operation) and probes."""
    probes = sorted(f"{origin.removeprefix('probe:')} {op}".strip() + f": {why}" for (origin, op), why in cut.items())
    return {"fuzz": list(fuzz_stats.get("cut_short") or []), "probes": probes}


def summary(report: Report) -> str:
    """The closing lines of `auditor audit` on stderr."""
    stats = report.stats or {}
    live = stats.get("live")
    n_lint = sum(1 for f in report.findings if f.source == Source.LINT)
    n_live = sum(1 for f in report.findings if f.source == Source.LIVE)
    lines = [f"audit: {n_lint} static and {n_live} live findings in {stats.get('elapsed_s', 0):.1f} s"]
    if not live:
        lines.append("audit: no --base-url: the live checks did not run")
        return "\n".join(lines) + "\n"
    lines.append(
        f"audit: fuzz tested {live.get('operations_tested', 0)}/{live.get('operations_total', 0)} operations with "
        f"{live.get('requests', 0)} requests in {live.get('elapsed_s', 0):.1f} s (seed {live.get('seed')}); "
        f"probes and sampling sent {live.get('probe_requests', 0)} requests in {live.get('probe_elapsed_s', 0):.1f} s"
        + ("; read-only" if live.get("read_only") else "")
    )
    lines += [f"audit: fuzz {line}" for line in where_requests_went(live, "stats.live")]
    cut = live.get("budget_cut") or {}
    shown = f"audit: time budget {live.get('budget_s', 0):g} s"
    if cut.get("fuzz") or cut.get("probes"):
        shown += f"; it cut short {len(cut.get('fuzz') or [])} fuzz scenario(s) and {len(cut.get('probes') or [])} probe(s) (stats.live.budget_cut)"
    lines.append(shown)
    return "\n".join(lines) + "\n"
