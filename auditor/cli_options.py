"""Command-line options shared by the commands (same names, same meaning everywhere), as typer
annotated types, and the ``FuzzOptions`` built from the live ones."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

FormatOpt = Annotated[
    Optional[str],
    typer.Option("--format", "-f", help="Output format for stdout: console, json, sarif, junit, github, gitlab, markdown, html. Default: console."),
]
OutputOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--output",
        "-o",
        help="Write the report to FILE instead of stdout, or FORMAT=FILE to also write that format (repeatable). Files are written atomically.",
    ),
]
SummaryOnlyOpt = Annotated[
    bool,
    typer.Option(
        "--summary-only",
        help="Console on standard output: the triage, tables and totals without each finding (CI logs); files written with --output keep them.",
    ),
]
FailOnOpt = Annotated[
    str,
    typer.Option("--fail-on", help="Exit 1 when a finding is at or above: error, warn, info, never."),
]
ConfigOpt = Annotated[Optional[str], typer.Option("--config", help="Project config file (default: auditor.yaml found upward).")]
PackOpt = Annotated[Optional[str], typer.Option("--pack", help="Policy pack: minimal, recommended, strict, or a pack file.")]
BaselineOpt = Annotated[
    Optional[str],
    typer.Option(
        "--baseline", help="Hide the findings recorded in this baseline file (made by `auditor baseline`); entries that match nothing are reported as stale."
    ),
]
SpecsArg = Annotated[
    list[str],
    typer.Argument(help="OpenAPI documents: file paths or patterns ('specs/**/*.yaml', expanded by auditor), '-' for stdin, or http(s):// URLs."),
]
JobsOpt = Annotated[
    Optional[int],
    typer.Option("--jobs", "-j", min=1, help="Lint several documents in this many processes at once (default: one per CPU; 1: one process)."),
]
AllowRemoteRefsOpt = Annotated[bool, typer.Option("--allow-remote-refs", help="Follow http(s) $refs.")]
RefRootOpt = Annotated[
    Optional[str],
    typer.Option("--ref-root", help="Folder that file $refs may point into (default: the git repository holding the document, else the current folder)."),
]
MaxSizeOpt = Annotated[int, typer.Option("--max-size", help="Largest document accepted, in MiB.")]
RuleOpt = Annotated[Optional[list[str]], typer.Option("--rule", help="Run only this rule (repeatable).")]

# live options, shared by `fuzz` and `audit` (same names, same meaning)
SpecArg = Annotated[str, typer.Argument(help="The OpenAPI document the service must follow: file path, '-' or http(s):// URL.")]
_BASE_URL = typer.Option("--base-url", help="Root URL of the running service, e.g. http://127.0.0.1:8080.")
BaseUrlOpt = Annotated[str, _BASE_URL]
OptionalBaseUrlOpt = Annotated[Optional[str], _BASE_URL]
MaxExamplesOpt = Annotated[int, typer.Option("--max-examples", "-n", help="Generated examples per operation and phase.")]
SeedOpt = Annotated[
    Optional[int], typer.Option("--seed", help="Seed: the same seed sends the same requests (with --workers 1). Default: random, printed in the summary.")
]
MaxTimeOpt = Annotated[Optional[float], typer.Option("--max-time", help="Time budget for the whole run, in seconds (the fuzzer may use all of it).")]
WorkersOpt = Annotated[int, typer.Option("--workers", help="Concurrent workers.")]
RequestTimeoutOpt = Annotated[
    float, typer.Option("--request-timeout", help="Seconds to wait for each response; a slower one is a reliability/timeout finding.")
]
HeaderOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--header", "-H", help="'Name: value' sent with every request (repeatable); ${VAR} is read from the environment. Secrets are masked in every output."
    ),
]
AuthOpt = Annotated[
    Optional[str],
    typer.Option("--auth", help="HTTP Basic credentials 'USER:PASS' sent with every request; ${VAR} is read from the environment. Masked in every output."),
]
ShardOpt = Annotated[
    Optional[str],
    typer.Option("--shard", help="Test only the I-th of N shares of the operations, e.g. 2/4 (a CI matrix of N jobs; join the reports with `auditor merge`)."),
]
IncludeOpt = Annotated[
    Optional[list[str]],
    typer.Option("--include", help="Test only matching operations (repeatable): METHOD, /path-glob, 'METHOD /path-glob', tag:NAME, id:operationId."),
]
ExcludeOpt = Annotated[Optional[list[str]], typer.Option("--exclude", help="Skip matching operations (repeatable); same syntax as --include.")]
PhasesOpt = Annotated[Optional[str], typer.Option("--phases", help="Comma-separated phases: examples, coverage, fuzzing, stateful (default: all).")]
RateLimitOpt = Annotated[Optional[str], typer.Option("--rate-limit", help="Most requests sent per second/minute/hour, e.g. 100/s.")]
TlsVerifyOpt = Annotated[bool, typer.Option("--tls-verify/--no-tls-verify", help="Verify the service's TLS certificate.")]
MaxRepeatsOpt = Annotated[
    int,
    typer.Option(
        "--max-repeats",
        min=0,
        help="In the keep-going pass (after the Schemathesis CLI's own run), stop an operation's examples, coverage or fuzzing scenario after this many answers in a row that only repeat failures already found (a 401 at once; 0: never).",
    ),
]


def fuzz_options(
    *,
    base_url,
    max_examples,
    seed,
    max_time,
    workers,
    request_timeout,
    header,
    auth,
    include,
    exclude,
    shard,
    phases,
    rate_limit,
    tls_verify,
    config,
    pack,
    max_repeats,
):
    """The ``FuzzOptions`` for the live options above (one place for `fuzz` and `audit`)."""
    from auditor.live.run import FuzzOptions
    from auditor.live.select import Shard

    return FuzzOptions(
        base_url=base_url,
        max_examples=max_examples,
        seed=seed,
        max_time=max_time,
        workers=workers,
        request_timeout=request_timeout,
        headers=header or [],
        auth=auth,
        include=include or [],
        exclude=exclude or [],
        shard=Shard.parse(shard) if shard is not None else None,
        phases=[phases] if phases else None,
        rate_limit=rate_limit,
        tls_verify=tls_verify,
        config_file=config,
        pack=pack,
        max_repeats=max_repeats or None,
    )
