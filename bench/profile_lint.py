"""Where the time of one `auditor lint` goes: load (read + parse), each enabled rule (the
validation is contract/spec-valid), and the engine's own work (locations, de-dup, sorting).

    python bench/profile_lint.py FILE [--pack NAME] [--top 15]

In-process CPU time per phase, so it is stable on a busy machine. For a call-level profile use
`python -m cProfile -s cumtime -m auditor lint FILE -f json -o /dev/null`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def profile(path: str, pack: str | None, top: int) -> None:
    sys.path.insert(0, str(ROOT))
    from auditor import api
    from auditor.engine import run_rules
    from auditor.model import Source
    from auditor.rules import load_builtin_rules

    clock = time.process_time
    t0 = clock()
    options = api.LintOptions(pack=pack)
    config = api.load_effective_config(options)
    registry = load_builtin_rules()
    t1 = clock()
    spec = api.load_document(path, options)
    t2 = clock()
    costs = []
    for r in config.enabled_rules(registry):
        if r.check is None or r.source is not Source.LINT:
            continue
        start = clock()
        run_rules(spec, config, registry, only=[r.id])
        costs.append((clock() - start, r.id))
    t3 = clock()
    run_rules(spec, config, registry)  # everything together (rules share nothing but the Document)
    t4 = clock()
    print(f"{Path(path).name}: imports+config {t1 - t0:.2f}s, load {t2 - t1:.2f}s, rules one by one {t3 - t2:.2f}s, all rules in one run {t4 - t3:.2f}s")
    for cost, rule_id in sorted(costs, reverse=True)[:top]:
        print(f"  {cost:7.3f}s  {rule_id}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--pack")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    for f in args.files:
        profile(f, args.pack, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
