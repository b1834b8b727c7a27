"""Requests the audit builds on purpose reuse what worked: first the requests the fuzzer saw
answered 2xx for that operation (newest first, so path ids still exist), then positive cases the
fuzzing engine generates (they honour pattern, format, length and the other constraints). When
none answers 2xx the check says so as an info finding on the operation; nothing is skipped in
silence."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from auditor.live.model import Exchange, Observed
from auditor.live.prober import Built, Prober, replay_of

# positive cases of one operation from the engine: (operation label, how many) -> requests
CaseSource = Callable[[str, int], list[Built]]


@dataclass
class Attempt:
    """The outcome of looking for a request that works: the request and its 2xx answer, or what
    the tries answered instead."""

    built: Built | None = None
    answer: Exchange | None = None
    tried: list[str] = field(default_factory=list)  # status (or "no answer") of each failed try

    def why_not(self) -> str:
        if not self.tried:
            return "no valid request could be built for it"
        return f"no valid request answered 2xx ({len(self.tried)} tried, answered {', '.join(self.tried[:6])}{', …' if len(self.tried) > 6 else ''})"


class ValidRequests:
    def __init__(self, observed: list[Observed], cases: CaseSource | None, key_header: Callable[[str], str | None] | None = None) -> None:
        self.observed = observed
        self.cases = cases
        self.key_header = key_header  # operation label -> its idempotency-key header name, if any
        self._generated: dict[str, list[Built]] = {}

    def candidates(self, operation: str, *, limit: int = 5) -> Iterator[Built]:
        """Up to ``limit`` seen successes, then engine-generated positive cases. A request that
        carries an idempotency key gets a fresh one."""
        seen: set[tuple[str, str | None]] = set()
        count = 0
        for o in reversed(self.observed):
            ex = o.exchange
            if count >= limit:
                break
            if o.operation != operation or o.origin != "fuzz" or not ex.ok or (ex.body or "").endswith("…"):
                continue
            if (ex.url, ex.body) in seen:
                continue
            seen.add((ex.url, ex.body))
            count += 1
            yield self.refresh(operation, replay_of(ex))
        for built in self.generated(operation):
            yield self.refresh(operation, built)

    def generated(self, operation: str, count: int = 5) -> list[Built]:
        if self.cases is None:
            return []
        if operation not in self._generated:
            self._generated[operation] = self.cases(operation, count)
        return self._generated[operation]

    def first_success(
        self, prober: Prober, operation: str, *, tries: int = 5, adapt: Callable[[Built], Built] | None = None, richest_first: bool = False
    ) -> Attempt:
        """Send candidates until one answers 2xx (at most ``tries``); ``richest_first`` tries the
        largest bodies first (a repeated PUT shows more with every optional field filled in)."""
        attempt = Attempt()
        candidates = self.candidates(operation)
        if richest_first:
            candidates = iter(sorted(candidates, key=lambda b: -len(b.body or b"")))
        for built in candidates:
            if len(attempt.tried) >= tries:
                break
            built = adapt(built) if adapt is not None else built
            answer = prober.send(built, operation)
            if answer is not None and answer.ok:
                return Attempt(built, answer, attempt.tried)
            attempt.tried.append(str(answer.status) if answer is not None else "no answer")
            if answer is None and not prober.allowed(operation):
                break  # the budget is spent: more tries would not be sent
        return attempt

    def refresh(self, operation: str, built: Built) -> Built:
        """``built`` with a fresh idempotency key when it carries one (a reused key would replay
        or conflict)."""
        name = self.key_header(operation) if self.key_header is not None else None
        if name is None or not any(k.lower() == name.lower() for k in built.headers):
            return built
        return built.with_header(name, fresh_key())


def fresh_key() -> str:
    return f"auditor-{uuid.uuid4().hex[:24]}"
