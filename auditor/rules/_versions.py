"""Where a document states its version: version segments in the server URL, ``basePath`` or
the paths, and the major of ``info.version``. Read by versioning/ (is a version declared, do the
two agree) and diff/ (did a breaking change come with a new major)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from auditor.document.context import Context, server_url, split_url
from auditor.document.document import At

VERSION_SEGMENT = re.compile(r"^v(\d+)(?:\.\d+)*(?:[a-z]+\d*)?$|^\d{4}-\d{2}-\d{2}$", re.IGNORECASE)
BARE_VERSION = re.compile(r"^(\d+)(?:\.\d+)?$")  # /1.1, /2.0, /2
VERSION_VARIABLE = re.compile(r"^(?:api[-_]?)?version$", re.IGNORECASE)
META_SEGMENTS = {
    "health", "healthz", "livez", "readyz", "ready", "live", "ping", "status", "metrics", ".well-known",
    "openapi", "openapi.json", "openapi.yaml", "swagger", "swagger.json", "docs", "version", "versions",
}  # fmt: skip
DATE_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[-.][0-9A-Za-z.-]+)?$")


@dataclass(frozen=True)
class UrlVersion:
    segment: str
    at: At


def segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _substitute(url: str, variables: Any) -> tuple[str, bool]:
    """Server URL with variable defaults; True when a variable itself is named like a version."""
    named_version = isinstance(variables, dict) and any(VERSION_VARIABLE.match(str(name)) and f"{{{name}}}" in url for name in variables)
    return server_url({"url": url, "variables": variables}), named_version


def url_versions(ctx: Context) -> list[UrlVersion]:
    """Version segments in server URLs (3.x) or ``basePath`` (2.0), else in the paths (when at
    least half of the non-meta paths carry one)."""
    found: list[UrlVersion] = []
    if ctx.is_swagger2:
        base = ctx.data.get("basePath")
        if isinstance(base, str):
            found += [UrlVersion(s, ctx.root.child("basePath")) for s in segments(base) if _base_version(s)]
    else:
        servers = ctx.data.get("servers")
        for i, server in enumerate(servers if isinstance(servers, list) else []):
            if not isinstance(server, dict) or not isinstance(server.get("url"), str):
                continue
            url, named = _substitute(server["url"], server.get("variables"))
            at = ctx.root.child("servers", i, "url")
            parts = split_url(url)
            segs = [s for s in segments(parts.path) if _base_version(s)] if parts else []
            found += [UrlVersion(s, at) for s in segs]
            if named and not segs:
                found.append(UrlVersion("{version}", at))
    if found:
        return found
    paths = ctx.data.get("paths")
    if not isinstance(paths, dict):
        return []
    per_path, unversioned = [], 0
    for path in paths:
        if not isinstance(path, str) or path.startswith("x-"):
            continue
        segs = segments(path)
        if is_meta(segs):
            continue
        hit = next((s for s in segs if _path_version(s)), None)
        if hit is None:
            unversioned += 1
        else:
            per_path.append(UrlVersion(hit, ctx.root.child("paths", path)))
    return per_path if len(per_path) >= unversioned else []


def _base_version(segment: str) -> bool:
    return bool(VERSION_SEGMENT.match(segment) or BARE_VERSION.match(segment))


def _path_version(segment: str) -> bool:
    """A literal ``v2``/``2``/``1.1``/date segment (ids are always templated in OpenAPI paths),
    or a template named like a version (``{version}``, ``{apiVersion}``)."""
    if segment.startswith("{") and segment.endswith("}"):
        return bool(VERSION_VARIABLE.match(segment[1:-1]))
    return _base_version(segment)


def is_meta(parts: list[str]) -> bool:
    """/health, /openapi.json, ... and anything under /.well-known: unversioned on purpose."""
    return bool(parts) and parts[0].lower() in META_SEGMENTS or ".well-known" in parts


def url_major(segment: str) -> int | None:
    """``v2beta1`` -> 2, ``2.0`` -> 2; None for dates and variables."""
    m = VERSION_SEGMENT.match(segment)
    if m is not None:
        return int(m.group(1)) if m.group(1) is not None else None
    m = BARE_VERSION.match(segment)
    return int(m.group(1)) if m else None


def version_major(value: str) -> int | None:
    """The MAJOR of a version string (``v2.1.0`` -> 2); None for dates and non-numeric versions."""
    if DATE_VERSION.match(value):
        return None
    m = re.match(r"^v?(\d+)(?:\.\d+)*(?:[-+].*)?$", value, re.IGNORECASE)
    return int(m.group(1)) if m else None
