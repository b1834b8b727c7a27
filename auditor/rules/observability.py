"""observability/: responses carry an id that ties a call to the server's logs and traces."""

from __future__ import annotations

from auditor.document.context import Context
from auditor.rules.registry import Option, Violation, rule

CORRELATION_HEADERS = [
    "X-Request-ID",
    "Request-Id",
    "X-Correlation-ID",
    "Correlation-ID",
    "traceparent",
    "X-Trace-ID",
    "X-Amzn-RequestId",
    "x-ms-request-id",
    "x-ms-client-request-id",
    "X-Flow-ID",
    "X-B3-TraceId",
    "X-Cloud-Trace-Context",
]


def _declares(ctx: Context, op, names: set[str]) -> bool:
    if names & set(ctx.header_params(op)):
        return True
    return any(names & set(ctx.response_headers(r)) for r in ctx.responses(op))


@rule(
    "observability/correlation-id",
    severity="warn",
    summary="Operations declare a correlation id header (X-Request-ID, traceparent, ...)",
    hint="declare a request id header (e.g. X-Request-ID) once under components/headers and reference it from the responses",
    options=[Option("header-names", list, CORRELATION_HEADERS, "header names (any case) that carry a correlation or trace id")],
)
def correlation_id(ctx: Context):
    """
    What it checks: every operation declares a correlation header, in any response or as a
    request header parameter (the client sends one the server logs and echoes): `X-Request-ID`,
    `Request-Id`, `X-Correlation-ID`, `traceparent` (W3C Trace Context), `x-ms-request-id`,
    `X-Flow-ID`, `X-Amzn-RequestId`, ... (option `header-names`, compared in any case, `$ref`
    followed). When no operation declares one, a single finding is reported at `paths` instead
    of one per operation; when some do, the ones that do not are listed.

    Why it matters: when a client reports a failure, the request id is how support finds the
    call in logs and traces; without it, every incident starts with timestamp guessing.

    Bad:
        responses:
          "200": {description: ok}

    Good:
        responses:
          "200":
            description: ok
            headers:
              X-Request-ID: {$ref: "#/components/headers/RequestId"}

    Fix: declare the header on the responses (a shared component keeps it one line each).
    """
    names = {n.lower() for n in ctx.options.get("header-names", CORRELATION_HEADERS)}
    ops = list(ctx.operations())
    missing = [op for op in ops if not _declares(ctx, op, names)]
    if not missing:
        return
    if len(missing) == len(ops):
        at = ctx.root.child("paths") if "paths" in ctx.data else ctx.root
        yield Violation("no operation declares a correlation id header (X-Request-ID, traceparent, ...)", at)
        return
    for op in missing:
        yield Violation(
            f"{op.method.upper()} {op.path} declares no correlation id header, unlike other operations",
            op.at.child("responses"),
            operation=op,
        )
