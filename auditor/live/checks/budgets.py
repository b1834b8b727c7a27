"""reliability/ budgets on the running service: p95 latency per operation and the share of 5xx
answers to valid requests. Judged once, over every answer of the run."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from auditor.live.context import LiveContext
from auditor.live.model import Issue, Observed, untested
from auditor.model import Severity
from auditor.rules.registry import Option, live_check


@live_check(
    "reliability/latency-p95",
    severity="error",
    summary="The 95th percentile latency of each operation is within the budget",
    hint="profile the operation; the latency table shows p50/p95/p99/max per operation",
    on="run",
    options=[
        Option("budget-ms", float, 200.0, "p95 budget in milliseconds"),
        Option("samples", int, 60, "most sequential samples per safe operation in the sampling pass (59 decide a fast one)"),
        Option("warmup", int, 5, "warm-up requests per operation before sampling (not counted)"),
        Option("min-samples", int, 20, "fewest successful answers that judge an operation without a sampling verdict"),
    ],
)
def latency_p95(live: LiveContext, answers: list[Observed]) -> Iterator[Issue]:
    """
    What it checks: per operation, p50/p95/p99/max (nearest rank) over every response seen, and
    a sampling pass of sequential requests to safe operations (GET), after a warm-up; the 2xx
    answers the fuzzer already had count as samples. Sampling stops as soon as the verdict is
    decided either way (after n samples with k over budget, a k
    that large, or that small, would be unlikely if exactly 5 % of answers were over budget):
    a slow operation is decided after 10 samples, a fast one after 59 at most `samples`. One far
    under budget is decided after `min-samples` when none of them is over budget (after 30 when
    one is, 40 when two are) and the 95 %/95 % upper tolerance limit of a log-normal fit (with
    95 % confidence, 95 % of answers stay under it) is within the budget; that assumes a single
    tail (a slow path taken by 15 % of requests still shows in 20 samples with 96 % probability,
    and more than once in 30 with 95 %). An operation decided over budget is a
    finding. Without a sampling verdict, the p95 of the
    samples (or, for operations that are not sampled, of every 2xx answer) is judged
    against `budget-ms` when there are at least `min-samples`; with fewer, the operation is
    reported as not tested (info).

    Why it matters: the guideline's budget is p95 < 200 ms; slow tails exhaust client timeouts
    and connection pools. Measured from the auditor's host, so network time is included.

    Bad: GET /v1/items p95 = 260 ms.

    Good: p95 = 12 ms.

    Fix: look at the operation's slow path (queries, N+1, missing index, cold caches).
    """
    budget, minimum = float(live.options["budget-ms"]), int(live.options["min-samples"])
    sampled = live.run.samples
    values: dict[str, list[float]] = defaultdict(list)
    slowest: dict[str, Observed] = {}
    for o in answers:
        if o.operation is None or o.exchange.elapsed_ms is None or not o.exchange.ok or o.origin not in ("fuzz", "sample"):
            continue
        if o.operation not in sampled:
            values[o.operation].append(o.exchange.elapsed_ms)
        if o.operation not in slowest or o.exchange.elapsed_ms > (slowest[o.operation].exchange.elapsed_ms or 0):
            slowest[o.operation] = o
    for lbl, taken in sampled.items():
        values[lbl] = taken.values
    for lbl in sorted(set(values) | set(sampled), key=op_sort):
        found = values.get(lbl, [])
        samples = sampled.get(lbl)
        what = "sampled" if samples is not None else "2xx"
        verdict = samples.verdict if samples is not None else None
        if verdict == "under":
            continue
        if verdict is None and len(found) < minimum:
            if samples is not None:
                why = samples.skipped or f"sampling ended with {len(found)} successful answers, fewer than {minimum}"
                yield untested(lbl, f"p95 not judged: {why}", samples=len(found))
            continue
        p95 = percentile(found, 95)
        if verdict == "over" or p95 > budget:
            yield Issue(
                f"p95 {p95:.0f} ms over the {budget:g} ms budget ({len(found)} {what} answers, max {max(found):.0f} ms)",
                lbl,
                slowest[lbl].exchange,
                {"samples": len(found), "p95_ms": round(p95, 1), "budget_ms": budget, "decided": verdict is not None},
                group="over budget",
            )


@live_check(
    "reliability/error-rate",
    severity="error",
    summary="5xx answers to valid requests stay under the error budget",
    hint="fix the failing requests listed in the evidence; the rate is over valid requests only",
    on="run",
    options=[Option("budget-percent", float, 0.1, "largest acceptable share of 5xx among valid requests, in percent")],
)
def error_rate(live: LiveContext, answers: list[Observed]) -> Iterator[Issue]:
    """
    What it checks: per operation, the share of 5xx answers among valid requests (requests the
    fuzzer generated to follow the contract, and the sampling pass; negative tests, probes and
    bursts are left out). Above the budget is a finding. Zero errors can only be claimed below
    the budget with enough requests: by the rule of three the 95 % upper bound is 3/n, so 0.1 %
    needs n >= 3000; below that the report says the sample is too small (info).

    Why it matters: the guideline's budget is < 0.1 % 5xx; a service failing 2 % of valid reads
    breaks every client that does not retry.

    Bad: 3 of 120 valid GET /v1/items/{itemId} answered 503.

    Good: 0 of 3000.

    Fix: the evidence shows a failing request; reproduce it and read the server logs.
    """
    budget = float(live.options["budget-percent"])
    needed = math.ceil(3 / (budget / 100)) if budget > 0 else None  # rule of three
    total, failed = 0, 0
    for lbl, (n, errors, example) in sorted(error_rates(answers).items(), key=lambda kv: op_sort(kv[0])):
        total, failed = total + n, failed + errors
        rate = 100 * errors / n if n else 0.0
        if errors and rate > budget:
            yield Issue(
                f"{errors} of {n} valid requests answered 5xx ({rate:.2f} %, budget {budget:g} %)",
                lbl,
                example.exchange if example else None,
                {"requests": n, "errors": errors, "rate_percent": round(rate, 3)},
                group="over budget",
            )
    if total and failed == 0 and needed and total < needed:
        yield Issue(
            f"no 5xx in {total} valid requests, but at least {needed} are needed to show a rate under {budget:g} % "
            f"(rule of three: the 95 % upper bound is {300 / total:.2f} %)",
            None,
            None,
            {"requests": total, "errors": 0, "needed": needed},
            Severity.INFO,
        )


# --- figures shared with the report's tables ----------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def error_rates(answers: list[Observed]) -> dict[str, tuple[int, int, Observed | None]]:
    """Per operation: (valid requests, 5xx among them, one failing answer)."""
    out: dict[str, list[Any]] = {}
    for o in answers:
        if o.operation is None or not o.valid:
            continue
        row = out.setdefault(o.operation, [0, 0, None])
        row[0] += 1
        if (o.exchange.status or 0) >= 500:
            row[1] += 1
            row[2] = row[2] or o
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def op_sort(label: str) -> tuple[str, str]:
    method, _, path = label.partition(" ")
    return path, method
