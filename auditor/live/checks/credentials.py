"""contract/ on the running service: the run's own credentials still work when the probes start.
A fuzzer that deletes the user it signs in as, revokes its token or drops its role gets 401 or
403 for everything after; the probes and the sampling pass would only be refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from auditor.live.context import LiveContext, LiveRun
from auditor.live.model import SAFE_METHODS, Exchange, Issue, Observed
from auditor.live.prober import Prober, replay_of
from auditor.rules.registry import live_check

DENIED = (401, 403)
WITNESSES = 3  # earlier successes sent again; all of them refused now means the credentials are gone


@live_check(
    "contract/live-credentials",
    severity="error",
    summary="The run's credentials still work after the fuzzer has run",
    hint="exclude the operation that removed the credential (--exclude 'METHOD /path'), or audit with a credential the run cannot delete",
    on="probe",
    order=0,
)
def live_credentials(live: LiveContext, prober: Prober) -> Iterator[Issue]:
    """
    What it checks: before any probe, up to three requests that answered 2xx during the fuzz run
    (safe requests of operations that answer 401 or 403 without valid credentials, collections
    first) are sent again. When every one of them is refused with 401 or 403 now, the run has lost
    its credentials: the finding names the request that most likely did it (the last unsafe
    request answered 2xx before the refusals began) and counts the refused answers. The probes
    and the sampling pass then leave out every operation that has not answered 2xx since (they
    could only be refused); public operations, which still answer, are still probed.

    Why it matters: an audit that locked itself out tests nothing after that point, and every
    later finding is about a 401. Airflow's API lets the fuzzer delete the admin user it signs in
    as (`DELETE /users/admin` answers 204); the Schemathesis CLI then gets 401 for a third of its
    requests without saying why.

    Bad: `DELETE /users/admin` answers 204, then every request answers 401.

    Good: the credential survives the run (a user made for the audit, or the operation excluded).

    Fix: exclude the operation that removed the credential, or audit with a credential the
    API cannot delete or change.
    """
    lost = lockout(live.run, prober)
    if lost is None:
        return
    live.run.denied = lost.left_out
    cause = lost.cause.exchange if lost.cause is not None else None
    how = f"after {cause.method} {_path(cause.url)} answered {cause.status}, " if cause is not None else ""
    again = ", ".join(w.operation or "" for w, _ in lost.replayed)
    yield Issue(
        f"the run's credentials stopped working: {how}the service refused {lost.refused} fuzz requests with 401/403, and "
        f"requests that had answered 2xx ({again}) answer {', '.join(str(now.status) for _, now in lost.replayed)} now. "
        f"The probes and the sampling pass left out the {len(lost.left_out)} operation(s) that have not answered 2xx since"
        + (f"; to audit them, --exclude '{lost.cause.operation}' or use a credential the run cannot remove" if lost.cause is not None else ""),
        lost.cause.operation if lost.cause is not None else None,
        cause,
        {
            "refused_answers": lost.refused,
            "replayed": [{"request": f"{w.exchange.method} {w.exchange.url}", "before": w.exchange.status, "now": now.status} for w, now in lost.replayed],
            "operations_left_out": sorted(lost.left_out),
        },
    )


@dataclass
class Lockout:
    """The run lost its credentials: the likely ``cause`` (None when no unsafe request succeeded
    just before), how many fuzz answers were ``refused`` since, the earlier successes sent again
    with their answers now, and the operations the probes leave out."""

    cause: Observed | None
    refused: int
    replayed: list[tuple[Observed, Exchange]]  # (the earlier success, its answer now)
    left_out: frozenset[str]


def lockout(run: LiveRun, prober: Prober) -> Lockout | None:
    """Whether the fuzz run locked itself out, found by sending earlier successes again."""
    fuzz = [o for o in run.observed if o.origin == "fuzz" and o.operation is not None]
    guarded = {o.operation for o in fuzz if o.exchange.status in DENIED}
    replayed = []
    for witness in witnesses(fuzz, guarded):
        now = prober.send(replay_of(witness.exchange), witness.operation)
        if now is None or now.status not in DENIED:
            return None  # a success (or a 404 for a resource since deleted): the credentials work
        replayed.append((witness, now))
    if not replayed:
        return None
    cause, refused, since = denial(fuzz, guarded)
    public = {o.operation for o in fuzz[since:] if o.exchange.ok}  # a success without working credentials
    left_out = frozenset(f"{op.method.upper()} {op.path}" for op in run.selected) - public
    return Lockout(cause, refused, replayed, left_out)


def witnesses(fuzz: list[Observed], guarded: set[str | None]) -> list[Observed]:
    """Up to ``WITNESSES`` safe requests answered 2xx, one per guarded operation, operations
    without path parameters first (a collection outlives the resources the run deletes)."""
    first: dict[str, Observed] = {}
    for o in fuzz:
        if o.operation in guarded and o.exchange.ok and o.exchange.method.upper() in SAFE_METHODS and o.exchange.body is None:
            first.setdefault(o.operation or "", o)
    ordered = sorted(first, key=lambda lbl: "{" in lbl)  # stable: first seen first within each kind
    return [first[lbl] for lbl in ordered[:WITNESSES]]


def denial(fuzz: list[Observed], guarded: set[str | None]) -> tuple[Observed | None, int, int]:
    """Where the refusals began in the fuzz answers (in the order they were recorded): the last
    unsafe request answered 2xx before the first refusal that no guarded success followed, the
    number of refused answers from there on, and the index they start at."""
    last_ok = max((i for i, o in enumerate(fuzz) if o.operation in guarded and o.exchange.ok), default=-1)
    first = next((i for i in range(last_ok + 1, len(fuzz)) if fuzz[i].exchange.status in DENIED), len(fuzz))
    cause = next((o for o in reversed(fuzz[:first]) if o.exchange.ok and o.exchange.method.upper() not in SAFE_METHODS), None)
    return cause, sum(1 for o in fuzz[first:] if o.exchange.status in DENIED), first


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
