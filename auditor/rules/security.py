"""security/: authentication is declared, applied to every operation, and not weak or leaky.

Decisions:

- The effective requirements of an operation are its own ``security`` if the key exists, else the
  root ``security`` (inheritance). ``[]`` means unsecured; a ``{}`` entry means auth is optional.
- Public on purpose: an operation listed in the project config ``public`` list, or whose path is a
  conventional public endpoint (health, login, token, OAuth, ``/.well-known/``, docs: option
  ``public-paths``). Public operations are never reported as unsecured, and need no 401.
- Writes (POST, PUT, PATCH, DELETE) and reads (GET, HEAD) are two rules so each can have its own
  severity: ``security/operations-secured`` (error) and ``security/reads-secured`` (warn).
  OPTIONS and TRACE are never checked (CORS pre-flight requests carry no credentials).
- A document with no security scheme at all is reported once by ``security/schemes-defined``;
  the per-operation rules stay quiet then rather than repeat one cause on every operation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from auditor.document.context import Context, server_url, split_url
from auditor.document.document import At, OperationRef
from auditor.rules.registry import Option, Violation, rule

WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
READ_METHODS = frozenset({"get", "head", "query"})

_STATIC_PREFIX = r"^(?:/[^/{}]+)*?/"  # only literal segments before the keyword: /v1/health, not /jobs/{id}/ping
DEFAULT_PUBLIC_PATHS = [
    _STATIC_PREFIX + r"_?(?i:health(?:[-_]?check|z)?|livez?|liveness|readyz?|readiness|ping|heartbeat)(?:\.json)?(?:/[^{}]*)?$",
    _STATIC_PREFIX + r"(?i:actuator/(?:health|info))(?:/[^{}]*)?$",
    _STATIC_PREFIX + r"(?i:login|logout|sign-?in|sign-?up|register|(?:request|access|refresh|id)?[-_]?token|authorize|revoke)/?$",
    r"(?:^|/)(?i:oauth2?|openid-connect)/",  # the authorization server's own protocol endpoints
    r"(?:^|/)\.well-known/",
    _STATIC_PREFIX + r"(?i:openapi|swagger|api-docs|docs)(?:[-._/][^{}]*)?$",
]

CREDENTIAL_NAMES = (
    r"(?i)^(client[-_]?secret|(access|refresh|id|auth|bearer|session)?[-_]?token|password|passwd|pwd"
    r"|secret|api[-_]?key|apikey|x[-_]api[-_]key|private[-_]?key|jwt)$"
)
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
WEAK_HTTP_SCHEMES = {"basic", "digest", "negotiate", "oauth"}
WEAK_OAUTH_FLOWS = {"implicit", "password"}


# --- shared helpers -----------------------------------------------------------------------------


def _conventional_public(ctx: Context, op: OperationRef) -> bool:
    patterns = ctx.options.get("public-paths", DEFAULT_PUBLIC_PATHS)
    return any(re.search(p, op.path) for p in patterns)


def is_public(ctx: Context, op: OperationRef) -> bool:
    """Public on purpose: listed in config ``public`` or a conventional public endpoint."""
    return ctx.is_public(op) or _conventional_public(ctx, op)


def _schemes(ctx: Context) -> tuple[dict[str, Any], At]:
    """The security schemes mapping, following a ``$ref`` on the mapping itself (seen in the
    wild: ``securitySchemes: {$ref: ./spec/components/securitySchemes.json}``)."""
    schemes, at = ctx.security_schemes()
    if isinstance(schemes, dict) and "$ref" in schemes:
        schemes, at = ctx.deref(schemes, at)
    return (schemes if isinstance(schemes, dict) else {}), at


def _has_schemes(ctx: Context) -> bool:
    schemes, _ = _schemes(ctx)
    return isinstance(schemes, dict) and bool(schemes)


def _requirements_at(ctx: Context, op: OperationRef) -> At:
    return op.at.child("security") if "security" in op.node else ctx.root.child("security")


def _requirements_used(ctx: Context) -> bool:
    """Whether any security requirement is in force anywhere (root or an operation)."""
    if isinstance(ctx.data.get("security"), list) and ctx.data["security"]:
        return True
    return any(isinstance(op.node.get("security"), list) and op.node["security"] for op in ctx.operations())


def _unsecured_ops(ctx: Context, methods: frozenset[str], *, allow_optional: bool) -> Iterator[Violation]:
    if not _has_schemes(ctx):
        if methods == WRITE_METHODS:  # security/schemes-defined says it once; each open write is its own risk
            for op in ctx.operations():
                if op.method in methods and not is_public(ctx, op):
                    yield Violation(f"{op.method.upper()} {op.path} has no security requirement (the document defines no security scheme)", op.at, operation=op)
        return
    if not _requirements_used(ctx):
        # one cause, one finding: the engine merges these (same place and message) and lists the operations
        _, at = _schemes(ctx)
        kind = "write" if methods == WRITE_METHODS else "read"
        message = f"security schemes are defined but no operation requires one: every {kind} operation is open"
        for op in ctx.operations():
            if op.method in methods and not is_public(ctx, op):
                yield Violation(message, at, operation=op)
        return
    for op in ctx.operations():
        if op.method in methods:
            yield from _unsecured(ctx, op, allow_optional=allow_optional)


def _unsecured(ctx: Context, op: OperationRef, *, allow_optional: bool) -> Iterator[Violation]:
    if is_public(ctx, op):
        return
    reqs = ctx.security(op)
    where = f"{op.method.upper()} {op.path}"
    if not reqs:
        if "security" in op.node:
            msg = f"{where} turns authentication off (security: []) but is not listed as public"
            off_hint = "remove `security: []`, or add the endpoint to `public:` in auditor.yaml if it is public on purpose"
            yield Violation(msg, op.at.child("security"), hint=off_hint, operation=op)
            return
        auth_param = "authorization" in ctx.header_params(op)
        msg = f"{where} has no security requirement (none on the operation, none inherited from the root)"
        hint: str | None = None
        if auth_param:
            msg += "; an `Authorization` header parameter is ignored by OpenAPI"
            hint = "model the credential as a security scheme and require it (`security:`), not as a header parameter"
        yield Violation(msg, op.at, hint=hint, operation=op)
        return
    if not allow_optional and any(isinstance(r, dict) and not r for r in reqs):
        yield Violation(
            f"{where} makes authentication optional (an empty `{{}}` requirement)",
            _requirements_at(ctx, op),
            hint="drop the `{}` entry so a credential is required",
            operation=op,
        )


_PUBLIC_OPTION = Option(
    "public-paths",
    list,
    DEFAULT_PUBLIC_PATHS,
    "regexes (searched in the path) of endpoints that are public by convention: health, login, token, .well-known, docs",
)


# --- rules --------------------------------------------------------------------------------------


@rule(
    "security/schemes-defined",
    severity="error",
    summary="The document defines at least one security scheme",
    hint="define how clients authenticate under components.securitySchemes (Swagger 2.0: securityDefinitions) and require it",
    options=[_PUBLIC_OPTION],
)
def schemes_defined(ctx: Context):
    """
    What it checks: `components.securitySchemes` (Swagger 2.0: `securityDefinitions`) defines at
    least one scheme. A document whose every operation is public (config `public` list or a
    conventional public path such as `/health`) is not reported.

    Why it matters: a contract that does not say how to authenticate is either an open API or an
    incomplete contract; clients, gateways and generated SDKs cannot tell which (OWASP API2).

    Bad:
        openapi: 3.0.3
        paths:
          /orders: {post: {responses: {"201": {description: created}}}}

    Good:
        components:
          securitySchemes:
            bearer: {type: http, scheme: bearer, bearerFormat: JWT}
        security: [{bearer: []}]

    Fix: declare the scheme(s) the API accepts and reference them from `security`.
    """
    if _has_schemes(ctx):
        return
    if not any(not is_public(ctx, op) for op in ctx.operations()):
        return
    _, at = _schemes(ctx)
    if ctx.is_swagger2 and "securityDefinitions" not in ctx.data:
        at = ctx.root
    elif not ctx.is_swagger2:
        components = ctx.data.get("components")
        if not isinstance(components, dict):
            at = ctx.root
        elif not isinstance(components.get("securitySchemes"), dict):
            at = ctx.root.child("components")
    yield Violation("no security scheme is defined", at)


@rule(
    "security/operations-secured",
    severity="error",
    summary="Every write operation (POST, PUT, PATCH, DELETE) requires authentication unless it is public on purpose",
    hint="require a security scheme on the operation or at the root; list deliberate public endpoints under `public:` in auditor.yaml",
    options=[_PUBLIC_OPTION],
)
def operations_secured(ctx: Context):
    """
    What it checks: every POST, PUT, PATCH and DELETE has a non-empty effective security
    requirement (its own `security`, else the root's) without an empty `{}` entry (which makes
    auth optional). Exempt: endpoints listed in the config `public` list and conventional public
    endpoints (option `public-paths`: health, login, token, OAuth, `/.well-known/`, docs). An explicit
    `security: []` on any other write is reported: listing it as public is how you say it is
    deliberate. A header parameter named `Authorization` does not count (OpenAPI ignores it).
    When the document defines no scheme at all, `security/schemes-defined` reports that once and
    every write that is not public is a finding of its own (each is an open door, as OWASP-style
    rulesets count them); when it defines schemes but no requirement uses them anywhere, one
    finding at the schemes lists the unsecured operations (one cause, one finding). Reads are
    checked by `security/reads-secured`.

    Why it matters: an unauthenticated write is the most expensive mistake in OWASP's API Top 10
    (API2 broken authentication, API5 broken function-level authorization).

    Bad:
        security: [{bearer: []}]
        paths:
          /orders/{id}:
            delete:
              security: []          # auth switched off, not listed as public

    Good:
        security: [{bearer: []}]
        paths:
          /orders/{id}:
            delete: {responses: {...}}   # inherits bearer
          /login:
            post: {security: [], ...}    # conventional public endpoint

    Fix: require a scheme, or add the endpoint to `public:` in auditor.yaml.
    """
    yield from _unsecured_ops(ctx, WRITE_METHODS, allow_optional=False)


@rule(
    "security/reads-secured",
    severity="warn",
    summary="Every read operation (GET, HEAD) requires authentication (or optional auth) unless it is public on purpose",
    hint="require a security scheme on the operation or at the root; list deliberate public endpoints under `public:` in auditor.yaml",
    options=[_PUBLIC_OPTION],
)
def reads_secured(ctx: Context):
    """
    What it checks: every GET and HEAD (and OpenAPI 3.2 QUERY) has a non-empty effective
    security requirement, with the same public exemptions as `security/operations-secured`.
    Optional auth (a `{}` entry) is accepted on reads: a public read that returns more to an
    authenticated caller is a common, legitimate design. Schemes defined but required nowhere
    give one finding listing the operations, as in `security/operations-secured`.

    Why it matters: reads leak data (OWASP API1/API3); an unsecured read should be a decision,
    written down, not an omission. It is a warning because public read APIs are common (an
    error in the strict pack).

    Bad:
        security: [{apiKey: []}]
        paths:
          /customers:
            get: {security: [], ...}

    Good:
        paths:
          /customers:
            get: {security: [{apiKey: []}], ...}
          /catalog:
            get: {security: [{}, {apiKey: []}], ...}   # optional auth

    Fix: require a scheme, or add the endpoint to `public:` in auditor.yaml.
    """
    yield from _unsecured_ops(ctx, READ_METHODS, allow_optional=True)


@rule(
    "security/scheme-exists",
    severity="error",
    summary="Every security requirement names a defined security scheme",
    hint="define the scheme under components.securitySchemes (Swagger 2.0: securityDefinitions), or fix the name",
)
def scheme_exists(ctx: Context):
    """
    What it checks: every name used in a security requirement (root or operation) is a key of
    `components.securitySchemes` (Swagger 2.0: `securityDefinitions`).

    Why it matters: a requirement naming an undefined scheme is silently ignored by most tools,
    so the operation looks secured but nothing tells a client or gateway how.

    Bad:
        security: [{bearerAuth: []}]
        components: {securitySchemes: {bearer: {type: http, scheme: bearer}}}

    Good:
        security: [{bearer: []}]
        components: {securitySchemes: {bearer: {type: http, scheme: bearer}}}

    Fix: use the exact scheme name (names are case-sensitive) or define the scheme.
    """
    schemes, _ = _schemes(ctx)
    names = set(schemes) if isinstance(schemes, dict) else set()
    places: list[tuple[Any, At]] = [(ctx.data.get("security"), ctx.root.child("security"))]
    places += [(op.node.get("security"), op.at.child("security")) for op in ctx.operations()]
    for reqs, at in places:
        if not isinstance(reqs, list):
            continue
        for i, req in enumerate(reqs):
            if not isinstance(req, dict):
                continue
            for name in req:
                if name not in names:
                    yield Violation(f"security requirement names undefined scheme {name!r}", at.child(i, name))


@rule(
    "security/no-credentials-in-url",
    severity="error",
    summary="No API key scheme or credential-named parameter travels in the query string or path",
    hint="send credentials in a header (Authorization or an apiKey scheme `in: header`), never in the URL",
    options=[Option("names", str, CREDENTIAL_NAMES, "regex of query/path parameter names that carry credentials")],
)
def no_credentials_in_url(ctx: Context):
    """
    What it checks: apiKey security schemes with `in: query`, and query or path parameters whose
    name is a credential (`token`, `access_token`, `api_key`, `password`, `client_secret`,
    `session_token`, ... option `names`, matched against the whole name so `page_token`,
    `next_token` and resource ids such as `session_id` or Twilio's `Sid` are not flagged). A
    plain `token` (or `_token`) beside a page-size parameter (`limit`, `page_size`, `per_page`,
    ...) is the next page's cursor, not a credential (Kinto, Airflow). Works on Swagger 2.0 and
    OpenAPI 3.x; a parameter defined once as a component is reported once.

    Why it matters: URLs are written to access logs, proxy logs, browser history and `Referer`
    headers; a credential there leaks (OWASP API2, API8).

    Bad:
        securitySchemes: {key: {type: apiKey, in: query, name: api_key}}
        parameters: [{name: access_token, in: query, schema: {type: string}}]

    Good:
        securitySchemes: {key: {type: apiKey, in: header, name: X-API-Key}}

    Fix: move the credential to a header and deprecate the query form.
    """
    schemes, schemes_at = _schemes(ctx)
    if isinstance(schemes, dict):
        for name, raw in schemes.items():
            scheme, at = ctx.deref(raw, schemes_at.child(name))
            if isinstance(scheme, dict) and scheme.get("type") == "apiKey" and scheme.get("in") == "query":
                yield Violation(f"security scheme {name!r} sends the API key in the query string", at.child("in"))
    pattern = re.compile(ctx.options.get("names", CREDENTIAL_NAMES))
    for op in ctx.operations():
        params = ctx.parameters(op)
        paged = any(PAGE_SIZE.match(p.name) for p in params if p.location == "query")
        for p in params:
            if p.location in ("query", "path") and pattern.search(p.name):
                if paged and CURSOR.match(p.name):
                    continue  # `token` beside `limit`: the next page's cursor (Kinto's _token, Airflow's token)
                yield Violation(f"{p.location} parameter {p.name!r} carries a credential in the URL", p.at, operation=op)


PAGE_SIZE = re.compile(r"(?i)^_?(limit|page[-_]?size|per[-_]?page|max[-_]?results|count)$")
CURSOR = re.compile(r"(?i)^_?(token|next[-_]?token)$")


def _server_urls(ctx: Context) -> Iterator[tuple[str, At, dict]]:
    """3.x server URLs at root, path and operation level, variables replaced by their defaults."""
    holders: list[tuple[Any, At]] = [(ctx.data, ctx.root)]
    paths = ctx.data.get("paths")
    if isinstance(paths, dict):
        for path, item in paths.items():
            item, item_at = ctx.deref(item, ctx.root.child("paths", path))
            if isinstance(item, dict):
                holders.append((item, item_at))
                holders += [(op, item_at.child(m)) for m, op in item.items() if isinstance(op, dict)]
    for holder, at in holders:
        servers = holder.get("servers") if isinstance(holder, dict) else None
        if not isinstance(servers, list):
            continue
        for i, server in enumerate(servers):
            if not isinstance(server, dict) or not isinstance(server.get("url"), str):
                continue
            yield server_url(server), at.child("servers", i, "url"), server


def _is_local(host: str) -> bool:
    host = host.strip("[]").lower()
    return host in LOCAL_HOSTS or host.endswith(".localhost") or host.endswith(".local")


@rule(
    "security/https-only",
    severity="error",
    summary="Servers are reached over HTTPS only (localhost and relative URLs exempt)",
    hint="serve the API over https:// (wss:// for websockets) and list only those URLs",
)
def https_only(ctx: Context):
    """
    What it checks: OpenAPI 3.x `servers` URLs at the root, path and operation levels (server
    variables replaced by their defaults) do not use `http://` or `ws://`; Swagger 2.0 `schemes`
    (root and operation) list only `https`/`wss`. Exempt: relative URLs, and the hosts
    `localhost`, `127.0.0.1`, `[::1]`, `0.0.0.0`, `*.localhost` and `*.local` (development
    servers). A Swagger 2.0 document without `schemes` is not reported (the scheme is then the
    one the document was served with).

    Why it matters: credentials and data sent over plain HTTP can be read and altered in
    transit (OWASP API8).

    Bad:
        servers: [{url: "http://api.example.com/v1"}]
        schemes: [http, https]        # Swagger 2.0

    Good:
        servers:
          - url: https://api.example.com/v1
          - url: http://localhost:8080/v1
        schemes: [https]

    Fix: drop the plain-HTTP entries; redirect HTTP to HTTPS at the edge.
    """
    if ctx.is_swagger2:
        host = str(ctx.data.get("host") or "").split(":")[0]
        if host and _is_local(host):
            return
        holders = [(ctx.data, ctx.root)] + [(op.node, op.at) for op in ctx.operations()]
        for holder, at in holders:
            schemes = holder.get("schemes")
            if isinstance(schemes, list):
                for i, s in enumerate(schemes):
                    if str(s).lower() in ("http", "ws"):
                        yield Violation(f"scheme {s!r} is plain text", at.child("schemes", i))
        return
    for url, at, _server in _server_urls(ctx):
        parts = split_url(url)
        if parts is None:  # e.g. "http://[/": not a URL at all; contract/spec-valid's business
            continue
        if parts.scheme.lower() in ("http", "ws") and not _is_local(parts.hostname or ""):
            yield Violation(f"server {url!r} is not HTTPS", at)


@rule(
    "security/no-weak-schemes",
    severity="warn",
    summary="No HTTP Basic/Digest/Negotiate schemes and no OAuth2 implicit or password flows",
    hint="use bearer tokens (OAuth2 authorization code with PKCE, client credentials) or mutual TLS",
)
def no_weak_schemes(ctx: Context):
    """
    What it checks: security schemes of type `http` with scheme `basic`, `digest`, `negotiate`
    or `oauth` (OAuth 1), Swagger 2.0 `type: basic`, and OAuth2 `implicit` or `password`
    flows (3.x `flows` keys, 2.0 `flow`).

    Why it matters: Basic sends a long-lived password with every request; Digest relies on MD5;
    the OAuth 2.0 Security BCP (RFC 9700) says the implicit grant SHOULD NOT and the resource-owner
    password grant MUST NOT be used (OWASP API2).

    Bad:
        securitySchemes:
          basic: {type: http, scheme: basic}
          oauth: {type: oauth2, flows: {implicit: {authorizationUrl: ..., scopes: {}}}}

    Good:
        securitySchemes:
          oauth: {type: oauth2, flows: {authorizationCode: {authorizationUrl: ..., tokenUrl: ..., scopes: {}}}}

    Fix: move clients to token-based flows; keep a weak scheme only for a deprecation period.
    """
    schemes, schemes_at = _schemes(ctx)
    if not isinstance(schemes, dict):
        return
    for name, raw in schemes.items():
        scheme, at = ctx.deref(raw, schemes_at.child(name))
        if not isinstance(scheme, dict):
            continue
        kind = scheme.get("type")
        if kind == "basic":
            yield Violation(f"security scheme {name!r} is HTTP Basic", at.child("type"))
        elif kind == "http" and str(scheme.get("scheme", "")).lower() in WEAK_HTTP_SCHEMES:
            yield Violation(f"security scheme {name!r} uses the weak HTTP scheme {scheme['scheme']!r}", at.child("scheme"))
        elif kind == "oauth2":
            if str(scheme.get("flow", "")) in WEAK_OAUTH_FLOWS:
                yield Violation(f"security scheme {name!r} uses the OAuth2 {scheme['flow']} flow", at.child("flow"))
            flows = scheme.get("flows")
            for flow in flows if isinstance(flows, dict) else ():
                if flow in WEAK_OAUTH_FLOWS:
                    yield Violation(f"security scheme {name!r} uses the OAuth2 {flow} flow", at.child("flows", flow))


@rule(
    "security/auth-errors-documented",
    severity="warn",
    summary="Secured operations document 401, and 403 when they require scopes",
    hint="add a 401 response (and 403 when scopes are required) with the error body clients will receive",
    options=[
        Option("accept-catch-all", bool, True, "a 4XX range or `default` response counts as documenting 401/403"),
        _PUBLIC_OPTION,
    ],
)
def auth_errors_documented(ctx: Context):
    """
    What it checks: every operation whose effective security is required (non-empty, no `{}`
    entry, not public) documents a `401` response; when a requirement lists scopes, also `403`.
    A `4XX` range or `default` response counts (option `accept-catch-all`, off in the strict
    pack): it documents the error every 4xx shares. Public and optional-auth operations are
    not checked.

    Why it matters: clients must tell "log in again" (401) from "you may not" (403) to recover
    correctly; undocumented auth errors are the first thing a generated client fails on.

    Bad:
        security: [{oauth: [orders:write]}]
        paths: {/orders: {post: {responses: {"201": {description: created}}}}}

    Good:
        responses:
          "201": {description: created}
          "401": {$ref: "#/components/responses/Unauthorized"}
          "403": {$ref: "#/components/responses/Forbidden"}

    Fix: document both responses once under `components/responses` and reference them.
    """
    catch_all = ctx.options.get("accept-catch-all", True)
    for op in ctx.operations():
        reqs = ctx.security(op)
        if not reqs or any(isinstance(r, dict) and not r for r in reqs) or is_public(ctx, op):
            continue
        statuses = {r.status.upper() for r in ctx.responses(op)}
        if catch_all and ("4XX" in statuses or "DEFAULT" in statuses):
            continue
        scoped = any(isinstance(r, dict) and any(isinstance(s, list) and s for s in r.values()) for r in reqs)
        missing = [c for c in ("401", "403") if c not in statuses and (c == "401" or scoped)]
        if missing:
            yield Violation(
                f"{op.method.upper()} {op.path} is secured but does not document {' or '.join(missing)}",
                op.at.child("responses"),
                operation=op,
            )
