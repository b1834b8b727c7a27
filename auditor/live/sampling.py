"""The latency sampling pass: sequential requests to each safe GET operation, after a warm-up,
replaying a request that answers 2xx. It stops as soon as the p95 verdict is decided either way:
each sample is a coin that lands "over budget" with the operation's true over-budget share q, and
p95 <= budget exactly when q <= 5 %. After n samples with k over budget, the verdict is over when
k that large is unlikely (< 5 %) with q = 5 %, under when k that small is. With no sample over
budget that takes 59 samples (the default most is 60: with one sample over budget "under"
would take 93, so a borderline operation is judged on the p95 of its samples); a slow operation
is decided after ten (the fewest samples any verdict needs)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from auditor.live.context import LiveRun, label
from auditor.live.prober import Prober

SHARE = 0.05  # p95: the share of answers allowed over budget
CONFIDENCE = 0.05
FIRST_VERDICT = 10  # no verdict from fewer samples: a warm-up straggler is not a slow operation
SLOW_PATH = 0.15  # the share of requests a slow path must reach to keep an early "under" from being decided


@dataclass
class Samples:
    """One operation's sampling: successful samples (ms), how many were over budget, the verdict
    ("over", "under" or None when the samples ran out first) and why sampling did not run."""

    values: list[float]
    over: int = 0
    verdict: str | None = None
    skipped: str | None = None
    bound_ms: float | None = None  # the log-normal tolerance limit that decided "under" early


def decided(n: int, over: int) -> str | None:
    """ "over" / "under" once ``over`` of ``n`` samples over budget settles p95, else None."""
    if n < FIRST_VERDICT:
        return None
    if _tail_at_least(n, over) < CONFIDENCE:
        return "over"
    if _tail_at_most(n, over) < CONFIDENCE:
        return "under"
    return None


def settle(found: Samples, budget: float, early: int) -> None:
    """Set ``found.verdict`` from its samples: the binomial rule, or an early "under": after
    ``early`` samples, when the log-normal tolerance limit is within the budget and, if some
    samples were over it, they are too few for a slow path taken by 15 % of requests (a single
    straggler among 30 does not keep a fast operation sampling to the end)."""
    n, over = len(found.values), found.over
    found.verdict = decided(n, over)
    if found.verdict is None and n >= max(early, FIRST_VERDICT) and (over == 0 or _tail_at_most(n, over, SLOW_PATH) < CONFIDENCE):
        bound = tolerance_limit(found.values)
        if bound <= budget:
            found.verdict, found.bound_ms = "under", round(bound, 1)


def tolerance_limit(values: list[float]) -> float:
    """The one-sided 95 %/95 % upper tolerance limit of a log-normal fit (Natrella's
    approximation of the factor k; at least two values, all positive)."""
    logs = [math.log(max(v, 0.001)) for v in values]
    n = len(logs)
    mean = sum(logs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (n - 1))
    z = 1.6448536269514722  # the standard normal's 95th percentile (both the coverage and the confidence)
    a = 1 - z * z / (2 * (n - 1))
    b = z * z - z * z / n
    k = (z + math.sqrt(z * z - a * b)) / a
    return math.exp(mean + k * sd)


def sample(run: LiveRun, prober: Prober) -> dict[str, Samples]:
    """Sample every selected GET operation; the results by operation label. The 2xx answers the
    fuzzer already had are samples too (real answers to valid requests, one at a time): an
    operation they decide is not sent anything, and one they started needs fewer (and no
    warm-up: the service has served it)."""
    opts = run.options("reliability/latency-p95")
    budget, planned, warmup = float(opts["budget-ms"]), int(opts["samples"]), int(opts["warmup"])
    early = int(opts["min-samples"])
    seen: dict[str, list[float]] = {}
    for o in run.observed:
        if o.origin == "fuzz" and o.operation is not None and o.exchange.ok and o.exchange.elapsed_ms is not None:
            seen.setdefault(o.operation, []).append(o.exchange.elapsed_ms)
    results: dict[str, Samples] = {}
    for op in run.reachable:
        if op.method != "get" or planned <= 0:
            continue
        lbl = label(op)
        prior = seen.get(lbl, [])[:planned]
        found = results[lbl] = Samples(list(prior), sum(ms > budget for ms in prior))
        settle(found, budget, early)
        if found.verdict is not None:
            continue
        attempt = run.requests.first_success(prober, lbl) if run.requests is not None else None
        if attempt is None or attempt.built is None:
            found.skipped = attempt.why_not() if attempt is not None else "no valid request"
            continue
        for _ in range(warmup if len(prior) < warmup else 0):
            prober.send(attempt.built, lbl, origin="probe:warmup")
        for _ in range(planned - len(found.values)):
            ex = prober.send(attempt.built, lbl, origin="sample")
            if ex is None:
                if not prober.allowed(lbl):
                    found.skipped = "the time budget ended sampling"
                    break
                continue
            if not ex.ok or ex.elapsed_ms is None:
                continue
            found.values.append(ex.elapsed_ms)
            found.over += ex.elapsed_ms > budget
            settle(found, budget, early)
            if found.verdict is not None:
                break
    return results


def _tail_at_least(n: int, k: int) -> float:
    """P(X >= k) for X ~ Binomial(n, SHARE)."""
    return sum(_pmf(n, i, SHARE) for i in range(k, n + 1))


def _tail_at_most(n: int, k: int, share: float = SHARE) -> float:
    """P(X <= k) for X ~ Binomial(n, share)."""
    return sum(_pmf(n, i, share) for i in range(0, k + 1))


def _pmf(n: int, i: int, share: float) -> float:
    return math.comb(n, i) * share**i * (1 - share) ** (n - i)
