"""How the audit sends requests of its own (probes, the sampling pass), with ``requests``, only to
the base URL: bodies capped and no proxies from the environment (``bounded``), redirects never
followed, unsafe methods refused under --read-only, and a time budget (the run's deadline and a
cap per operation) so that no probe starves the others. Every answer is recorded as an
``Observed``, so the checks over answers see it too."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.live.model import SAFE_METHODS, Exchange, Observed, excerpt

HOP_HEADERS = {"content-length", "connection", "accept-encoding", "host", "transfer-encoding", "x-schemathesis-testcaseid"}


@dataclass
class Built:
    """A request ready to send: ``url`` is a path under the base URL ("/v1/items?limit=1") or a
    full URL under it."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    # the status this very request got when the fuzzer sent it (None: not sent before); a copy
    # that changes the request (``_changed``) starts again with None
    answered: int | None = None

    def _changed(self, **fields: Any) -> Built:
        return replace(self, answered=None, **fields)

    def with_header(self, name: str, value: str | None) -> Built:
        """A copy with header ``name`` set (any case replaced), or removed when ``value`` is None."""
        headers = {k: v for k, v in self.headers.items() if k.lower() != name.lower()}
        if value is not None:
            headers[name] = value
        return self._changed(headers=headers)

    def with_param(self, template: str, location: str, name: str, value: str) -> Built | None:
        """A copy with the path or query parameter ``name`` set to ``value`` (``template`` is the
        operation's path, e.g. "/v1/items/{itemId}"); None when the URL does not fit it."""
        parts = urllib.parse.urlsplit(self.url)
        if location == "query":
            query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k != name]
            query.append((name, value))
            return self._changed(url=urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query))))
        if location != "path":
            return None
        wanted, actual = template.strip("/").split("/"), parts.path.strip("/").split("/")
        if len(actual) < len(wanted):
            return None
        offset = len(actual) - len(wanted)  # the base URL may add leading segments
        for i, segment in enumerate(wanted):
            if segment == "{" + name + "}":
                actual[offset + i] = urllib.parse.quote(value, safe="")
                path = "/" + "/".join(actual)
                return self._changed(url=urllib.parse.urlunsplit(parts._replace(path=path)))
        return None

    def with_json_field(self, name: str, value: object) -> Built | None:
        """A copy whose JSON object body has ``name`` set to ``value``; None without such a body."""
        try:
            body = json.loads(self.body or b"")
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        return self._changed(body=json.dumps({**body, name: value}).encode("utf-8"))


def replay_of(exchange: Exchange) -> Built:
    """The recorded request ``exchange`` as one to send again (hop-by-hop headers left out), with
    the status it got."""
    body = exchange.body.encode("utf-8") if exchange.body is not None else None
    return Built(exchange.method, exchange.url, {k: v for k, v in exchange.headers.items() if k.lower() not in HOP_HEADERS}, body, exchange.status)


class ReadOnlyViolation(AssertionError):
    """A bug: something tried to send an unsafe method under --read-only."""


class Prober:
    """Sends and records. ``deadline`` (time.monotonic()) ends all probing; ``per_operation_s``
    caps the time spent on one operation's probes. A request the budget refuses is not sent:
    ``send`` returns None and ``cut`` remembers (check, operation) so the report can say so."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        record: Callable[[Observed], None],
        *,
        read_only: bool = False,
        timeout: float = 10.0,
        tls_verify: bool = True,
        deadline: float | None = None,
        per_operation_s: float | None = None,
    ) -> None:
        import requests

        from auditor.live.bounded import bound

        self._settings: dict[str, Any] = dict(read_only=read_only, timeout=timeout, tls_verify=tls_verify, deadline=deadline, per_operation_s=per_operation_s)
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self.record = record
        self.read_only = read_only
        self.timeout = timeout
        self.deadline = deadline
        self.per_operation_s = per_operation_s
        self.session = bound(requests.Session())  # bodies capped, no proxies from the environment
        self.session.verify = tls_verify
        self.origin = "probe"  # set by the audit to "probe:<rule id>" while a check runs
        self.sent = 0
        self.errors: list[str] = []  # "METHOD /path: why" for requests that got no answer
        self.spent: dict[str, float] = {}  # operation label -> seconds of probing
        self.cut: dict[tuple[str, str], str] = {}  # (origin, operation or "") -> why it stopped

    def close(self) -> None:
        self.session.close()

    def fork(self) -> Prober:
        """A prober with the same settings, budget and recorder on a connection of its own (for
        requests sent in parallel); its counts are the caller's to add up."""
        fork = Prober(self.base_url, self.headers, self.record, **self._settings)
        fork.origin, fork.cut, fork.spent = self.origin, self.cut, dict(self.spent)
        return fork

    def allowed(self, operation: str | None) -> bool:
        """Whether the budget still lets a request for ``operation`` go out (recording why not)."""
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            self.cut.setdefault((self.origin, operation or ""), "the run's time budget was spent")
            return False
        if operation and self.per_operation_s is not None and self.spent.get(operation, 0.0) >= self.per_operation_s:
            self.cut.setdefault((self.origin, operation), f"probing this operation reached its cap of {self.per_operation_s:g} s")
            return False
        return True

    def send(self, built: Built, operation: str | None, *, origin: str | None = None, timeout: float | None = None) -> Exchange | None:
        """Send ``built`` (for ``operation``, "METHOD /path" or None); the answer, or None when
        there was none (the reason is in ``errors``) or the budget refused it (see ``cut``)."""
        import requests

        method = built.method.upper()
        if self.read_only and method not in SAFE_METHODS:
            raise ReadOnlyViolation(f"{method} sent under --read-only")
        if not self.allowed(operation):
            return None
        url = built.url if built.url.startswith(self.base_url + "/") else self.base_url + built.url
        headers = {**self.headers, **built.headers}
        wait = timeout or self.timeout
        if self.deadline is not None:
            wait = max(0.1, min(wait, self.deadline - time.monotonic()))
        started = time.monotonic()
        try:
            response = self.session.request(method, url, headers=headers, data=built.body, timeout=wait, allow_redirects=False)
        except requests.RequestException as exc:
            self.errors.append(f"{method} {urllib.parse.urlsplit(url).path}: {_reason(exc)}")
            return None
        finally:
            if operation:
                self.spent[operation] = self.spent.get(operation, 0.0) + time.monotonic() - started
        self.sent += 1
        req = response.request
        exchange = Exchange(
            method=method,
            url=req.url or url,
            headers={k: str(v) for k, v in req.headers.items()},
            body=excerpt(req.body),
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=excerpt(response.content),
            elapsed_ms=round(response.elapsed.total_seconds() * 1000, 1),
        )
        exchange.keep_error_body(response.content)
        self.record(Observed(operation, exchange, origin or self.origin))
        return exchange


def send_together(prober: Prober, built: Built, operation: str, count: int) -> list[Exchange | None]:
    """``count`` copies of ``built`` sent at the same moment, each on its own connection (a
    barrier releases them together), recorded like every other answer."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(count)
    forks = [prober.fork() for _ in range(count)]

    def one(fork: Prober) -> Exchange | None:
        try:
            barrier.wait(timeout=fork.timeout)
        except threading.BrokenBarrierError:
            pass
        return fork.send(built, operation)

    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            answers = list(pool.map(one, forks))
    finally:
        for fork in forks:
            fork.close()
    prober.sent += sum(fork.sent for fork in forks)
    prober.errors.extend(e for fork in forks for e in fork.errors)
    prober.spent[operation] = max(fork.spent.get(operation, 0.0) for fork in forks)  # they ran side by side
    return answers


def _reason(exc: Exception) -> str:
    """One line on why a request got no answer."""
    import requests

    from auditor.live.bounded import ResponseTooLarge

    if isinstance(exc, ResponseTooLarge):
        return str(exc)
    if isinstance(exc, requests.Timeout):
        return "no complete answer within the request timeout"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed (refused, reset or closed)"
    return type(exc).__name__
