"""versioning/: the API says which version a client talks to, and says it consistently.

Where the version lives differs between guidelines: a URL segment (server URL,
Swagger 2.0 ``basePath`` or the first path segments; Google, IBM, Microsoft), a header (GitHub,
Stripe), a query parameter (Azure ``api-version``) or the media type (Zalando). Every mechanism
counts unless the ``allowed`` option narrows it. ``info.version`` is the version of the
*document* in OAS 3.1, so its format and its agreement with the URL are softer checks.
"""

from __future__ import annotations

import re

from auditor.document.context import Context
from auditor.document.document import At
from auditor.exceptions import InputError
from auditor.rules._versions import DATE_VERSION, is_meta, segments, url_major, url_versions, version_major
from auditor.rules.registry import Option, Violation, rule

MECHANISMS = ("url", "header", "query", "media-type")
VERSION_HEADER = re.compile(r"version$", re.IGNORECASE)
VERSION_QUERY = re.compile(r"^(?:api[-_.]?)?version$", re.IGNORECASE)
VERSION_MEDIA = re.compile(r"^application/vnd\.[^;]*?[.-]v\d+|;\s*(?:api-?)?version\s*=|;\s*v\s*=\s*\d", re.IGNORECASE)
SEMVER = re.compile(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
MAJOR_MINOR = re.compile(r"^v?\d+\.\d+$")


def _versionable_ops(ctx: Context):
    for op in ctx.operations():
        if not is_meta(segments(op.path)):
            yield op


def _param_mechanism(ctx: Context, location: str, pattern: re.Pattern[str]) -> bool:
    ops = list(_versionable_ops(ctx))
    return bool(ops) and all(any(p.location == location and pattern.search(p.name) for p in ctx.parameters(op)) for op in ops)


def _media_mechanism(ctx: Context) -> bool:
    with_media = 0
    for op in _versionable_ops(ctx):
        types = [m.media_type for r in ctx.responses(op) for m in ctx.response_media(op, r)]
        types += [m.media_type for m in ctx.request_bodies(op)]
        if not types:
            continue
        with_media += 1
        if not any(VERSION_MEDIA.search(t) for t in types):
            return False
    return with_media > 0


def mechanisms(ctx: Context) -> dict[str, At | None]:
    """Declared version mechanisms -> where (for url) or None."""
    found: dict[str, At | None] = {}
    urls = url_versions(ctx)
    if urls:
        found["url"] = urls[0].at
    if _param_mechanism(ctx, "header", VERSION_HEADER):
        found["header"] = None
    if _param_mechanism(ctx, "query", VERSION_QUERY):
        found["query"] = None
    if _media_mechanism(ctx):
        found["media-type"] = None
    return found


@rule(
    "versioning/version-declared",
    severity="warn",
    summary="The API declares a version mechanism (URL segment, header, query parameter or media type)",
    hint="put the major version in the server URL (/v1), or declare a version header, an api-version query parameter or a versioned media type",
    options=[Option("allowed", list, list(MECHANISMS), "mechanisms that count: url, header, query, media-type")],
)
def version_declared(ctx: Context):
    """
    What it checks: the document declares how a client selects the API version, by one of the
    mechanisms in the `allowed` option (all four by default):

    - `url`: a segment like `v1`, `v2beta1` or `2024-01-01` in a server URL (variable defaults
      substituted; a server variable named `version` counts) or Swagger 2.0 `basePath`, where a
      bare `1.1` or `2` counts too; or in the paths themselves: at least half of them (meta
      paths like `/health`, `/openapi.json` and `/.well-known/...` not counted) have such a
      literal segment anywhere (`/2/tweets`, `/api/2/issue`, `/vendor/shipping/v1/labels`;
      ids are templated in OpenAPI, so a literal number is a version) or a template named
      `{version}`. Half, not all: APIs that version most paths and leave a few helpers
      unversioned (Argo, Kubernetes) do declare a mechanism;
    - `header`: every operation has a header parameter whose name ends in `version`
      (`Api-Version`, `Accept-Version`, `Stripe-Version`, `X-GitHub-Api-Version`);
    - `query`: every operation has a query parameter `api-version` (or `version`);
    - `media-type`: every operation with a body uses a versioned media type
      (`application/vnd.acme.v2+json`, `application/json;version=2`).

    When the only mechanism found is one the policy does not allow, the message says which.

    Why it matters: without a version, every change is a change for every client at once;
    with one, old clients keep working while new ones move.

    Severity warn (the catalogue says error): gateways often add the version prefix outside the
    document, and Zalando discourages versioning altogether; strict makes it an error.

    Bad:
        servers: [{url: https://api.example.com}]
        paths: {/pets: ...}

    Good:
        servers: [{url: https://api.example.com/v1}]
        paths: {/pets: ...}

    Fix: choose one mechanism and declare it in the document.
    """
    allowed = [str(a).lower() for a in ctx.options.get("allowed", list(MECHANISMS))]
    unknown = set(allowed) - set(MECHANISMS)
    if unknown:
        raise InputError(
            f"rule versioning/version-declared: unknown mechanism(s) {', '.join(sorted(unknown))} in option 'allowed'",
            hint=f"known mechanisms: {', '.join(MECHANISMS)}",
        )
    if not list(ctx.operations()):
        return
    found = mechanisms(ctx)
    if any(m in allowed for m in found):
        return
    if found:
        name, at = next(iter(found.items()))
        yield Violation(
            f"the version is declared by {name}, which this policy does not allow (allowed: {', '.join(allowed)})",
            at or ctx.root,
        )
        return
    where = ctx.root.child("basePath" if ctx.is_swagger2 else "servers") if ("basePath" if ctx.is_swagger2 else "servers") in ctx.data else ctx.root
    yield Violation(f"no API version mechanism is declared (looked for: {', '.join(allowed)})", where)


def _info_version(ctx: Context) -> tuple[str, At] | None:
    info = ctx.data.get("info")
    if not isinstance(info, dict) or "version" not in info or info["version"] is None:
        return None
    return str(info["version"]).strip(), ctx.root.child("info", "version")


@rule(
    "versioning/info-version-semver",
    severity="warn",
    summary="info.version is a semantic version (MAJOR.MINOR.PATCH)",
    hint="write info.version as MAJOR.MINOR.PATCH, e.g. 1.4.0",
    options=[
        Option("allow-major-minor", bool, True, "accept a two-part MAJOR.MINOR version (1.0)"),
        Option("allow-date", bool, True, "accept a date version YYYY-MM-DD, optionally with a suffix (2024-01-01-preview)"),
    ],
)
def info_version_semver(ctx: Context):
    """
    What it checks: `info.version` is a semantic version `MAJOR.MINOR.PATCH` with optional
    pre-release and build parts (a leading `v` is tolerated). Two-part `1.0` versions and date
    versions (`2024-01-01`, Azure's `2024-01-01-preview`) are accepted unless the options
    `allow-major-minor` / `allow-date` are false (strict sets both false).

    Why it matters: a semantic version says what kind of change a new document is; tooling
    (changelogs, breaking-change gates, client generators) compares versions by it.

    Severity warn: OAS 3.1 defines `info.version` as the version of the document, not
    necessarily of the API, so this is convention rather than requirement.

    Bad:
        info: {title: Pets, version: "latest"}

    Good:
        info: {title: Pets, version: "1.4.0"}

    Fix: use MAJOR.MINOR.PATCH and bump it with every published change.
    """
    found = _info_version(ctx)
    if found is None:
        return
    value, at = found
    if SEMVER.match(value):
        return
    if ctx.options.get("allow-major-minor", True) and MAJOR_MINOR.match(value):
        return
    if ctx.options.get("allow-date", True) and DATE_VERSION.match(value):
        return
    yield Violation(f"info.version {value!r} is not a semantic version (MAJOR.MINOR.PATCH)", at)


@rule(
    "versioning/major-consistency",
    severity="info",
    summary="The major version in the URL matches the MAJOR of info.version",
    hint="bump info.version's MAJOR together with the URL segment (or the other way round)",
)
def major_consistency(ctx: Context):
    """
    What it checks: when the version is in the URL (server URL, `basePath` or path prefix, as
    in versioning/version-declared) with one single major (`v2`, `v2beta1`), the MAJOR of
    `info.version` is the same number. Documents that serve several majors (`/v1/...` and
    `/v2/...`), date and calendar versions (`2024-01-01`, `2025.0`) and non-numeric
    `info.version` values are skipped.

    Why it matters: the two numbers drift apart when a breaking change bumps one but not the
    other, and readers cannot tell which one is right.

    Info: `info.version` is formally the document's version, and a `0.x` document
    behind `/v1` is a legitimate choice for some teams.

    Bad:
        info: {version: 2.3.0}
        servers: [{url: https://api.example.com/v1}]

    Good:
        info: {version: 1.3.0}
        servers: [{url: https://api.example.com/v1}]

    Fix: align the two; a new URL major is a new MAJOR.
    """
    found = _info_version(ctx)
    if found is None:
        return
    value, at = found
    info_major = version_major(value)
    if info_major is None or info_major >= 1900:
        return  # not numeric, or a calendar version (2025.0): not comparable with /v2
    majors = set()
    for u in url_versions(ctx):
        major = url_major(u.segment)
        if major is None:
            return  # a date or a variable: nothing to compare
        majors.add(major)
    if len(majors) == 1 and info_major not in majors:
        yield Violation(f"info.version {value!r} has major {info_major} but the URL says v{majors.pop()}", at)
