"""diff/ (version policy): a breaking change ships with a new major version. This is what makes
"versioning required" (versioning/) mean something: the lint rules check that a version
exists, this one that it moves when it must."""

from __future__ import annotations

from collections import Counter

from auditor.diff.pair import Change, DiffContext
from auditor.document.context import Context
from auditor.rules._versions import url_major, url_versions, version_major
from auditor.rules.registry import diff_rule


@diff_rule(
    "diff/major-bump-required",
    severity="error",
    summary="Breaking changes come with a new major version (info.version or the URL version)",
    hint="bump the MAJOR of info.version (and the /vN of the URL), or undo the breaking changes",
    after_changes=True,
)
def major_bump_required(pair: DiffContext):
    """
    What it checks: when the other diff rules report breaking changes (findings at severity
    error, after the pack and config), the new document has a new major version: the MAJOR of
    `info.version` (`1.4.0` -> `2.0.0`) or the version in the URL (server URL, `basePath` or
    path prefix: `/v1` -> `/v2`) differs from the old one. Date versions (`2024-01-01`) and
    other non-numeric versions state no major; when neither document states one, the finding
    says so. The finding points at the new `info.version`.

    Why it matters: a version number is a promise: clients pin a major version and expect
    every release under it to keep working. A breaking change under the same major breaks
    that promise silently; with a new major, clients can choose when to move.

    Bad:
        # old
        info: {version: 1.4.0}      # and GET /pets
        # new
        info: {version: 1.5.0}      # GET /pets removed

    Good:
        # new
        info: {version: 2.0.0}      # GET /pets removed

    Fix: bump the major version (and serve the old one alongside while clients move), or
    make the changes compatible.
    """
    if not pair.breaking:
        return
    old_v, new_v = _info_version(pair.old), _info_version(pair.new)
    old_major, new_major = version_major(old_v), version_major(new_v)
    old_urls, new_urls = _url_majors(pair.old), _url_majors(pair.new)
    if (old_major is not None and new_major is not None and old_major != new_major) or (old_urls and new_urls and old_urls != new_urls):
        return
    if old_major is not None and new_major is not None:
        why = f"the major version stays {new_major}"
    elif old_urls and new_urls:
        why = f"the URL version stays v{min(new_urls)}"
    else:
        why = ""
    yield Change(
        f"breaking changes but {why or 'neither document states a major version'} (info.version {old_v or '-'} -> {new_v or '-'})",
        _version_at(pair.new),
        before=old_v or None,
        after=new_v or None,
        old_at=_version_at(pair.old),
        evidence={
            "breaking": len(pair.breaking),
            "by_rule": dict(sorted(Counter(f.rule for f in pair.breaking).items())),
            "url_majors": {"before": sorted(old_urls), "after": sorted(new_urls)},
        },
        hint=None if why else "state info.version as MAJOR.MINOR.PATCH (or put /vN in the URL) and bump its major with breaking changes",
    )


def _info_version(ctx: Context) -> str:
    info = ctx.data.get("info")
    version = info.get("version") if isinstance(info, dict) else None
    return "" if version is None else str(version).strip()


def _version_at(ctx: Context):
    info = ctx.data.get("info")
    return ctx.root.child("info", "version") if isinstance(info, dict) and "version" in info else ctx.root


def _url_majors(ctx: Context) -> set[int]:
    return {m for m in (url_major(u.segment) for u in url_versions(ctx)) if m is not None}
