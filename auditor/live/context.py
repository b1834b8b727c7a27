"""What a live check reads: ``LiveRun`` holds the document (through the static rules' ``Context``),
the effective configuration, the `live:` settings and every answer observed so far; a check gets
a ``LiveContext``: the run plus its own rule and options (as a static rule gets its ``Context``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditor.config import Config
from auditor.document.context import Context
from auditor.document.document import At, Document, OperationRef
from auditor.live.model import Observed
from auditor.live.select import matches
from auditor.rules._shared import health_kind
from auditor.rules.registry import Registry, Rule

if TYPE_CHECKING:
    from auditor.live.sampling import Samples
    from auditor.live.valid_requests import ValidRequests


def label(op: OperationRef) -> str:
    return f"{op.method.upper()} {op.path}"


class LiveRun:
    """The shared facts of one audit. ``selected`` are the operations the run may send to."""

    def __init__(self, document: Document, config: Config, registry: Registry, settings: dict[str, Any], selected: frozenset[tuple[str, str]] | None) -> None:
        self.document = document
        self.context = Context(document, public=config.public)
        self.config = config
        self.registry = registry
        self.settings = settings
        self.observed: list[Observed] = []
        self.notes: list[str] = []  # what the run wants said that is not a finding (a passed burst, ...)
        self.operations: dict[str, OperationRef] = {label(op): op for op in document.operations()}
        self.selected = [op for op in self.operations.values() if selected is None or (op.method.upper(), op.path) in selected]
        self.requests: ValidRequests | None = None  # set once the fuzzer has run
        self.samples: dict[str, Samples] = {}  # the sampling pass, by operation label
        self.denied: frozenset[str] = frozenset()  # operations the run's credentials no longer reach

    @property
    def reachable(self) -> list[OperationRef]:
        """The selected operations the probes and the sampling pass send to: all but those the
        run's credentials no longer reach (``denied``, set by contract/live-credentials)."""
        return [op for op in self.selected if label(op) not in self.denied]

    @property
    def read_only(self) -> bool:
        return bool(self.settings["read-only"])

    def options(self, rule_id: str) -> dict[str, Any]:
        return dict(self.config.setting(self.registry[rule_id]).options)

    def enabled(self, rule_id: str) -> bool:
        rule = self.registry.get(rule_id)
        return rule is not None and self.config.setting(rule).enabled

    @property
    def problem_details(self) -> bool:
        """The problem-details policy is on when the pack enables its static rule."""
        return self.enabled("errors/problem-details-media-type")

    def health_kind(self, op: OperationRef) -> str | None:
        return health_kind(op)

    def rate_limit_exempt(self, op: OperationRef) -> bool:
        if self.health_kind(op) is not None:
            return True
        return any(matches(sel, op) for sel in self.options("ratelimit/live-headers").get("exempt") or [])

    def error_schema(self, op: OperationRef, status: int) -> tuple[Any, At, str] | None:
        """(schema, where, media type) documented for ``status`` (exact, range, default); the
        JSON media type is preferred."""
        wanted = (str(status), f"{str(status)[0]}XX", "default")
        by_status = {r.status.upper(): r for r in self.context.responses(op)}
        for key in wanted:
            resp = by_status.get(key.upper())
            if resp is None:
                continue
            media = [m for m in self.context.response_media(op, resp) if m.schema is not None]
            if not media:
                return None
            media.sort(key=lambda m: 0 if "json" in m.media_type.lower() else 1)
            return media[0].schema, media[0].at, media[0].media_type
        return None

    def documented_media(self, op: OperationRef, status: int) -> list[str]:
        """The media types documented for ``status`` (exact, range, default)."""
        by_status = {r.status.upper(): r for r in self.context.responses(op)}
        for key in (str(status), f"{str(status)[0]}XX", "DEFAULT"):
            resp = by_status.get(key)
            if resp is not None:
                return [m.media_type.lower() for m in self.context.response_media(op, resp)]
        return []


@dataclass
class LiveContext:
    """What one live check gets: the run, its rule and its options (defaults filled in)."""

    run: LiveRun
    rule: Rule
    options: dict[str, Any]

    def operations(self, *, unsafe: bool = True) -> Iterator[OperationRef]:
        """The selected operations (only safe ones when ``unsafe`` is False or the run is read-only),
        without those the run's credentials no longer reach."""
        for op in self.run.reachable:
            if (unsafe and not self.run.read_only) or op.method.upper() in ("GET", "HEAD", "OPTIONS"):
                yield op
