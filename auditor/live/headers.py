"""Validation of rate-limit response headers and Retry-After values (pure functions).

IETF ``RateLimit`` / ``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers -08..-10) are
Structured Field Lists (RFC 9651), parsed with ``http_sf``; the older families (``RateLimit-*``
of drafts -00..-06, ``X-RateLimit-*``, ``X-Rate-Limit-*``) are plain integers (reset may
be delta seconds or an epoch, so its magnitude is never judged).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from auditor.rules._shared import is_ratelimit_header

TRIO_PREFIXES = ("ratelimit-", "x-ratelimit-", "x-rate-limit-")
DELAY = re.compile(r"^[0-9]+$")
IMF_FIXDATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$")
DAY = 86_400


def lower(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


def has_ratelimit_family(headers: Mapping[str, str]) -> bool:
    return any(is_ratelimit_header(name) for name in headers)


def ratelimit_problems(headers: Mapping[str, str]) -> list[str]:
    """What is wrong with the rate-limit headers present (lower-case names); [] when sane."""
    problems: list[str] = []
    if "ratelimit" in headers:
        problems += _sf_list(headers["ratelimit"], "RateLimit", required="r", non_negative=("r", "t"), positive=())
    if "ratelimit-policy" in headers:
        problems += _sf_list(headers["ratelimit-policy"], "RateLimit-Policy", required="q", non_negative=("q",), positive=("w",))
    for prefix in TRIO_PREFIXES:
        values: dict[str, int] = {}
        for part in ("limit", "remaining", "reset", "used"):
            name = prefix + part
            if name not in headers:
                continue
            raw = headers[name].strip()
            if not DELAY.match(raw):
                problems.append(f"{_title(name)}: {raw!r} is not a non-negative integer")
            else:
                values[part] = int(raw)
        if "limit" in values and "remaining" in values and values["remaining"] > values["limit"]:
            problems.append(f"{_title(prefix + 'remaining')} {values['remaining']} is above {_title(prefix + 'limit')} {values['limit']}")
    return problems


def retry_after_problem(value: str | None) -> tuple[str, bool] | None:
    """(message, serious) for a bad Retry-After, None when valid. A delay above a day is not
    serious (reported as info)."""
    if value is None:
        return "no Retry-After header", True
    raw = value.strip()
    if DELAY.match(raw):
        if int(raw) > DAY:
            return f"Retry-After: {raw} asks clients to wait more than a day", False
        return None
    if IMF_FIXDATE.match(raw):
        try:
            parsedate_to_datetime(raw)
            return None
        except (TypeError, ValueError):
            pass
    return f"Retry-After: {raw!r} is neither delay seconds nor an HTTP date", True


def _sf_list(raw: str, field: str, *, required: str, non_negative: tuple[str, ...], positive: tuple[str, ...]) -> list[str]:
    import http_sf

    try:
        members: Any = http_sf.parse(raw.encode("latin-1", "replace"), tltype="list")
    except Exception as exc:  # http_sf raises ValueError subclasses with a position
        return [f"{field}: {raw!r} is not a Structured Field List ({_one_line(exc)})"]
    if not members:
        return [f"{field} is empty"]
    problems = []
    for value, params in members:
        if isinstance(value, http_sf.Token):  # the drafts say String; an interim copy allowed Token
            value = str(value)
        if isinstance(value, (tuple, list)) or not isinstance(value, str):  # inner lists and non-strings
            problems.append(f"{field}: item {value!r} is not a policy name (String)")
            continue
        label = f"{field} {str(value)!r}"
        if required not in params:
            problems.append(f"{label} lacks the required {required!r} parameter")
        for key in non_negative + positive:
            if key not in params:
                continue
            v = params[key]
            if not isinstance(v, int) or isinstance(v, bool) or v < 0 or (key in positive and v == 0):
                want = "a positive integer" if key in positive else "a non-negative integer"
                problems.append(f"{label}: {key}={_show(v)} is not {want}")
    return problems


def _show(value) -> str:
    return str(value) if not isinstance(value, str) else value


def _title(name: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in name.split("-")).replace("Ratelimit", "RateLimit")


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
