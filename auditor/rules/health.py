"""health/: the API publishes liveness and readiness endpoints.

Decision: health endpoints are often served outside the documented API (another
port, outside the versioned base path), so absence from the document is a warning, not an
error, and any prefix of literal segments is accepted (`/v1/health`, `/api/healthz`). The live
run probes the service itself.
"""

from __future__ import annotations

import re

from auditor.document.context import Context
from auditor.rules._shared import LIVENESS, READINESS
from auditor.rules.registry import Option, Violation, rule


def _find(ctx: Context, pattern: str):
    rx = re.compile(pattern, re.IGNORECASE)
    return [op for op in ctx.operations() if op.method in ("get", "head") and rx.search(op.path)]


def _paths_at(ctx: Context):
    return ctx.root.child("paths") if "paths" in ctx.data else ctx.root


@rule(
    "health/liveness",
    severity="warn",
    summary="A liveness endpoint (GET /health, /healthz, /livez, ...) is documented",
    hint="document a cheap GET /health (or /livez) that answers 200 while the process is alive",
    options=[Option("pattern", str, LIVENESS, "regex (case-insensitive) a liveness GET path must match")],
)
def liveness(ctx: Context):
    """
    What it checks: some GET (or HEAD) operation's path matches the liveness pattern: the last
    segments are `health`, `healthz`, `healthcheck`, `livez`, `live`, `liveness`, `ping`,
    `heartbeat`, `health/live`, `actuator/health` or `actuator/health/liveness` (an `_` prefix
    as in Docker's `/_ping` and a `.json` suffix are accepted), after any literal prefix
    (`/v1/health`). The pattern is the option `pattern`.

    Why it matters: orchestrators, load balancers and uptime monitors need one cheap, stable URL
    to decide whether to route to or restart an instance; documenting it makes it part of the
    contract (draft-inadarei-api-health-check; Kubernetes `/livez`).

    Bad:
        paths:
          /orders: {get: ...}

    Good:
        paths:
          /health:
            get:
              security: []
              responses: {"200": {description: alive}}

    Fix: add the endpoint (unauthenticated, no dependencies checked) to the document.
    """
    if not _find(ctx, ctx.options.get("pattern", LIVENESS)):
        yield Violation("no liveness endpoint (GET /health, /healthz, /livez, ...) is documented", _paths_at(ctx))


@rule(
    "health/readiness",
    severity="warn",
    summary="A readiness endpoint (GET /ready, /readyz, /health/ready, ...) is documented",
    hint="document GET /ready (or /readyz) that answers 200 when dependencies are reachable and 503 otherwise",
    options=[Option("pattern", str, READINESS, "regex (case-insensitive) a readiness GET path must match")],
)
def readiness(ctx: Context):
    """
    What it checks: some GET (or HEAD) operation's path matches the readiness pattern: the last
    segments are `ready`, `readyz`, `readiness`, `health/ready`, `health/readiness` or
    `actuator/health/readiness`, after any literal prefix. The pattern is the option `pattern`.
    A 503 response on it is expected (not ready while starting or draining).

    Why it matters: liveness says "restart me if this fails"; readiness says "do not send me
    traffic yet". Without the distinction, a slow database restarts healthy instances. Many
    services answer both questions on one `/health`, so the recommended pack reports this as
    info; strict as warn.

    Bad:
        paths:
          /health: {get: ...}     # one endpoint for both questions

    Good:
        paths:
          /livez: {get: ...}
          /readyz:
            get:
              responses:
                "200": {description: ready}
                "503": {description: not ready}

    Fix: add a readiness endpoint that checks the dependencies the instance needs to serve.
    """
    if not _find(ctx, ctx.options.get("pattern", READINESS)):
        yield Violation("no readiness endpoint (GET /ready, /readyz, /health/ready, ...) is documented", _paths_at(ctx))
