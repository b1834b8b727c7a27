"""Documents read from git: ``REF:path`` (``origin/main:openapi.yaml``, ``HEAD~1:api/spec.yaml``)
is read with ``git cat-file`` at that revision, without a checkout. Relative ``$ref``s of such a
document are read at the same revision, inside the repository (or the ``--ref-root`` folder),
the way ``Document`` keeps file refs on disk inside the repository that holds the document.

Paths follow git's own rule: relative to the repository's top, except ``./`` and ``../`` which
are relative to the current folder. A name is shown as ``REF:path-from-the-top``.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from auditor.document.source import RawSource
from auditor.exceptions import InputError

TIMEOUT = 60.0
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_FETCH_HINT = "fetch it first (`git fetch origin main`; in GitHub Actions check out with `fetch-depth: 0`) or check its name"


def is_git_spec(spec: str) -> bool:
    """``REF:path`` that names no existing file, URL or standard input."""
    if spec == "-" or "://" in spec or _WINDOWS_DRIVE.match(spec) or os.path.exists(spec):
        return False
    ref, sep, path = spec.partition(":")
    return bool(sep and ref and path)


@dataclass(frozen=True)
class GitTree:
    """One revision of the repository around the current folder."""

    top: Path  # the working tree's top folder, where git runs
    ref: str  # as the user wrote it, for names
    commit: str  # what it resolved to when the diff started: every file is read at the same commit
    root_dir: str  # the folder (from the top, "" for the top) that relative $refs must stay inside

    def name(self, path: str) -> str:
        return f"{self.ref}:{path}"

    def join(self, name: str, url: str) -> tuple[str, bool]:
        """The path (from the top) a relative ``$ref`` in file ``name`` points at, and whether it
        stays inside ``root_dir``."""
        base = posixpath.dirname(name.partition(":")[2])
        target = posixpath.normpath(posixpath.join(base, url))
        inside = target.startswith(self.root_dir + "/") if self.root_dir else not target.startswith("../") and target != ".."
        return target, inside

    def read(self, path: str, max_bytes: int) -> RawSource:
        """The file's bytes at the revision; InputError when it is missing, not a file or too big."""
        spec = self.name(path)
        check = _git(self.top, ["cat-file", "--batch-check"], stdin=f"{self.commit}:{path}\n".encode()).split()
        if len(check) != 3 or check[1] != "blob":
            kind = "a folder" if len(check) == 3 and check[1] == "tree" else "missing"
            raise InputError(
                f"{path} is {kind} at {self.ref}" if kind != "missing" else f"{self.ref} has no file {path}",
                where=spec,
                hint="name the file from the repository's top (or with ./ from the current folder), as `git show REF:path` would",
            )
        if int(check[2]) > max_bytes:
            raise InputError(
                f"document is larger than the {max_bytes // (1024 * 1024)} MiB limit",
                where=spec,
                hint="raise the limit with --max-size MB if the document is genuine",
            )
        return RawSource(spec, _git_bytes(self.top, ["cat-file", "blob", check[0]]), None)


def open_tree(spec: str, ref_root: Path | None = None, cwd: Path | None = None) -> tuple[GitTree, str]:
    """The revision and the path (from the top) that ``REF:path`` names; InputError (one line,
    with a hint) when git is missing, the folder is not a repository or the revision is unknown."""
    ref, _, raw_path = spec.partition(":")
    if shutil.which("git") is None:
        raise InputError("git is not installed, so a revision cannot be read", where=spec, hint="install git, or give the document as a file")
    here = cwd or Path.cwd()
    top = _git(here, ["rev-parse", "--show-toplevel"], fail=f"no such file, and {here} is not inside a git repository to read it from", where=spec).strip()
    prefix = _git(here, ["rev-parse", "--show-prefix"], where=spec).strip()
    commit = _git(
        Path(top),
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
        fail=f"unknown git revision {ref!r} (and no file of that name)",
        where=spec,
        hint=_FETCH_HINT,
    ).strip()
    relative = raw_path.startswith(("./", "../")) or raw_path in (".", "..")
    path = posixpath.normpath(posixpath.join(prefix, raw_path) if relative else raw_path)
    if path.startswith("../") or path == ".." or posixpath.isabs(path):
        raise InputError("the path leaves the repository", where=spec, hint="name a file inside the repository")
    root_dir = ""  # the repository, as on disk (``default_ref_root``)
    if ref_root is not None:
        try:
            root_dir = ref_root.resolve().relative_to(Path(top).resolve()).as_posix().strip(".")
        except ValueError:
            raise InputError("--ref-root is outside the repository the revision is read from", where=spec, hint="give a folder inside the repository") from None
    return GitTree(Path(top), ref, commit, root_dir), path


def _git(cwd: Path, args: list[str], *, stdin: bytes | None = None, fail: str = "", where: str | None = None, hint: str = "") -> str:
    return _git_bytes(cwd, args, stdin=stdin, fail=fail, where=where, hint=hint).decode("utf-8", "surrogateescape")


def _git_bytes(cwd: Path, args: list[str], *, stdin: bytes | None = None, fail: str = "", where: str | None = None, hint: str = "") -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=stdin if stdin is not None else b"", capture_output=True, timeout=TIMEOUT, check=False)  # noqa: S603, S607 (git from PATH, fixed arguments)
    except subprocess.TimeoutExpired:
        raise InputError(
            f"git {args[0]} did not answer within {TIMEOUT:.0f} s", where=where, hint="check the repository (a lock, a slow file system)"
        ) from None
    except OSError as exc:
        raise InputError(f"cannot run git: {exc.strerror or exc}", where=where, hint="install git, or give the document as a file") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        message = fail or f"git {args[0]} failed: {detail[-1] if detail else f'exit {done.returncode}'}"
        raise InputError(message, where=where, hint=hint or "run the same git command to see why")
    return done.stdout
