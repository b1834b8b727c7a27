"""health/ on the running service: liveness and readiness endpoints answer, fast, and do not
contradict themselves."""

from __future__ import annotations

import json
from collections.abc import Iterator

from auditor.live.context import LiveContext, label
from auditor.live.model import Exchange, Issue
from auditor.live.prober import Built, Prober
from auditor.model import Severity
from auditor.rules.registry import Option, live_check

# a 2xx whose body says one of these contradicts itself (draft-inadarei-api-health-check "fail",
# Spring Boot "DOWN", and the usual words); anything else ("ok", "up", "ready", "pass") is fine
FAILING = {"fail", "failed", "failing", "failure", "down", "error", "unhealthy", "critical", "ko", "red", "unavailable", "not ready", "not_ready", "notready"}


@live_check(
    "health/live-probe",
    severity="error",
    summary="Liveness and readiness endpoints answer 2xx within a second",
    hint="serve a cheap liveness (e.g. /healthz) and readiness (e.g. /readyz) endpoint",
    on="probe",
    order=20,
    options=[
        Option("timeout-ms", float, 1000.0, "slowest acceptable probe answer, in milliseconds"),
        Option(
            "paths",
            list,
            ["/healthz", "/health", "/livez", "/readyz", "/ready", "/actuator/health"],
            "conventional paths tried when the document declares none",
        ),
    ],
)
def live_probe(live: LiveContext, prober: Prober) -> Iterator[Issue]:
    """
    What it checks: the documented liveness and readiness endpoints (the paths the health/ rules
    recognise), or else the conventional paths (option `paths`, under the base URL), answer 2xx
    within `timeout-ms`. A 2xx whose body reports failure (`{"status": "fail"}`, `"DOWN"`,
    `"unhealthy"`, ...) contradicts itself; any other body (`ok`, `up`, `ready`, `pass`) is fine.
    A readiness 503 means "not ready" and is reported as info; a 401 as info (protected probe).
    No liveness endpoint answering at all is a finding.

    Why it matters: orchestrators restart or route by these endpoints; a slow or failing probe
    takes healthy instances out of service.

    Bad: GET /healthz takes 1.8 s, answers 500, or answers `200 {"status": "fail"}`.

    Good: `200 {"status": "ok"}` in 2 ms.

    Fix: keep probes cheap (no downstream calls in liveness).
    """
    limit = float(live.options["timeout-ms"])
    wait = max(2 * limit / 1000, 2.0)
    documented: dict[str, list[str]] = {"liveness": [], "readiness": []}
    for op in live.run.operations.values():
        kind = live.run.health_kind(op)
        if kind is not None and op.method == "get" and "{" not in op.path:
            documented[kind].append(op.path)
    for kind, paths in documented.items():
        if paths:
            for path in paths:
                lbl = label(live.run.operations[f"GET {path}"])
                ex = prober.send(Built("GET", path), lbl, timeout=wait)
                yield from _judge(ex, lbl, kind, limit, prober.errors[-1] if ex is None and prober.errors else None)
            continue
        tried = [p for p in live.options["paths"] if (kind == "readiness") == ("read" in p)]
        answered = None
        for path in tried:
            ex = prober.send(Built("GET", path), None, timeout=wait)
            if ex is not None and ex.ok:
                answered = (path, ex)
                break
        if answered is None:
            yield Issue(
                f"no {kind} endpoint is documented and none of {', '.join(tried)} answered 2xx",
                None,
                severity=None if kind == "liveness" else Severity.WARN,
            )
        else:
            live.run.notes.append(f"{kind}: undocumented {answered[0]} answered {answered[1].status}")
            yield from _judge(answered[1], None, kind, limit)


def _judge(ex: Exchange | None, lbl: str | None, kind: str, limit_ms: float, why: str | None = None) -> Iterator[Issue]:
    if ex is None:
        yield Issue(f"the {kind} probe did not answer" + (f" ({why.partition(': ')[2]})" if why else ""), lbl)
        return
    status = ex.status or 0
    if kind == "readiness" and status == 503:
        yield Issue("the readiness probe answered 503: the service says it is not ready", lbl, ex, severity=Severity.INFO)
    elif status == 401:
        yield Issue(f"the {kind} probe requires credentials (401)", lbl, ex, severity=Severity.INFO)
    elif not 200 <= status < 300:
        yield Issue(f"the {kind} probe answered {status}, not 2xx", lbl, ex)
    elif ex.elapsed_ms is not None and ex.elapsed_ms > limit_ms:
        yield Issue(f"the {kind} probe took {ex.elapsed_ms:.0f} ms (limit {limit_ms:g} ms)", lbl, ex)
    else:
        said = _status_word(ex.response_body)
        if said is not None and said.strip().lower() in FAILING:
            yield Issue(f"the {kind} probe answered {status} but its body says status {said!r}", lbl, ex)


def _status_word(body: str | None) -> str | None:
    try:
        data = json.loads(body or "")
    except ValueError:
        return None
    said = data.get("status") if isinstance(data, dict) else None
    return said if isinstance(said, str) else None
