"""How long `auditor audit` takes on the bundled service, and where the time goes:
`python bench/audit_demo.py [drifted|conformant] [--max-examples N]`.

Starts the fixture service on a free port (rate limit 1000/min, as `./run demo`), runs the audit
in-process with the demo's options (seed 1, burst probe 1500) and prints the wall time, the
fuzz / probe split, request counts and the per-operation latency table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.cli import main as auditor  # noqa: E402
from fixtures.service import SPEC, TOKEN, running  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", nargs="?", default="drifted", choices=("drifted", "conformant"))
    parser.add_argument("--max-examples", default="10")
    args = parser.parse_args()
    out = Path("/tmp") / f"auditor-audit-bench-{args.mode}.json"
    with running(args.mode, token=TOKEN, rate_limit=1000) as service:
        started = time.monotonic()
        code = auditor(
            [
                "audit",
                str(SPEC),
                "--base-url",
                service.base_url,
                "--header",
                f"Authorization: Bearer {TOKEN}",
                "--seed",
                "1",
                "--max-examples",
                args.max_examples,
                "--probe-rate-limit",
                "1500",
                "--format",
                "json",
                "--output",
                str(out),
            ]
        )
        wall = time.monotonic() - started
    report = json.loads(out.read_text(encoding="utf-8"))
    live = report["stats"]["live"]
    print(f"mode {args.mode}: exit {code}, wall {wall:.1f} s (audit says {report['stats']['elapsed_s']} s)")
    print(f"  fuzz   {live['elapsed_s']:6.1f} s  {live['requests']} requests ({live['requests_per_second']} req/s)")
    print(f"  probes {live['probe_elapsed_s']:6.1f} s  {live['probe_requests']} requests (replay, health, errors, injection, sampling, burst)")
    print(f"  findings {report['summary']}")
    print(f"  {'operation':<28}{'answers':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    for op, row in report["stats"]["latency"].items():
        print(f"  {op:<28}{row['requests']:>8}{row['p50_ms']:>8.1f}{row['p95_ms']:>8.1f}{row['p99_ms']:>8.1f}{row['max_ms']:>8.1f}")
    for note in live["notes"]:
        print(f"  note: {note}")
    out.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
