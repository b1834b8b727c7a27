"""deprecation/: deprecated operations tell clients when they go away and what replaces them."""

from __future__ import annotations

import re

from auditor.document.context import Context
from auditor.rules._shared import SUNSET_EXTENSIONS
from auditor.rules.registry import Option, Violation, rule

DEPRECATION_HEADERS = ["Deprecation", "Sunset", "azure-deprecating"]
REPLACEMENT_EXTENSIONS = ["x-replaced-by", "x-replacement", "x-deprecated-by"]
REPLACEMENT = (
    r"(?i)\b(instead|replaced\s+(by|with)|replacement|superseded|successor|migrat\w*\s+to|moved\s+to|switch\s+to|in\s+favou?r\s+of|use\s+the\s+new|prefer)\b"
)


@rule(
    "deprecation/documented",
    severity="warn",
    summary="Deprecated operations declare Deprecation/Sunset headers (or x-sunset) and name a replacement",
    hint="declare `Deprecation` (and `Sunset`) on the responses or an `x-sunset` date, and say what to use instead",
    options=[
        Option("header-names", list, DEPRECATION_HEADERS, "response headers (any case) that announce the deprecation"),
        Option("replacement-pattern", str, REPLACEMENT, "regex a description/summary must match to name a replacement"),
    ],
)
def documented(ctx: Context):
    """
    What it checks: every operation with `deprecated: true`
    - announces it at run time: some response declares a `Deprecation` (RFC 9745) or `Sunset`
      (RFC 8594) header (option `header-names`, any case, `$ref` followed; Azure's
      `azure-deprecating` accepted), or the operation carries an `x-sunset` date (oasdiff);
    - names a replacement: its description, summary or an `x-...deprecat...` extension (such as
      `x-deprecation-message`) matches the option `replacement-pattern` ("use ... instead",
      "replaced by", "migrate to", ...), or it has an `x-replaced-by` extension.
    Deprecated parameters and schema properties are not checked: they do not imply endpoint
    headers. The header values (`@epoch` vs `true`) are the live run's business.

    Why it matters: `deprecated: true` is read by documentation generators only; running
    clients learn about a deprecation through the headers, and their developers need to know
    what to migrate to and by when.

    Bad:
        get:
          deprecated: true
          responses: {"200": {description: ok}}

    Good:
        get:
          deprecated: true
          x-sunset: "2026-06-30"
          description: Replaced by GET /v2/orders; use that instead.
          responses:
            "200":
              description: ok
              headers:
                Deprecation: {$ref: "#/components/headers/Deprecation"}
                Sunset: {$ref: "#/components/headers/Sunset"}

    Fix: add the headers and a sentence naming the replacement.
    """
    names = {n.lower() for n in ctx.options.get("header-names", DEPRECATION_HEADERS)}
    pattern = re.compile(ctx.options.get("replacement-pattern", REPLACEMENT))
    for op in ctx.operations():
        if op.node.get("deprecated") is not True:
            continue
        where = f"{op.method.upper()} {op.path}"
        announced = any(k in op.node for k in SUNSET_EXTENSIONS) or any(names & set(ctx.response_headers(r)) for r in ctx.responses(op))
        if not announced:
            yield Violation(
                f"{where} is deprecated but no response declares a Deprecation or Sunset header",
                op.at.child("responses"),
                operation=op,
            )
        text = " ".join(str(v) for k, v in op.node.items() if k in ("summary", "description") or (k.startswith("x-") and "deprecat" in k))
        if not pattern.search(text) and not any(k in op.node for k in REPLACEMENT_EXTENSIONS):
            yield Violation(
                f"{where} is deprecated but its description does not name a replacement",
                op.at.child("description") if "description" in op.node else op.at,
                hint='say what to use instead ("Use GET /v2/orders instead.") or add `x-replaced-by`',
                operation=op,
            )
