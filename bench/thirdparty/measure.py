"""Measure `schemathesis run` and `auditor audit` side by side on the third-party services.

    python3 bench/thirdparty/measure.py                      # all services, seed 1, -n 25
    python3 bench/thirdparty/measure.py kinto --seed 2 --out /tmp/tp
    python3 bench/thirdparty/measure.py prefect --max-time 900   # a budget for both tools
    python3 bench/thirdparty/measure.py kinto --schemathesis-mode keep-going
    python3 bench/thirdparty/measure.py airflow --exclude-operation-id delete_user   # both tools

Needs bench/thirdparty/setup.sh done and ./.venv (the worktree's auditor and its pinned
Schemathesis). Each tool runs against a fresh start of the service (same pristine state), with
the same seed, examples per operation, one worker, no example database and the same HTTP Basic
Authorization header; Schemathesis first, then auditor. Schemathesis runs with its CLI's
defaults (`--schemathesis-mode first-failure`: a scenario stops at its first failure) or with
`--continue-on-failure` (`keep-going`); `compare.lost` lists the (failure code, operation)
pairs Schemathesis found and auditor's report does not show, `compare.lost_stateful_only` those
of them Schemathesis found only in its stateful phase (whose walk depends on the server state
the earlier phases left behind), `compare.lost_from_schema` those it found with a case made from
the schema and the seed alone (not stateful, no value drawn from an earlier answer: a request
auditor's engine generates too). `--compare` recomputes the comparison of summaries already in
OUT (an auditor run against a CLI run of another OUT with `--cli-out`). Raw outputs go to
OUT/NAME/ (default OUT: /work/thirdparty-results, outside the repository):

    st.out, st.ndjson, st.service.log      Schemathesis console, event stream, service log
    au.out, au.json, au.service.log        auditor console (default format), JSON report, log
    summary.json                           the figures below

Figures: wall time and peak RSS (/usr/bin/time), requests as each tool counts them
(Schemathesis: interactions with a response in the NDJSON stream; auditor: stats.live) and as the
service's access log counts them, distinct failures (Schemathesis: code + operation + title +
first line of the message; auditor: its findings by rule, severity and source), console lines.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from services import SERVICES, running  # noqa: E402

BIN = ROOT / ".venv" / "bin"

# one line per request in each service's log
ACCESS = {
    "prefect": re.compile(r'^INFO:\s+\S+ - "[A-Z]+ '),  # uvicorn
    "airflow": re.compile(r'^\S+ - \S+ \[[^\]]+\] "[A-Z]+ '),  # gunicorn
    "kinto": re.compile(r" INFO request\.summary"),  # kinto.core
}


def access_count(name: str, log: Path) -> int:
    if not log.exists():
        return 0
    pattern = ACCESS[name]
    with log.open(encoding="utf-8", errors="replace") as f:
        return sum(1 for line in f if pattern.search(line))


def timed(cmd: list[str], out: Path, cwd: Path) -> tuple[int, float, float, int]:
    """Run CMD with stdout+stderr to OUT; (exit code, wall s, peak RSS MiB, console lines)."""
    times = out.with_suffix(".time")
    started = time.perf_counter()
    with out.open("w") as f:
        rc = subprocess.run(["/usr/bin/time", "-o", str(times), "-f", "%e %M", *cmd], cwd=cwd, stdout=f, stderr=subprocess.STDOUT).returncode
    wall = time.perf_counter() - started
    fields = times.read_text().split()[-2:]
    rss = int(fields[1]) / 1024 if len(fields) == 2 and fields[1].isdigit() else 0.0
    lines = sum(1 for _ in out.open(encoding="utf-8", errors="replace"))
    return rc, wall, rss, lines


def parse_ndjson(path: Path) -> dict:
    requests = 0
    failures: collections.Counter[tuple[str, str, str, str]] = collections.Counter()
    phases: dict[tuple[str, str], set[str]] = collections.defaultdict(set)  # (code, operation) -> phases that found it
    # (code, operation) found by a case made from the schema and the seed alone: not in the stateful
    # phase, and no value drawn from an earlier answer (the case's pool and semantic draws)
    from_schema: set[tuple[str, str]] = set()
    operations = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if "LoadingFinished" in event:
            operations = event["LoadingFinished"]["statistic"]["operations"]["total"]
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        requests += sum(1 for i in recorder.get("interactions", {}).values() if i.get("response"))
        for case_id, nodes in recorder.get("checks", {}).items():
            meta = ((recorder.get("cases", {}).get(case_id) or {}).get("value") or {}).get("meta") or {}
            drawn = finished.get("phase") == "stateful" or bool(meta.get("pool_draws") or meta.get("semantic_draws"))
            for node in nodes:
                failure = (node.get("failure_info") or {}).get("failure")
                if node.get("status") == "failure" and failure:
                    first = (failure.get("message") or "").splitlines()[0] if failure.get("message") else ""
                    failures[(failure["code"], failure["operation"], failure["title"], first)] += 1
                    phases[(failure["code"], failure["operation"])].add(finished.get("phase") or "")
                    if not drawn:
                        from_schema.add((failure["code"], failure["operation"]))
    by_code_op = {(c, o) for c, o, _, _ in failures}
    by_code = collections.Counter(c + " " + t for c, _, t, _ in failures)
    return {
        "operations": operations,
        "requests": requests,
        "distinct_failures": len(failures),
        "distinct_code_operation": len(by_code_op),
        "failures_by_code": dict(by_code.most_common()),
        "failures": [
            {"code": c, "operation": o, "title": t, "message": m, "seen": n, "phases": sorted(phases[(c, o)]), "from_schema": (c, o) in from_schema}
            for (c, o, t, m), n in sorted(failures.items())
        ],
    }


def parse_auditor(path: Path) -> dict:
    report = json.loads(path.read_text(encoding="utf-8"))
    findings = report["findings"]
    by_rule = collections.Counter(f"{f['rule']} [{f['severity']}, {f.get('source')}]" for f in findings)
    live = report["stats"].get("live") or {}
    codes = set()
    for f in findings:  # a finding of one operation, or one listing several (evidence.operations)
        evidence = f.get("evidence") or {}
        if "code" in evidence:
            labels = [f"{f['operation']['method']} {f['operation']['path']}"] if f.get("operation") else evidence.get("operations") or []
            codes |= {(evidence["code"], label) for label in labels}
    return {
        "summary": report["summary"],
        "findings": len(findings),
        "static": sum(1 for f in findings if f.get("source") != "live"),
        "live": sum(1 for f in findings if f.get("source") == "live"),
        "by_rule": dict(by_rule.most_common()),
        "live_stats": {
            k: live.get(k)
            for k in (
                "operations_total",
                "operations_tested",
                "requests",
                "fuzz_answers",
                "probe_requests",
                "elapsed_s",
                "probe_elapsed_s",
                "stop_reason",
                "phases",
            )
        },
        "notes": live.get("notes", []),
        "schemathesis_code_operation": sorted(codes),
    }


def measure(name: str, args: argparse.Namespace) -> dict:
    out = Path(args.out).resolve() / name
    out.mkdir(parents=True, exist_ok=True)
    result: dict = {"service": name, "package": SERVICES[name].package, "seed": args.seed, "max_examples": args.max_examples, "max_time": args.max_time}
    result["excluded_operation_ids"] = args.exclude_operation_id
    result["auditor_args"] = args.auditor_arg
    result["schemathesis_launch"] = args.schemathesis_launch
    # wall times depend on what else the machine runs: compare only figures taken at a similar load
    result["load_1min_before"] = round(os.getloadavg()[0], 2)
    print(f"{name}: load average {result['load_1min_before']} (1 min) on {os.cpu_count()} CPUs", flush=True)

    if "schemathesis" in args.tools:
        log = out / "st.service.log"
        log.unlink(missing_ok=True)
        with running(name, spec_out=str(out / f"openapi.{SERVICES[name].spec_ext}"), log=str(log)) as svc:
            before = access_count(name, log)
            # the CLI's own spread: the same run launched another way (a module, not the console
            # script) can take another stateful walk with the same seed
            launch = [str(BIN / "schemathesis")] if args.schemathesis_launch == "console" else [str(BIN / "python"), "-m", "schemathesis.cli"]
            cmd = [*launch, "run", svc.spec, "--url", svc.base_url, "--seed", str(args.seed), "-n", str(args.max_examples)]
            cmd += ["--workers", "1", "--generation-database", "none", "-H", svc.auth_header, "--no-color"]
            if args.schemathesis_mode == "keep-going":
                cmd.append("--continue-on-failure")
            for operation_id in args.exclude_operation_id:
                cmd += ["--exclude-operation-id", operation_id]
            cmd += ["--report", "ndjson", "--report-ndjson-path", str(out / "st.ndjson")]
            if args.max_time:
                cmd += ["--max-time", str(int(args.max_time))]
            print(f"{name}: schemathesis run ...", flush=True)
            # a fresh folder: the CLI keeps a crash cache in ./.schemathesis and replays it on the next run
            with tempfile.TemporaryDirectory(prefix="st-cwd-") as cwd:
                rc, wall, rss, lines = timed(cmd, out / "st.out", Path(cwd))
            time.sleep(1)
            served = access_count(name, log) - before
        st = parse_ndjson(out / "st.ndjson")
        result["schemathesis"] = {"exit": rc, "wall_s": round(wall, 1), "peak_rss_mib": round(rss), "console_lines": lines, "served_requests": served, **st}
        print(f"{name}: schemathesis {wall:.1f} s, {st['requests']} requests ({served} served), {st['distinct_failures']} distinct failures", flush=True)

    if "auditor" in args.tools:
        log = out / "au.service.log"
        log.unlink(missing_ok=True)
        with running(name, spec_out=str(out / f"openapi.{SERVICES[name].spec_ext}"), log=str(log)) as svc:
            before = access_count(name, log)
            cmd = [str(BIN / "auditor"), "audit", svc.spec, "--base-url", svc.base_url, "--seed", str(args.seed), "--max-examples", str(args.max_examples)]
            cmd += ["--workers", "1", "--header", svc.auth_header, "-o", f"json={out / 'au.json'}"]
            for operation_id in args.exclude_operation_id:
                cmd += ["--exclude", f"id:{operation_id}"]
            if args.max_time:
                cmd += ["--max-time", str(args.max_time)]
            cmd += args.auditor_arg
            print(f"{name}: auditor audit ...", flush=True)
            rc, wall, rss, lines = timed(cmd, out / "au.out", out)
            time.sleep(1)
            served = access_count(name, log) - before
        au = parse_auditor(out / "au.json") if (out / "au.json").exists() else {}
        result["auditor"] = {"exit": rc, "wall_s": round(wall, 1), "peak_rss_mib": round(rss), "console_lines": lines, "served_requests": served, **au}
        req = (au.get("live_stats") or {}).get("requests")
        print(f"{name}: auditor {wall:.1f} s (exit {rc}), {au.get('findings')} findings, {req} fuzz requests ({served} served)", flush=True)

    if "schemathesis" in result and "auditor" in result and "schemathesis_code_operation" in result["auditor"]:
        compare(result)
    (out / "summary.json").write_text(json.dumps(result, indent=2))
    return result


def compare(result: dict) -> None:
    """The CLI's (code, operation) pairs missing from auditor's report, and which of them depend on
    the server state the earlier requests left behind (which differs whenever the tools send
    different requests before them): found only in the stateful phase, or only by cases that drew
    a value from an earlier answer (Schemathesis fills parameters from resources it saw)."""
    failures = result["schemathesis"]["failures"]
    st_set = {(f["code"], f["operation"]) for f in failures}
    au_set = {tuple(x) for x in result["auditor"]["schemathesis_code_operation"]}
    stateful_only = {(f["code"], f["operation"]) for f in failures if f["phases"] == ["stateful"]}
    from_schema = {(f["code"], f["operation"]) for f in failures if f.get("from_schema", True)}
    lost = st_set - au_set
    result["compare"] = {
        "lost": sorted(lost),
        "lost_stateful_only": sorted(lost & stateful_only),
        "lost_from_schema": sorted(lost & from_schema),
        "only_auditor": len(au_set - st_set),
        "both": len(st_set & au_set),
    }
    result["auditor"]["lost"] = len(lost)
    result["auditor"]["lost_stateful_only"] = len(lost & stateful_only)
    result["auditor"]["lost_from_schema"] = len(lost & from_schema)


def recompare(out: Path, name: str, cli_out: Path | None) -> dict:
    """The comparison in OUT/NAME/summary.json computed again from the raw outputs (written back);
    against the CLI run in CLI_OUT/NAME instead when given (only returned: the summary stays)."""
    path = out / name / "summary.json"
    result = json.loads(path.read_text())
    if cli_out is not None:
        result["schemathesis"] = json.loads((cli_out / name / "summary.json").read_text())["schemathesis"]
    elif "schemathesis" not in result:
        sys.exit(f"{path}: no Schemathesis run to compare with (--cli-out names one)")
    # the stream is parsed again: summaries older than a field of parse_ndjson lack it
    result["schemathesis"].update(parse_ndjson((cli_out or out) / name / "st.ndjson"))
    compare(result)
    if cli_out is None:
        path.write_text(json.dumps(result, indent=2))
    return result


def table(out: Path, names: list[str]) -> str:
    """The side-by-side table (markdown) from OUT/NAME/summary.json."""
    rows = [
        ("operations (Schemathesis)", lambda s, a: s.get("operations"), None),
        ("wall time, s", lambda s, a: s.get("wall_s"), lambda s, a: a.get("wall_s")),
        ("peak RSS of the tool, MiB", lambda s, a: s.get("peak_rss_mib"), lambda s, a: a.get("peak_rss_mib")),
        ("fuzz requests (tool's count)", lambda s, a: s.get("requests"), lambda s, a: (a.get("live_stats") or {}).get("requests")),
        ("probe + sampling requests", lambda s, a: "-", lambda s, a: (a.get("live_stats") or {}).get("probe_requests")),
        ("requests in the service's access log", lambda s, a: s.get("served_requests"), lambda s, a: a.get("served_requests")),
        ("distinct failures (code+op+message)", lambda s, a: s.get("distinct_failures"), None),
        ("distinct (code, operation)", lambda s, a: s.get("distinct_code_operation"), lambda s, a: len(a.get("schemathesis_code_operation") or [])),
        (
            "Schemathesis' (code, operation) not in auditor's report",
            lambda s, a: "-",
            lambda s, a: (
                f"{a['lost']} ({a.get('lost_stateful_only', '?')} stateful only, {a.get('lost_from_schema', '?')} from the schema alone)"
                if "lost" in a
                else "-"
            ),
        ),
        (
            "findings (error/warn/info)",
            lambda s, a: "-",
            lambda s, a: "{findings} ({summary[error]}/{summary[warn]}/{summary[info]})".format(**a) if a.get("summary") else "-",
        ),
        ("static / live findings", lambda s, a: "-", lambda s, a: f"{a.get('static')} / {a.get('live')}"),
        ("console lines", lambda s, a: s.get("console_lines"), lambda s, a: a.get("console_lines")),
        ("exit code", lambda s, a: s.get("exit"), lambda s, a: a.get("exit")),
    ]
    summaries = {n: json.loads((out / n / "summary.json").read_text()) for n in names if (out / n / "summary.json").exists()}
    head = "| figure | " + " | ".join(f"{n} st | {n} auditor" for n in summaries) + " |"
    lines = [head, "|---|" + "---:|" * (2 * len(summaries))]
    for label, st_get, au_get in rows:
        cells = []
        for s in summaries.values():
            st, au = s.get("schemathesis") or {}, s.get("auditor") or {}
            cells.append(str(st_get(st, au)))
            cells.append(str(au_get(st, au)) if au_get else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"services (default: all): {', '.join(SERVICES)}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-n", "--max-examples", type=int, default=25)
    parser.add_argument("--max-time", type=float, help="time budget for each tool's run, in seconds")
    parser.add_argument("--tools", default="schemathesis,auditor")
    parser.add_argument(
        "--schemathesis-mode", choices=("first-failure", "keep-going"), default="first-failure", help="the CLI's defaults, or --continue-on-failure"
    )
    parser.add_argument(
        "--schemathesis-launch", choices=("console", "module"), default="console", help="the CLI's console script, or python -m schemathesis.cli"
    )
    parser.add_argument("--exclude-operation-id", action="append", default=[], metavar="ID", help="leave this operation out of both runs (repeatable)")
    parser.add_argument(
        "--auditor-arg", action="append", default=[], metavar="ARG", help="one more argument for auditor audit (repeatable), e.g. --auditor-arg=--max-repeats=2"
    )
    parser.add_argument("--out", default="/work/thirdparty-results")
    parser.add_argument("--table", action="store_true", help="only print the table of the summaries in OUT")
    parser.add_argument("--compare", action="store_true", help="only compute the comparison of the runs in OUT again")
    parser.add_argument("--cli-out", help="with --compare: the Schemathesis runs to compare with (another OUT)")
    args = parser.parse_args()
    args.tools = args.tools.split(",")
    unknown = set(args.names) - set(SERVICES)
    if unknown:
        parser.error(f"unknown service(s): {', '.join(sorted(unknown))}")
    names = args.names or list(SERVICES)
    if args.compare:
        for name in names:
            if (Path(args.out) / name / "summary.json").exists():
                c = recompare(Path(args.out), name, Path(args.cli_out) if args.cli_out else None)["compare"]
                print(f"{name}: lost {len(c['lost'])}, stateful only {c['lost_stateful_only']}, from the schema alone {c['lost_from_schema']}")
        return 0
    if not args.table:
        for name in names:
            measure(name, args)
    print(table(Path(args.out), names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
