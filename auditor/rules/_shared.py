"""Helpers shared by several rule families and by the live checks: status classes, property-name
comparison, schema resolution, rate-limit header names, health endpoint paths, the idempotency
key of an operation and where a deprecation's sunset date is written. (Rule modules import from
here, never from each other.)"""

from __future__ import annotations

import re
from typing import Any

from auditor.document.context import Context, Param
from auditor.document.document import At, OperationRef


def status_class(status: str) -> str:
    """ "4", "5", "2", ... for a code or range (``4XX``, ``4xx``), "default" for ``default``."""
    s = status.strip().lower()
    if s == "default":
        return "default"
    return s[0] if s[:1].isdigit() else ""


def norm(name: str) -> str:
    """Property-name comparison key: case-insensitive, ``_`` and ``-`` ignored."""
    return re.sub(r"[_\-]", "", name).lower()


def resolve(ctx: Context, schema: Any, at: At) -> tuple[dict, At]:
    node, node_at = ctx.deref(schema, at)
    return ctx.merged_schema(node, node_at), node_at


# --- rate limits ---

RATELIMIT_PREFIXES = ("ratelimit-", "x-ratelimit-", "x-rate-limit-")
RATELIMIT_NAMES = {"ratelimit", "ratelimit-policy", "x-ratelimit", "x-rate-limit"}


def is_ratelimit_header(name: str) -> bool:
    """IETF ``RateLimit``/``RateLimit-Policy`` (draft -07..-10), ``RateLimit-Limit/-Remaining/-Reset``
    (drafts -00..-06), ``X-RateLimit-*`` (GitHub, Zalando), ``X-Rate-Limit-*`` (X/Twitter)."""
    n = name.strip().lower()
    return n in RATELIMIT_NAMES or n.startswith(RATELIMIT_PREFIXES)


# --- health endpoints ---

_PREFIX = r"^(?:/[^/{}]+)*?/"
# `_*...` both sides: Mozilla's `/__heartbeat__` and `/__lbheartbeat__` (Kinto, Dockerflow) count
LIVENESS = (
    _PREFIX + r"_*(?:health(?:z|check|-check)?|livez?|liveness|ping|(?:lb)?heartbeat|alive|health/live(?:ness)?|actuator/health(?:/liveness)?)_*(?:\.json)?/?$"
)
READINESS = _PREFIX + r"_*(?:readyz?|readiness|health/ready(?:iness)?|actuator/health/readiness)_*(?:\.json)?/?$"
_LIVENESS = re.compile(LIVENESS, re.IGNORECASE)
_READINESS = re.compile(READINESS, re.IGNORECASE)


def health_kind(op: OperationRef) -> str | None:
    """ "readiness" or "liveness" for a GET or HEAD of a health endpoint (the paths the health/
    rules recognise by default), else None. Probes are answered by the orchestrator's poller, not
    by clients: they need no 4xx responses and are not rate limited."""
    if op.method not in ("get", "head"):
        return None
    if _READINESS.search(op.path):
        return "readiness"
    if _LIVENESS.search(op.path):
        return "liveness"
    return None


# --- idempotency keys ---

DEFAULT_HEADERS = ["Idempotency-Key", "X-Idempotency-Key", "Repeatability-Request-ID"]


def key_param(ctx: Context, op: OperationRef, names: list[str]) -> Param | None:
    """The idempotency-key header parameter of ``op`` (path-level and ``$ref``'d ones count)."""
    headers = ctx.header_params(op)
    for name in names:
        p = headers.get(str(name).lower())
        if p is not None:
            return p
    return None


# --- deprecation ---

SUNSET_EXTENSIONS = ["x-sunset", "x-deprecation-date", "x-sunset-date"]  # operation extensions holding the sunset date (oasdiff: x-sunset)
