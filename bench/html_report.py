"""The HTML report's figures and a picture of it: `python bench/html_report.py [--out DIR]`.

1. Size and render time of the page for generated reports of 1,000 and 5,000 findings
   (fixtures/reports.py: one in ten live with a full exchange as evidence); the goal is under
   2 MiB for 1,000 findings.
2. The demo (`./run demo --html`: the bundled service in drifted mode, audited with the demo's
   options), its HTML report and screenshots of it in headless Chromium: the top of the page as
   a reader first sees it, and the whole page. Written to DIR (default: auditor-html-bench in the
   temporary folder); the paths are printed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.report import RenderOptions, render  # noqa: E402
from fixtures.browser import Browser, chromium_path  # noqa: E402
from fixtures.reports import many_findings_report  # noqa: E402
from fixtures.service.demo import main as demo  # noqa: E402

GOAL = 2 * 1024 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "auditor-html-bench")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    for n in (1_000, 5_000):
        report = many_findings_report(n)
        started = time.perf_counter()
        size = len(render(report, "html", RenderOptions()).encode("utf-8"))
        took = time.perf_counter() - started
        verdict = f"goal < {GOAL / 2**20:.0f} MiB: {'met' if size < GOAL else 'MISSED'}" if n == 1_000 else ""
        print(f"{n:>6} findings: {size / 2**20:5.2f} MiB ({size // n:,} bytes a finding), rendered in {took:.2f} s  {verdict}")

    page, data = args.out / "demo.html", args.out / "demo.json"
    code = demo([f"--html={page}", "--format", "json", "--output", str(data)])
    if code != 0:
        print(f"the demo audit failed (exit {code})")
        return 1
    print(f"demo audit: {page} ({page.stat().st_size / 1024:.0f} KiB), JSON report {data}")
    if chromium_path() is None:
        print("no screenshots: chromium is not installed (apt-get install -y chromium)")
        return 0
    top, full = args.out / "demo-top.png", args.out / "demo-full.png"
    with Browser(width=1280, height=1600) as browser:
        browser.open(page)
        errors = browser.console_errors()
        browser.screenshot(top, full_page=False)
        browser.screenshot(full)
        height = browser.evaluate("document.documentElement.scrollHeight")
    print(f"screenshots: {top} (the top of the page), {full} (the whole page, {height} px high)")
    if errors:
        print(f"the page reported errors: {errors}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
