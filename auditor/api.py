"""The library surface. Functions here return values or raise ``AuditorError``; they never print
and never exit. The CLI is a thin layer over them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from auditor import __version__
from auditor.config import Config, load_config
from auditor.document.document import Document, RefPolicy
from auditor.document.source import DEFAULT_MAX_BYTES
from auditor.engine import run_rules
from auditor.exceptions import InputError
from auditor.model import DocumentError, DocumentInfo, Finding, Report
from auditor.rules import load_builtin_rules


@dataclass
class LintOptions:
    config_file: str | None = None
    pack: str | None = None
    allow_remote_refs: bool = False
    ref_root: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    only_rules: list[str] | None = None
    cwd: Path | None = None
    jobs: int | None = None  # processes for several documents; None: one per CPU; 1: this process only


def load_effective_config(options: LintOptions) -> Config:
    return load_config(load_builtin_rules(), config_file=options.config_file, pack=options.pack, cwd=options.cwd)


def load_document(path: str, options: LintOptions) -> Document:
    return Document.load(path, _ref_policy(options))


def _ref_policy(options: LintOptions) -> RefPolicy:
    return RefPolicy(
        allow_remote=options.allow_remote_refs,
        ref_root=Path(options.ref_root).resolve() if options.ref_root else None,
        max_bytes=options.max_bytes,
    )


def load_version(spec: str, options: LintOptions) -> Document:
    """A document to compare: a file, URL or '-' as for lint, or ``REF:path`` read from git at
    that revision (``origin/main:openapi.yaml``), relative $refs included."""
    from auditor.document import git_source

    policy = _ref_policy(options)
    if git_source.is_git_spec(spec):
        tree, path = git_source.open_tree(spec, policy.ref_root, options.cwd)
        return Document.load_tree(tree, path, policy)
    return Document.load(spec, policy)


def document_info(document: Document) -> DocumentInfo:
    info = document.data.get("info") if isinstance(document.data, dict) else None
    info = info if isinstance(info, dict) else {}
    title = info.get("title")
    version = info.get("version")
    return DocumentInfo(
        path=document.root.name,
        title=str(title) if title is not None else None,
        api_version=str(version) if version is not None else None,
        oas_version=document.oas_version,
    )


def lint_document(document: Document, config: Config, only_rules: list[str] | None = None) -> tuple[list[Finding], list[Finding]]:
    result = run_rules(document, config, load_builtin_rules(), only=only_rules)
    return result.findings, result.suppressed


def checked_rules(config: Config, only_rules: list[str] | None, stages: tuple[str, ...] = ("lint",)) -> tuple[str, ...]:
    """``Report.checked``: the ids of the rules a run applies, i.e. those the pack enables (or
    those named by ``--rule``) among the stages that ran (``Rule.stage``: lint, fuzz, diff). The
    audit adds the live checks it ran."""
    wanted = set(only_rules) if only_rules else None
    out = []
    for r in load_builtin_rules():
        if r.stage in stages and (r.id in wanted if wanted is not None else config.setting(r).enabled):
            out.append(r.id)
    return tuple(out)


def lint(paths: list[str], options: LintOptions | None = None, *, config: Config | None = None) -> Report:
    """Lint every document: ``paths`` may hold patterns (``catalogue.expand``); several documents
    run in parallel processes as ``options.jobs`` allows, reported in the order given. A document
    that cannot be read raises ``InputError`` when it is the only one; among several it is one
    of the report's ``errors`` and the others are linted."""
    from auditor import catalogue, parallel

    options = options or LintOptions()
    config = config or load_effective_config(options)
    paths = catalogue.expand(paths)
    jobs = options.jobs or os.cpu_count() or 1
    previous = parallel.set_limit(1 if jobs == 1 else None)
    try:
        results = catalogue.map_documents(paths, partial(_lint_path, options=options, config=config, alone=len(paths) == 1), jobs)
    finally:
        parallel.set_limit(previous)
    documents, findings, suppressed, errors = [], [], [], []
    for result in results:
        if isinstance(result, DocumentError):
            errors.append(result)
            continue
        info, found, hidden = result
        documents.append(info)
        findings.extend(found)
        suppressed.extend(hidden)
    return Report(
        command="lint",
        documents=tuple(documents),
        findings=tuple(findings),
        suppressed=tuple(suppressed),
        tool_version=__version__,
        checked=checked_rules(config, options.only_rules),
        errors=tuple(errors),
    )


def _lint_path(path: str, options: LintOptions, config: Config, alone: bool) -> tuple[DocumentInfo, list[Finding], list[Finding]] | DocumentError:
    try:
        document = load_document(path, options)
    except InputError as exc:
        if alone:
            raise
        return DocumentError(exc.where or path, exc.message, exc.hint)
    found, hidden = lint_document(document, config, options.only_rules)
    return document_info(document), found, hidden


def diff(old: str, new: str, options: LintOptions | None = None, *, config: Config | None = None) -> Report:
    """Compare two versions of a document with the diff rules (``source: diff`` findings, located
    in NEW, or in OLD for what is gone); raises ``InputError`` when either cannot be read."""
    from auditor.diff.engine import run_diff_rules
    from auditor.exceptions import UsageError

    if old == "-" and new == "-":
        raise UsageError("OLD and NEW cannot both be standard input", hint="give one of them as a file, a URL or GITREF:path")
    options = options or LintOptions()
    config = config or load_effective_config(options)
    documents = (load_version(old, options), load_version(new, options))
    findings, pair = run_diff_rules(*documents, config, load_builtin_rules(), only=options.only_rules)
    stats = {
        "diff": {
            "operations": {"old": len(list(pair.old.operations())), "new": len(list(pair.new.operations()))},
            "matched": len(pair.operation_pairs()),
            "removed": len(pair.removed_operations()),
            "added": len(pair.added_operations()),
        }
    }
    if pair.shared.schemas.truncated:
        stats["diff"]["truncated"] = True
    broken = {side: len(d.ref_problems) for side, d in zip(("old", "new"), documents) if d.ref_problems}
    if broken:
        stats["diff"]["unresolved_refs"] = broken
    return Report(
        command="diff",
        documents=tuple(document_info(d) for d in documents),
        findings=tuple(findings),
        stats=stats,
        tool_version=__version__,
        checked=checked_rules(config, options.only_rules, ("diff",)),
    )
