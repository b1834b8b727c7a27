"""Headers given on the command line, ``${VAR}`` expansion, and masking of secrets.

A value is secret when it came from the environment (``${VAR}``) or when its header name looks
like a credential (Authorization, Cookie, *token*, *key*, *secret*, ...). A ``Masker`` replaces
every secret (and, for ``Scheme credentials`` values, the bare credentials) with ``***`` in any
string, and masks credential-like headers by name, so evidence, curl lines and every report
format can be passed through it.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.exceptions import UsageError

MASK = "***"
SENSITIVE_NAME = re.compile(r"auth|cookie|token|secret|passw|api[-_]?key|session|signature|credential", re.I)
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MIN_SECRET = 4  # shorter values would mask unrelated text


@dataclass
class Masker:
    secrets: set[str] = field(default_factory=set)

    def add(self, value: str) -> None:
        value = value.strip()
        if len(value) >= MIN_SECRET:
            self.secrets.add(value)
        scheme, _, credentials = value.partition(" ")
        if credentials.strip() and len(credentials.strip()) >= MIN_SECRET and scheme.isalpha():
            self.secrets.add(credentials.strip())

    def text(self, value: str | None) -> str | None:
        if not value:
            return value
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def headers(self, headers: Mapping[str, str] | None) -> dict[str, str] | None:
        if headers is None:
            return None
        out = {}
        for name, value in headers.items():
            if SENSITIVE_NAME.search(name) and value:
                scheme, _, rest = str(value).partition(" ")
                out[name] = f"{scheme} {MASK}" if rest and scheme.isalpha() and len(scheme) < 16 else MASK
            else:
                out[name] = self.text(str(value)) or ""
        return out

    def deep(self, value: Any) -> Any:
        """Mask every string inside a JSON-like value."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.deep(v) for v in value]
        return value


def parse_headers(values: Iterable[str], environ: Mapping[str, str] | None = None, auth: str | None = None) -> tuple[dict[str, str], Masker]:
    """``["Name: value", ...]`` -> headers (``${VAR}`` expanded) and a masker for their secrets.
    ``auth`` (``--auth USER:PASS``, ``${VAR}`` expanded too) becomes an HTTP Basic
    ``Authorization`` header; the password, the pair and the encoded credentials are secrets."""
    env = os.environ if environ is None else environ
    headers: dict[str, str] = {}
    masker = Masker()
    for raw in values:
        name, sep, value = raw.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
            raise UsageError(f"invalid --header {raw!r}", hint="use 'Name: value', e.g. --header 'Authorization: Bearer ${TOKEN}'")
        value, expanded = _expand(value, env, masker, f"--header {name}")
        if "\n" in value or "\r" in value:
            raise UsageError(f"invalid --header {name}: the value contains a line break", hint="header values are one line")
        if expanded or SENSITIVE_NAME.search(name):
            masker.add(value)
        headers[name] = value
    if auth is not None:
        headers["Authorization"] = _basic(auth, env, masker, headers)
    return headers, masker


def _expand(value: str, env: Mapping[str, str], masker: Masker, option: str) -> tuple[str, bool]:
    """``value`` with every ``${VAR}`` replaced from ``env`` (each value a secret), and whether
    there was one."""
    found = False

    def expand(match: re.Match) -> str:
        nonlocal found
        var = match.group(1)
        if var not in env:
            raise UsageError(f"environment variable {var} is not set (used in {option})", hint=f"export {var}=... or write the value literally")
        found = True
        masker.add(env[var])
        return env[var]

    return _VAR.sub(expand, value), found


def _basic(auth: str, env: Mapping[str, str], masker: Masker, headers: Mapping[str, str]) -> str:
    """The ``Authorization`` value for ``--auth USER:PASS`` (RFC 7617; UTF-8)."""
    if any(name.lower() == "authorization" for name in headers):
        raise UsageError("--auth and an Authorization --header both set the Authorization header", hint="give only one of them")
    pair, _ = _expand(auth, env, masker, "--auth")
    user, sep, password = pair.partition(":")
    if not sep or not user or "\n" in pair or "\r" in pair:  # the value itself is never echoed: it holds the password
        raise UsageError("invalid --auth: expected USER:PASS", hint="e.g. --auth 'ci-bot:${API_PASSWORD}' (the password read from the environment)")
    credentials = base64.b64encode(pair.encode("utf-8")).decode("ascii")
    for secret in (password, pair, credentials):
        masker.add(secret)
    return f"Basic {credentials}"
