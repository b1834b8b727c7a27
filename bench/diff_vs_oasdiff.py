"""`auditor diff` on two versions of a large spec, beside one `auditor lint` of the new version and
beside oasdiff (`oasdiff breaking OLD NEW`) when it is installed.

    python bench/diff_vs_oasdiff.py           # median of 3 runs per measurement
    python bench/diff_vs_oasdiff.py -n 5

Pairs (from the shared corpus, so nothing is downloaded):
  stripe 2017 -> 2020  Stripe's spec3.yaml at 5f2f0e2 (Sep 2017) and spec3.json at 2c38978 (Apr
                       2020): 186 -> 350 operations, a thousand changes
  stripe one release   spec3.json against a copy with one operation removed, one response type
                       changed and one parameter made required (what a pull request looks like)
  stripe itself        spec3.json against itself: no change, every schema compared
  kubernetes itself    the Kubernetes Swagger 2.0 document (3.9 MB) against itself

Goal: no slower than oasdiff, under 1 s wall on Stripe. oasdiff is a Go program: this machine
reaches PyPI, Debian and npm only, where no build of it is published (npm's `oasdiff` is an
empty placeholder), so the comparison runs only when `oasdiff` is on PATH (or OASDIFF names
it; pin v1.39.0, built with `go install github.com/oasdiff/oasdiff@v1.39.0`), and is otherwise
skipped with that reason. Wall time, CPU time (user + system: what a busy machine disturbs
least) and peak RSS come from /usr/bin/time (bench/run.py).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import AUDITOR, CORPUS, measure  # noqa: E402

OASDIFF_VERSION = "v1.39.0"
STRIPE_2017 = CORPUS / "stripe__openapi/openapi/spec3.yaml"
STRIPE_2020 = CORPUS / "stripe__openapi/openapi/spec3.json"
KUBERNETES = CORPUS / "kubernetes-client__python/scripts/swagger.json"


def one_release(spec: Path, out: Path) -> Path:
    """``spec`` with three breaking changes a release might bring."""
    data = json.loads(spec.read_text(encoding="utf-8"))
    paths = data["paths"]
    del paths["/v1/coupons/{coupon}"]["delete"]
    data["components"]["schemas"]["customer"]["properties"]["balance"]["type"] = "string"
    for p in paths["/v1/customers"]["get"]["parameters"]:
        if p["name"] == "limit":
            p["required"] = True
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


def oasdiff() -> tuple[str | None, str]:
    """The oasdiff executable, or None and why it is skipped."""
    found = os.environ.get("OASDIFF") or shutil.which("oasdiff")
    if found:
        return found, ""
    return None, (
        f"oasdiff skipped: not installed (it is a Go program; this machine reaches PyPI, Debian and npm, which publish no build "
        f"of it, and no Go module proxy). Put oasdiff {OASDIFF_VERSION} on PATH or set OASDIFF=/path/to/oasdiff to compare."
    )


def main(argv: list[str]) -> int:
    if {"-h", "--help"} & set(argv):
        print(__doc__)
        return 0
    runs = int(argv[argv.index("-n") + 1]) if "-n" in argv else 3
    tool, why = oasdiff()
    with tempfile.TemporaryDirectory() as tmp:
        pairs = [
            ("stripe 2017 -> 2020", STRIPE_2017, STRIPE_2020),
            ("stripe one release", STRIPE_2020, one_release(STRIPE_2020, Path(tmp) / "spec3-next.json")),
            ("stripe itself", STRIPE_2020, STRIPE_2020),
            ("kubernetes itself", KUBERNETES, KUBERNETES),
        ]
        print(f"## auditor diff (median of {runs}; wall s / cpu s / peak MiB / exit; goal: < 1 s on Stripe, <= oasdiff)")
        print(f"{'pair':<20} {'diff':>23} {'lint NEW':>23} {'oasdiff':>23} {'diff/lint':>9} {'diff/oasdiff':>12}")
        for name, old, new in pairs:
            ours = measure([*AUDITOR, "diff", str(old), str(new), "--format", "json"], runs)
            lint = measure([*AUDITOR, "lint", str(new), "--format", "json"], runs)
            peer = measure([tool, "breaking", str(old), str(new), "--format", "json"], runs) if tool else None

            def cell(m):
                return f"{m[0]:6.2f} {m[3]:5.2f} {m[1]:5.0f} {m[2]:3d}" if m else "-"

            ratio = f"{ours[0] / peer[0]:12.2f}" if peer else f"{'-':>12}"
            print(f"{name:<20} {cell(ours):>23} {cell(lint):>23} {cell(peer):>23} {ours[0] / lint[0]:9.2f} {ratio}")
    if why:
        print(why)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
