"""Bounded responses for every live request (the fuzzer's and the probes'): a ``requests``
transport adapter that reads each body itself, at most ``MAX_BODY`` bytes (decoded) and for at
most the request timeout in total, so an enormous or trickling answer costs bounded memory and
time. Also: no proxies or other settings from the environment (``trust_env`` off), so traffic
goes only to the base URL.

A body over the cap raises ``ResponseTooLarge``; a body still arriving when the timeout is
spent raises ``requests.ReadTimeout``. Both are ``requests`` errors, so the fuzzer reports
them as errors of that operation and goes on with the others.

``text/event-stream`` answers are read by Schemathesis itself (up to the request timeout and its
event limit); the adapter only caps their size. Not bounded here: a server that trickles the
status line and headers (``requests`` bounds each read by the timeout, not their sum).
"""

from __future__ import annotations

import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter

MAX_BODY = 16 * 1024 * 1024  # bytes of (decoded) response body read before giving up
CHUNK = 64 * 1024


class ResponseTooLarge(requests.exceptions.RequestException):
    """The response body was larger than the cap; it was not read further."""


class BoundedAdapter(HTTPAdapter):
    def __init__(self, max_body: int = MAX_BODY) -> None:
        super().__init__()
        self.max_body = max_body

    def send(self, request: Any, stream: bool = False, timeout: Any = None, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        started = time.monotonic()
        response = super().send(request, stream=True, timeout=timeout, **kwargs)
        if stream and "text/event-stream" in (response.headers.get("Content-Type") or "").lower():
            _cap_stream(response, self.max_body)  # Schemathesis reads it (up to the timeout and its event limit)
            return response
        budget = timeout[-1] if isinstance(timeout, tuple) else timeout
        read_body(response, self.max_body, None if budget is None else float(budget), started)
        return response


def read_body(response: requests.Response, cap: int, budget: float | None, started: float) -> None:
    """Read the body into ``response.content``, or close the response and raise."""
    from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

    deadline = None if budget is None else started + budget

    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > cap:
        response.close()
        raise ResponseTooLarge(
            f"the response body is {int(length):,} bytes (Content-Length), over the {cap:,}-byte cap; not read", request=response.request, response=response
        )
    raw = response.raw
    read = raw.read1 if hasattr(raw, "read1") else raw.read
    chunks, total = [], 0
    try:
        while True:
            if deadline is not None and time.monotonic() > deadline:
                raise _timed_out(response, budget)
            chunk = read(CHUNK, decode_content=True)
            if not chunk:
                break
            total += len(chunk)
            if total > cap:
                raise ResponseTooLarge(f"the response body is over the {cap:,}-byte cap; reading stopped", request=response.request)
            chunks.append(chunk)
    except ReadTimeoutError:
        response.close()
        raise _timed_out(response, budget) from None
    except ProtocolError as exc:
        response.close()
        raise requests.exceptions.ChunkedEncodingError(exc, request=response.request) from None
    except DecodeError as exc:
        response.close()
        raise requests.exceptions.ContentDecodingError(exc, request=response.request) from None
    except requests.RequestException:
        response.close()
        raise
    response._content = b"".join(chunks)
    response._content_consumed = True
    release = getattr(raw, "release_conn", None)
    if release is not None:
        release()  # the body is read: the connection goes back to the pool


def _cap_stream(response: requests.Response, cap: int) -> None:
    """An event stream is read by the caller; its reads raise ``ResponseTooLarge`` past the cap."""
    raw = response.raw
    original = raw.read1
    total = 0

    def read1(amt: int = -1, decode_content: bool | None = None) -> bytes:
        nonlocal total
        chunk = original(amt, decode_content=decode_content)
        total += len(chunk)
        if total > cap:
            response.close()
            raise ResponseTooLarge(f"the event stream is over the {cap:,}-byte cap; reading stopped", request=response.request)
        return chunk

    raw.read1 = read1


def _timed_out(response: requests.Response, budget: float | None) -> requests.exceptions.ReadTimeout:
    """Worded like ``requests``' own read timeout (Schemathesis parses the figure out of it)."""
    from urllib3.exceptions import ReadTimeoutError

    inner = ReadTimeoutError(None, response.url, f"Read timed out. (read timeout={budget})")  # type: ignore[arg-type]  # no pool here
    return requests.exceptions.ReadTimeout(inner, request=response.request)


def bound(session: requests.Session, max_body: int = MAX_BODY) -> requests.Session:
    """``session`` with the bounded adapter for http and https, and no environment settings."""
    adapter = BoundedAdapter(max_body)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False
    return session
