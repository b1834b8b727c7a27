"""Reading the raw bytes of a document: a file, standard input, or an explicit http(s) URL.

Limits are enforced here, at the door: a size cap (read at most cap + 1 bytes), a timeout for
URLs, no other URL schemes."""

from __future__ import annotations

import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from auditor.exceptions import InputError

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class RawSource:
    """Bytes of a document and how to name it. ``base_dir`` anchors relative ``$ref``s
    (None for stdin and URLs, which may not reference local files)."""

    name: str
    data: bytes
    base_dir: Path | None
    is_url: bool = False


def read_source(spec: str, *, max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = 30.0, regular_only: bool = False) -> RawSource:
    """``regular_only`` refuses FIFOs, devices and sockets (used for ``$ref`` targets, which the
    document chooses; the user may still name a pipe as the root document)."""
    if spec == "-":
        data = _read_capped(sys.stdin.buffer, max_bytes, "<stdin>")
        return RawSource("<stdin>", data, Path.cwd())
    if spec.startswith(("http://", "https://")):
        return RawSource(spec, _fetch_url(spec, max_bytes, timeout), None, is_url=True)
    if "://" in spec:
        raise InputError(
            f"unsupported URL scheme in {spec!r}",
            hint="give a file path, '-' for standard input, or an http(s):// URL",
        )
    path = Path(spec)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError("file not found", where=spec, hint="check the path (it is relative to the current directory)") from None
    except (OSError, ValueError) as exc:  # name too long, symlink loop, NUL byte, ...
        raise InputError(f"cannot read file: {getattr(exc, 'strerror', None) or exc}", where=spec, hint="check the path") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a directory, not a document", where=spec, hint="name the root OpenAPI file inside it")
    if regular_only and not stat.S_ISREG(st.st_mode):
        raise InputError("not a regular file (a pipe, device or socket)", where=spec, hint="refer to a YAML or JSON file")
    try:
        size = st.st_size
        if size > max_bytes:
            raise _too_big(spec, max_bytes)
        with path.open("rb") as fh:
            data = _read_capped(fh, max_bytes, spec)
    except PermissionError:
        raise InputError("permission denied", where=spec, hint="make the file readable") from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", where=spec, hint="check the path and that the file is readable") from None
    return RawSource(spec, data, path.resolve().parent)


def _read_capped(fh, max_bytes: int, name: str) -> bytes:
    data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_big(name, max_bytes)
    return data


def _too_big(name: str, max_bytes: int) -> InputError:
    return InputError(
        f"document is larger than the {max_bytes // (1024 * 1024)} MiB limit",
        where=name,
        hint="raise the limit with --max-size MB if the document is genuine",
    )


def _fetch_url(url: str, max_bytes: int, timeout: float) -> bytes:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "auditor", "Accept": "application/json, application/yaml, */*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 (explicit user URL)
            return _read_capped(resp, max_bytes, url)
    except urllib.error.HTTPError as exc:
        raise InputError(f"HTTP {exc.code} when fetching the document", where=url, hint="check the URL") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"cannot fetch the document: {reason}", where=url, hint="check the URL and the network") from None
