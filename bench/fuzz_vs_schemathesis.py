"""`auditor fuzz` against `schemathesis run` (the `st` CLI) on the bundled service.

    python bench/fuzz_vs_schemathesis.py                 # seeds 1 2 3, -n 10, drifted mode
    python bench/fuzz_vs_schemathesis.py --seeds 1 -n 25 --mode conformant
    python bench/fuzz_vs_schemathesis.py --all-drifts        # also the latency/flakiness drifts

For every seed, each tool runs against a fresh service process (same mode, same state; in drifted
mode with the drifts `auditor fuzz` targets, not the live-policy ones that only add latency), with
the same seed, examples per operation, one worker, keep-going mode, no example database and the
same Authorization header; the order of the two tools alternates between seeds. Wall time
includes interpreter start-up and schema loading (what a user waits for). Failures are compared
as the set of (Schemathesis failure code, operation): from the JSON report's evidence for
auditor, from the NDJSON event stream for schemathesis.

Prints one line per run, then the median wall times, their ratio (goal: auditor / schemathesis
<= 1.1) and whether both tools found the same failures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.service import SPEC, TOKEN, running  # noqa: E402
from fixtures.service.drifts import DRIFTS  # noqa: E402

# the drifts `auditor fuzz` is meant to find; the live-policy ones (slow tail, flaky reads, ...)
# only add timing noise here
FUZZ_DRIFTS = [d.name for d in DRIFTS.values() if getattr(d, "found_by", "fuzz") == "fuzz"]

BIN = Path(sys.executable).parent


def run_auditor(base_url: str, seed: int, examples: int, workdir: Path) -> tuple[float, set[tuple[str, str]], int]:
    cmd = [
        str(BIN / "auditor"),
        "fuzz",
        str(SPEC),
        "--base-url",
        base_url,
        "--seed",
        str(seed),
        "--max-examples",
        str(examples),
        "--workers",
        "1",
        "--header",
        f"Authorization: Bearer {TOKEN}",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"auditor fuzz failed ({proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    found = {
        (f["evidence"]["code"], f"{f['operation']['method']} {f['operation']['path']}")
        for f in report["findings"]
        if f.get("operation") and "code" in (f.get("evidence") or {})
    }
    return wall, found, report["stats"]["requests"]


def run_schemathesis(base_url: str, seed: int, examples: int, workdir: Path) -> tuple[float, set[tuple[str, str]], int]:
    events = workdir / "events.ndjson"
    cmd = [
        str(BIN / "schemathesis"),
        "run",
        str(SPEC),
        "--url",
        base_url,
        "--seed",
        str(seed),
        "--max-examples",
        str(examples),
        "--workers",
        "1",
        "--continue-on-failure",
        "--generation-database",
        "none",
        "--header",
        f"Authorization: Bearer {TOKEN}",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(events),
    ]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"schemathesis run failed ({proc.returncode}): {proc.stdout[-2000:]}")
    found: set[tuple[str, str]] = set()
    requests = 0
    for line in events.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        requests += sum(1 for i in recorder.get("interactions", {}).values() if i.get("response"))
        for nodes in recorder.get("checks", {}).values():
            for node in nodes:
                failure = (node.get("failure_info") or {}).get("failure")
                if node.get("status") == "failure" and failure:
                    found.add((failure["code"], failure["operation"]))
    return wall, found, requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("-n", "--max-examples", type=int, default=10)
    parser.add_argument("--mode", choices=("drifted", "conformant"), default="drifted")
    parser.add_argument("--all-drifts", action="store_true", help="drifted mode with every drift, the live-policy ones too")
    args = parser.parse_args()
    tools = {"auditor": run_auditor, "schemathesis": run_schemathesis}
    walls: dict[str, list[float]] = {name: [] for name in tools}
    same_all = True
    print(f"fuzz benchmark: {args.mode} service, seeds {args.seeds}, --max-examples {args.max_examples}, 1 worker")
    for i, seed in enumerate(args.seeds):
        order = list(tools) if i % 2 == 0 else list(reversed(tools))
        found: dict[str, set[tuple[str, str]]] = {}
        for name in order:
            drifts = FUZZ_DRIFTS if args.mode == "drifted" and not args.all_drifts else None
            with tempfile.TemporaryDirectory(prefix="fuzz-bench-") as tmp, running(args.mode, drifts) as service:
                wall, failures, requests = tools[name](service.base_url, seed, args.max_examples, Path(tmp))
            walls[name].append(wall)
            found[name] = failures
            print(f"  seed {seed}  {name:<12} {wall:6.2f} s  {requests:5d} requests  {len(failures):2d} distinct failures (code, operation)")
        same = found["auditor"] == found["schemathesis"]
        same_all &= same
        if not same:
            print(f"    only auditor:      {sorted(found['auditor'] - found['schemathesis'])}")
            print(f"    only schemathesis: {sorted(found['schemathesis'] - found['auditor'])}")
    a, s = statistics.median(walls["auditor"]), statistics.median(walls["schemathesis"])
    ratio = a / s if s else float("inf")
    print(f"median wall: auditor {a:.2f} s, schemathesis {s:.2f} s; ratio {ratio:.2f} (goal <= 1.1: {'met' if ratio <= 1.1 else 'NOT met'})")
    print(f"same failures in every run: {'yes' if same_all else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
