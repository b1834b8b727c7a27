"""When each phase of one `auditor lint` ends, in wall seconds from the start of this script:
imports, config, load, the shared caches built before a split, the rule families (each process
says when its queue ran dry), merge, report.

    python bench/timeline.py FILE [lint options...]

It wraps the library's own functions (nothing is changed), runs `auditor lint FILE -f json -o
<temp file>` in this process and prints the marks on stderr.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
MARKS: list[tuple[str, float]] = []


def mark(name: str) -> None:
    MARKS.append((name, time.perf_counter() - T0))


def wrap(module, name: str, before: str | None, after: str) -> None:
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        if before:
            mark(before)
        result = original(*args, **kwargs)
        mark(after)
        return result

    setattr(module, name, wrapper)


def main(argv: list[str]) -> int:
    import auditor.cli as cli

    mark("cli imported")
    from auditor import api, engine, parallel

    mark("library imported")
    wrap(api, "load_spec", "config loaded", "document loaded")
    wrap(engine, "_prepare", None, "shared caches built")
    wrap(api, "run_rules", None, "findings merged and sorted")
    wrap(cli, "emit", None, "report written")
    parent, take = os.getpid(), parallel._take

    def timed_take(queue):
        yield from take(queue)
        if os.getpid() == parent:
            mark("parent: queue empty")
        else:
            sys.stderr.write(f"{time.perf_counter() - T0:.3f} child: queue empty\n")

    parallel._take = timed_take
    with tempfile.TemporaryDirectory() as tmp:
        code = cli.main(["lint", *argv, "-f", "json", "-o", os.path.join(tmp, "report.json")])
    mark("done")
    for name, at in MARKS:
        sys.stderr.write(f"{at:.3f} {name}\n")
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
