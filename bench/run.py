"""Benchmark figures for issue 8: `./run bench` (or `python bench/run.py`).

    python bench/run.py                 # everything: startup, scaling, peers on the large corpus specs
    python bench/run.py startup scaling # only some sections
    python bench/run.py peers -n 1      # one run per measurement instead of the median of 3
    python bench/run.py peers FILE ...  # peers on other documents

Sections:
  startup  `auditor --version` and `auditor lint` on the small demo spec (goal < 0.3 s).
  scaling  generated documents of 1,000 / 5,000 / 20,000 operations (bench/gen_scaling.py); time
           per operation, raw and after the fixed cost of a small spec; goal: 20k within 1.5x of 1k.
  peers    `auditor lint` beside Redocly CLI and Spectral on the large documents of the shared
           corpus (../shared/bench/large.txt), run exactly as ../shared/bench/compare-linters.sh
           runs them (same versions, same install cache, same commands; vacuum left out: it is
           not in the goal and takes 7.7 GiB on one of them). Goal: wall <= 0.5 x Redocly and
           <= 0.25 x Spectral, peak memory <= Redocly's.

Wall time and peak RSS come from /usr/bin/time, median of N runs. On a busy machine the ratios
(measured side by side) are the meaningful figures.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_BENCH = ROOT.parent / "shared" / "bench"
CORPUS = ROOT.parent / "shared" / "corpus"
CACHE = Path(os.environ.get("BENCH_CACHE", Path.home() / ".cache" / "auditor-bench"))
AUDITOR = [str(Path(sys.executable).with_name("auditor"))]
PEER_VERSIONS = ["@stoplight/spectral-cli@6.16.3", "@redocly/cli@2.77.0"]  # as compare-linters.sh
SCALES = (1_000, 5_000, 20_000)


def measure(cmd: list[str], runs: int) -> tuple[float, float, int, float]:
    """(median wall seconds, median peak RSS MiB, last exit code, median CPU seconds: user + system,
    the figure that a busy machine disturbs least)."""
    walls, rss, cpu, code = [], [], [], 0
    for _ in range(runs):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
            p = subprocess.run(["/usr/bin/time", "-f", "%e %M %U %S", "-o", out.name, *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            code = p.returncode
            wall, kib, user, system = out.read().strip().splitlines()[-1].split()
        walls.append(float(wall))
        rss.append(int(kib) / 1024)
        cpu.append(float(user) + float(system))
    return statistics.median(walls), statistics.median(rss), code, statistics.median(cpu)


def startup(runs: int) -> float:
    print("## startup (median wall s; goal < 0.3)")
    version = measure([*AUDITOR, "--version"], max(runs, 5))[0]
    demo = measure([*AUDITOR, "lint", str(ROOT / "fixtures" / "demo" / "openapi.yaml")], max(runs, 5))[0]
    print(f"auditor --version          {version:6.2f}")
    print(f"auditor lint demo spec     {demo:6.2f}")
    print()
    return demo


def scaling(runs: int, fixed: float) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_scaling import generate

    print("## scaling (generated 3.0 YAML; goal: per-op at 20k within 1.5x of 1k)")
    print(f"{'operations':>10} {'MiB':>6} {'wall_s':>7} {'rss_MiB':>8} {'ms/op':>7} {'ms/op-fixed':>11}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for ops in SCALES:
            path = Path(tmp) / f"ops-{ops}.yaml"
            path.write_text(generate(ops), encoding="utf-8")
            wall, rss, _, _ = measure([*AUDITOR, "lint", str(path), "--format", "json"], runs)
            per_op, marginal = wall / ops * 1000, (wall - fixed) / ops * 1000
            rows.append((per_op, marginal))
            print(f"{ops:>10} {path.stat().st_size / 2**20:6.1f} {wall:7.2f} {rss:8.0f} {per_op:7.3f} {marginal:11.3f}")
    print(f"ratio 20k/1k per op: {rows[-1][0] / rows[0][0]:.2f} raw, {rows[-1][1] / rows[0][1]:.2f} after the fixed cost")
    print()


def ensure_peers() -> bool:
    redocly, spectral = CACHE / "node_modules/.bin/redocly", CACHE / "node_modules/.bin/spectral"
    if redocly.exists() and spectral.exists():
        return True
    if not shutil.which("npm"):
        print("npm not found: peers skipped")
        return False
    print(f"installing peer linters into {CACHE} ...", file=sys.stderr)
    CACHE.mkdir(parents=True, exist_ok=True)
    if not (CACHE / "package.json").exists():
        (CACHE / "package.json").write_text('{"private":true}\n')
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *PEER_VERSIONS], cwd=CACHE, check=True, stdout=subprocess.DEVNULL)
    return True


def peers(runs: int, files: list[Path]) -> None:
    if not ensure_peers():
        return
    (CACHE / "spectral.yaml").write_text('extends: ["spectral:oas"]\n')
    if not files:
        rels = (SHARED_BENCH / "large.txt").read_text().splitlines()
        files = [CORPUS / r for r in rels if r.strip() and not r.startswith("#")]
    print(f"## peers (median of {runs}; wall s / peak MiB / exit; goal: vs_redocly <= 0.50, vs_spectral <= 0.25, mem <= redocly)")
    print(f"{'file':<26} {'auditor':>17} {'redocly':>17} {'spectral':>17} {'vs_redocly':>10} {'vs_spectral':>11} {'mem_ok':>6}")
    for f in files:
        ours = measure([*AUDITOR, "lint", str(f), "--format", "json"], runs)
        red = measure([str(CACHE / "node_modules/.bin/redocly"), "lint", str(f), "--format", "json"], runs)
        spe = measure([str(CACHE / "node_modules/.bin/spectral"), "lint", "-r", str(CACHE / "spectral.yaml"), str(f), "-f", "json"], runs)

        def cell(m):
            return f"{m[0]:6.2f} {m[1]:5.0f} {m[2]:3d}"

        print(
            f"{f.name[:26]:<26} {cell(ours):>17} {cell(red):>17} {cell(spe):>17} "
            f"{ours[0] / red[0]:10.2f} {ours[0] / spe[0]:11.2f} {'yes' if ours[1] <= red[1] else 'NO':>6}"
        )
    print()


def main(argv: list[str]) -> int:
    if {"-h", "--help"} & set(argv):
        print(__doc__)
        return 0
    runs = 3
    if "-n" in argv:
        i = argv.index("-n")
        runs = int(argv[i + 1])
        del argv[i : i + 2]
    sections = [a for a in argv if a in ("startup", "scaling", "peers")] or ["startup", "scaling", "peers"]
    files = [Path(a) for a in argv if a not in sections]
    fixed = startup(runs) if "startup" in sections or "scaling" in sections else 0.0
    if "scaling" in sections:
        scaling(runs, fixed)
    if "peers" in sections:
        peers(runs, files)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
