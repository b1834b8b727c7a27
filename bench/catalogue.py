"""A catalogue in one run: `auditor lint` on every entry document of the shared corpus (the
`entry` column of MANIFEST.tsv, 207 documents) in one process, `--jobs 1` beside `--jobs 2`.

    python bench/catalogue.py            # median of 3 runs each
    python bench/catalogue.py -n 1       # one run each
    python bench/catalogue.py --jobs 1 2 4

Prints wall time, CPU time (parent and workers: the work done, whatever else runs on the
machine; on a busy machine the wall-time speed-up says little), the peak RSS of the largest process (the parent or one worker, from
getrusage), and the peak of the whole process tree's RSS (parent + workers, sampled from /proc
every 10 ms; pages the workers share with the parent after the fork count once per process, so
it overstates real use a little). Both runs must give the same JSON report (checked).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
AUDITOR = str(Path(sys.executable).with_name("auditor"))


def entries() -> list[str]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        return [str(CORPUS / row["path"]) for row in csv.DictReader(fh, delimiter="\t") if row["entry"] == "yes"]


def tree_rss_kib(pid: int) -> int:
    """RSS of ``pid`` and every descendant, in KiB (0 for processes already gone)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status", encoding="ascii") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
            with open(f"/proc/{p}/task/{p}/children", encoding="ascii") as fh:
                stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def run(paths: list[str], jobs: int) -> tuple[float, float, float, float, str]:
    """(wall s, CPU s of the process and its workers, peak RSS of the largest process MiB, peak
    RSS of the tree MiB, report digest)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([AUDITOR, "lint", *paths, "--jobs", str(jobs), "-f", "json", "-o", out.name], stdout=subprocess.DEVNULL, stderr=err)
        done, peak = threading.Event(), [0]

        def sample() -> None:
            while not done.wait(0.01):
                peak[0] = max(peak[0], tree_rss_kib(proc.pid))

        sampler = threading.Thread(target=sample)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # workers included: CPU time summed, ru_maxrss the largest
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            err.seek(0)
            sys.exit(f"auditor lint --jobs {jobs} exited {code}: {err.read().decode(errors='replace')[-2000:]}")
        digest = hashlib.sha256(Path(out.name).read_bytes()).hexdigest()[:16]
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, peak[0] / 1024, digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3, help="runs per setting (median)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    paths = entries()
    size = sum(os.path.getsize(p) for p in paths) / 2**20
    print(
        f"## catalogue: {len(paths)} corpus entry documents ({size:.0f} MiB) in one `auditor lint` run; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'jobs':>4} {'wall_s':>7} {'cpu_s':>7} {'largest_proc_MiB':>16} {'tree_peak_MiB':>13}")
    digests, walls = set(), {}
    for jobs in args.jobs:
        rows = [run(paths, jobs) for _ in range(args.n)]
        wall, cpu, largest, tree = (statistics.median(r[k] for r in rows) for k in range(4))
        walls[jobs] = wall
        digests |= {r[4] for r in rows}
        print(f"{jobs:>4} {wall:7.2f} {cpu:7.2f} {largest:16.0f} {tree:13.0f}")
    first = args.jobs[0]
    for jobs in args.jobs[1:]:
        print(f"speed-up --jobs {jobs} vs --jobs {first}: {walls[first] / walls[jobs]:.2f}x")
    print("reports identical" if len(digests) == 1 else f"REPORTS DIFFER: {sorted(digests)}")


if __name__ == "__main__":
    main()
