"""The plain data of a live run: an ``Exchange`` (one request and its answer), an ``Observed``
answer (an exchange with the operation it belongs to and where it came from) and an ``Issue``
(what a live check concludes). Nothing here sends a request or imports the fuzzer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditor.model import Severity

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
BODY_EXCERPT = 2000  # characters of a request or response body kept as evidence
ERROR_BODY = 1024 * 1024  # bytes of an error body the checks read (its schema, leaks)


@dataclass
class Exchange:
    """One recorded request and its response (``status`` None when the request got no answer)."""

    method: str
    url: str
    headers: dict[str, str]
    body: str | None
    status: int | None = None
    response_headers: dict[str, str] | None = None
    response_body: str | None = None  # an excerpt (evidence)
    elapsed_ms: float | None = None
    error_body: str | None = None  # a 4xx/5xx body whole (up to ERROR_BODY), when the excerpt cut it

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def body_text(self) -> str | None:
        """The response body as the checks read it: whole for errors, else the excerpt."""
        return self.error_body if self.error_body is not None else self.response_body

    def keep_error_body(self, content: bytes | None) -> None:
        """Keep a 4xx/5xx body whole when the excerpt had to cut it."""
        if content and (self.status or 0) >= 400 and (self.response_body or "").endswith("…"):
            self.error_body = bytes(content[:ERROR_BODY]).decode("utf-8", errors="backslashreplace")


@dataclass
class Observed:
    """One answered request: the operation it belongs to ("METHOD /path" as in the document, or
    None for requests outside any documented operation), where it came from (``fuzz``,
    ``sample`` or ``probe:<rule id>``) and, for the fuzzer's requests, the generation mode."""

    operation: str | None
    exchange: Exchange
    origin: str = "fuzz"
    mode: str | None = None  # positive | negative (fuzz only)

    @property
    def valid(self) -> bool:
        """A request that follows the contract: counted by the error budget."""
        return self.origin == "sample" or (self.origin == "fuzz" and self.mode == "positive")


@dataclass
class Issue:
    """What a live check yields. The rule is the check's own; ``group`` says which issues on one
    operation are the same one (default: the message), so repeats become a count. ``confirms``
    names a static rule: when the lint found that rule on the operation, this issue becomes live
    evidence on that finding instead of a finding of its own (one cause, one finding)."""

    message: str
    operation: str | None = None
    exchange: Exchange | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None  # None: the rule's configured severity
    group: str | None = None
    confirms: str | None = None  # a static rule whose finding on this operation this issue restates


def untested(operation: str | None, why: str, **evidence: Any) -> Issue:
    """A check that could not run on ``operation``: an info finding saying why (never only a note)."""
    return Issue(f"not tested: {why}", operation, evidence={"untested": True, **evidence}, severity=Severity.INFO, group="untested")


def excerpt(body: Any) -> str | None:
    """At most ``BODY_EXCERPT`` characters of a body, as text (undecodable bytes escaped, no lone
    surrogates); longer ones end with "…"."""
    if body is None:
        return None
    if isinstance(body, (bytes, bytearray)):
        text = bytes(body[: BODY_EXCERPT * 4]).decode("utf-8", errors="backslashreplace")
    else:
        text = str(body)
    if not text:
        return None
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= BODY_EXCERPT else text[:BODY_EXCERPT] + "…"
