"""The command line: parse, call the library (``auditor.api``), render, exit. No logic here.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or input error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Optional

import typer

from auditor import __version__
from auditor.cli_options import (
    AllowRemoteRefsOpt,
    AuthOpt,
    BaselineOpt,
    BaseUrlOpt,
    ConfigOpt,
    ExcludeOpt,
    FailOnOpt,
    FormatOpt,
    HeaderOpt,
    IncludeOpt,
    JobsOpt,
    MaxExamplesOpt,
    MaxRepeatsOpt,
    MaxSizeOpt,
    MaxTimeOpt,
    OptionalBaseUrlOpt,
    OutputOpt,
    PackOpt,
    PhasesOpt,
    RateLimitOpt,
    RefRootOpt,
    RequestTimeoutOpt,
    RuleOpt,
    SeedOpt,
    ShardOpt,
    SpecArg,
    SpecsArg,
    SummaryOnlyOpt,
    TlsVerifyOpt,
    WorkersOpt,
)
from auditor.cli_output import batch_gc, emit, say_error
from auditor.exceptions import AuditorError

app = typer.Typer(
    name="auditor",
    help="OpenAPI contract auditor: validate a spec, apply reliability policies, fuzz the live service.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    suggest_commands=False,  # click already suggests ("Did you mean 'lint'?"); typer said it twice
)

_STATE = {"batch": False}


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"auditor {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """(``--debug`` is read by ``main`` before typer runs, so that it also covers typer's own errors.)"""


@app.command()
def lint(
    specs: SpecsArg,
    format: FormatOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = "error",
    summary_only: SummaryOnlyOpt = False,
    config: ConfigOpt = None,
    pack: PackOpt = None,
    baseline: BaselineOpt = None,
    allow_remote_refs: AllowRemoteRefsOpt = False,
    ref_root: RefRootOpt = None,
    max_size: MaxSizeOpt = 64,
    rule: RuleOpt = None,
    jobs: JobsOpt = None,
) -> None:
    """Validate documents and apply the policy pack."""
    from auditor import api
    from auditor.baseline_file import apply_file

    options = _lint_options(config, pack, allow_remote_refs, ref_root, max_size, rule, jobs)
    with _batch():
        report = apply_file(api.lint(specs, options), baseline, options.only_rules)
        code = emit(report, format, output, fail_on, summary_only)
    raise typer.Exit(code)


@app.command("baseline")
def baseline_command(
    specs: SpecsArg,
    output: Annotated[str, typer.Option("--output", "-o", help="Baseline file to write ('-' for stdout).")] = "auditor-baseline.json",
    diff_from: Annotated[
        Optional[str],
        typer.Option("--diff-from", help="Record the findings of `auditor diff OLD SPEC` (accepted breaking changes) instead of lint's.", metavar="OLD"),
    ] = None,
    config: ConfigOpt = None,
    pack: PackOpt = None,
    allow_remote_refs: AllowRemoteRefsOpt = False,
    ref_root: RefRootOpt = None,
    max_size: MaxSizeOpt = 64,
    rule: RuleOpt = None,
    jobs: JobsOpt = None,
) -> None:
    """Record the current findings in a baseline file; `lint --baseline FILE` (or `diff`) then hides them."""
    import os
    from pathlib import Path

    from auditor import api
    from auditor.baseline_file import build
    from auditor.cli_output import say_errors, write_atomic
    from auditor.exceptions import UsageError

    options = _lint_options(config, pack, allow_remote_refs, ref_root, max_size, rule, jobs)
    if diff_from is not None and len(specs) != 1:
        raise UsageError("--diff-from compares one document", hint="give one SPEC: the new version")
    with _batch():
        report = api.lint(specs, options) if diff_from is None else api.diff(diff_from, specs[0], options)
        text = build(report, base_dir=os.getcwd())
    if report.errors:  # a baseline without a document's findings would hide nothing there later
        say_errors(report)
        sys.stderr.write("auditor: no baseline written\n")
        raise typer.Exit(2)
    if output == "-":
        sys.stdout.write(text)
    else:
        if not Path(output).resolve().parent.is_dir():
            raise UsageError(f"cannot write {output}: its folder does not exist", hint="create the folder first")
        write_atomic(Path(output), text)
        n = len(report.findings)
        sys.stderr.write(f"auditor: recorded {n} finding{'s' if n != 1 else ''} in {output}\n")
    raise typer.Exit(0)


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="The old version: file, '-', http(s):// URL, or GITREF:path read from git (origin/main:openapi.yaml).")],
    new: Annotated[str, typer.Argument(help="The new version, in any of the same forms.")],
    format: FormatOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = "error",
    config: ConfigOpt = None,
    pack: PackOpt = None,
    baseline: BaselineOpt = None,
    allow_remote_refs: AllowRemoteRefsOpt = False,
    ref_root: RefRootOpt = None,
    max_size: MaxSizeOpt = 64,
    rule: RuleOpt = None,
) -> None:
    """Compare two versions of a contract: breaking changes and the versioning policy.

    OLD and NEW are files, '-', http(s) URLs, or GITREF:path read through git without a checkout
    (origin/main:openapi.yaml; relative $refs are read at the same revision).
    """
    from auditor import api
    from auditor.baseline_file import apply_file

    options = _lint_options(config, pack, allow_remote_refs, ref_root, max_size, rule)
    with _batch():
        report = apply_file(api.diff(old, new, options), baseline, options.only_rules)
        code = emit(report, format, output, fail_on)
    raise typer.Exit(code)


def _lint_options(config, pack, allow_remote_refs, ref_root, max_size, rule, jobs=None):
    from auditor import api

    return api.LintOptions(
        config_file=config,
        pack=pack,
        allow_remote_refs=allow_remote_refs,
        ref_root=ref_root,
        max_bytes=max_size * 1024 * 1024,
        only_rules=_check_rules(rule),
        jobs=jobs,
    )


@app.command()
def rules(
    rule_id: Annotated[Optional[str], typer.Argument(help="Show the documentation of this rule.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text, markdown (a table), json, or reference (full docs).")] = "text",
) -> None:
    """List every rule, or print one rule's documentation."""
    from auditor import rules_doc

    text = rules_doc.render(rule_id, format)
    sys.stdout.write(text)


@app.command()
def fuzz(
    spec: SpecArg,
    base_url: BaseUrlOpt,
    max_examples: MaxExamplesOpt = 25,
    seed: SeedOpt = None,
    max_time: MaxTimeOpt = None,
    workers: WorkersOpt = 1,
    request_timeout: RequestTimeoutOpt = 10.0,
    header: HeaderOpt = None,
    auth: AuthOpt = None,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    shard: ShardOpt = None,
    phases: PhasesOpt = None,
    rate_limit: RateLimitOpt = None,
    tls_verify: TlsVerifyOpt = True,
    max_repeats: MaxRepeatsOpt = 3,
    format: FormatOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = "error",
    summary_only: SummaryOnlyOpt = False,
    config: ConfigOpt = None,
    pack: PackOpt = None,
) -> None:
    """Fuzz the running service and report where it breaks its contract."""
    from auditor.cli_options import fuzz_options
    from auditor.cli_output import check_fail_on, parse_outputs
    from auditor.live.progress import Progress, summary
    from auditor.live.run import fuzz as run_fuzz

    check_fail_on(fail_on)
    parse_outputs(format, output)  # bad --format/--output fail before the run, not after it
    options = fuzz_options(
        base_url=base_url,
        max_examples=max_examples,
        seed=seed,
        max_time=max_time,
        workers=workers,
        request_timeout=request_timeout,
        header=header,
        auth=auth,
        include=include,
        exclude=exclude,
        shard=shard,
        phases=phases,
        rate_limit=rate_limit,
        tls_verify=tls_verify,
        config=config,
        pack=pack,
        max_repeats=max_repeats,
    )
    with Progress() as progress:
        report = run_fuzz(spec, options, progress)
    code = emit(report, format, output, fail_on, summary_only)
    sys.stderr.write(summary(report))
    raise typer.Exit(code)


@app.command()
def audit(
    spec: SpecArg,
    base_url: OptionalBaseUrlOpt = None,
    read_only: Annotated[
        Optional[bool],
        typer.Option(
            "--read-only/--no-read-only",
            help="Send only GET, HEAD and OPTIONS (production-like targets): unsafe operations and mutating probes are skipped. Default: the pack's `live.read-only`, else off.",
        ),
    ] = None,
    probe_rate_limit: Annotated[
        Optional[int], typer.Option("--probe-rate-limit", help="Opt-in burst probe: up to N back-to-back requests to one GET operation must end in 429.", min=0)
    ] = None,
    max_examples: MaxExamplesOpt = 25,
    seed: SeedOpt = None,
    max_time: MaxTimeOpt = None,
    workers: WorkersOpt = 1,
    request_timeout: RequestTimeoutOpt = 10.0,
    header: HeaderOpt = None,
    auth: AuthOpt = None,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    shard: ShardOpt = None,
    phases: PhasesOpt = None,
    rate_limit: RateLimitOpt = None,
    tls_verify: TlsVerifyOpt = True,
    max_repeats: MaxRepeatsOpt = 3,
    format: FormatOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = "error",
    summary_only: SummaryOnlyOpt = False,
    config: ConfigOpt = None,
    pack: PackOpt = None,
    baseline: BaselineOpt = None,
    allow_remote_refs: AllowRemoteRefsOpt = False,
    ref_root: RefRootOpt = None,
    max_size: MaxSizeOpt = 64,
    rule: RuleOpt = None,
) -> None:
    """Lint the contract and, with --base-url, audit the running service against it: one report, one exit code."""
    from auditor.baseline_file import apply_file
    from auditor.cli_options import fuzz_options
    from auditor.cli_output import check_fail_on, parse_outputs
    from auditor.live.audit import AuditOptions
    from auditor.live.audit import audit as run_audit

    check_fail_on(fail_on)
    parse_outputs(format, output)
    lint_options = _lint_options(config, pack, allow_remote_refs, ref_root, max_size, rule)
    live = None
    if base_url is not None:
        live = fuzz_options(
            base_url=base_url,
            max_examples=max_examples,
            seed=seed,
            max_time=max_time,
            workers=workers,
            request_timeout=request_timeout,
            header=header,
            auth=auth,
            include=include,
            exclude=exclude,
            shard=shard,
            phases=phases,
            rate_limit=rate_limit,
            tls_verify=tls_verify,
            config=config,
            pack=pack,
            max_repeats=max_repeats,
        )
    elif shard is not None:
        from auditor.live.select import Shard

        Shard.parse(shard)  # a bad --shard is an error even when nothing is fuzzed
    options = AuditOptions(read_only=read_only, probe_rate_limit=probe_rate_limit)
    if live is None:
        report = run_audit(spec, lint_options, None, options)
    else:
        from auditor.live.progress import Progress

        with Progress() as progress:
            report = run_audit(spec, lint_options, live, options, progress, lambda text: progress.note(f"audit: {text}"))
    report = apply_file(report, baseline, lint_options.only_rules)
    code = emit(report, format, output, fail_on, summary_only)
    from auditor.live.audit import summary

    sys.stderr.write(summary(report))
    raise typer.Exit(code)


@app.command()
def merge(
    reports: Annotated[
        list[str], typer.Argument(help="JSON reports of one command and auditor version: paths, or quoted glob patterns such as 'shards/**/*.json'.")
    ],
    format: FormatOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = "error",
    baseline: BaselineOpt = None,
) -> None:
    """Join the JSON reports of a sharded run (`fuzz`/`audit --shard I/N`) into one report and one exit code."""
    from auditor.baseline_file import apply_file
    from auditor.cli_output import check_fail_on, parse_outputs
    from auditor.merge import merge_files

    check_fail_on(fail_on)
    parse_outputs(format, output)
    report = apply_file(merge_files(reports), baseline)
    raise typer.Exit(emit(report, format, output, fail_on))


def _check_rules(ids: list[str] | None) -> list[str] | None:
    if not ids:
        return None
    from auditor.exceptions import UsageError
    from auditor.rules import load_builtin_rules

    registry = load_builtin_rules()
    for rid in ids:
        if rid not in registry:
            raise UsageError(f"unknown rule {rid!r}", hint="`auditor rules` lists every rule id")
    return ids


@contextmanager
def _batch() -> Iterator[None]:
    """The document work of a batch command: without the cyclic GC, and marked so that
    ``entry()`` may leave at once when the command is done."""
    with batch_gc():
        yield
    _STATE["batch"] = True


def entry() -> None:
    """The console script: ``main()``; after a batch command (lint, baseline) whose output is
    written, leave without tearing the interpreter down (freeing a large document object by
    object took 40 ms after the report was out). Live commands exit normally."""
    code = main()
    if _STATE["batch"]:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # a closed pipe: nothing more can be said
            pass
        os._exit(code)
    sys.exit(code)


@contextmanager
def _only_invoked_command(args: list[str]) -> Iterator[None]:
    """Typer turns every registered command into a click command on every run (15 ms of option
    introspection before a lint starts). When the first argument names a command, only that one
    is registered for the call; help, a missing or a mistyped command see them all."""
    name = next((a for a in args if not a.startswith("-")), None)
    everything = app.registered_commands
    chosen = [c for c in everything if (c.name or getattr(c.callback, "__name__", "").replace("_", "-")) == name]
    app.registered_commands = chosen or everything
    try:
        yield
    finally:
        app.registered_commands = everything


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (also used in-process by the tests)."""
    import click

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    _STATE["batch"] = False
    try:
        with _only_invoked_command(args):
            code = app(args=args, prog_name="auditor", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show(file=sys.stderr)
        return 2
    except click.exceptions.Abort:
        sys.stderr.write("auditor: aborted\n")
        return 130
    except AuditorError as exc:
        if debug:
            raise
        say_error(str(exc), exc.hint)
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("auditor: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so clearly, without a traceback unless --debug
        if debug:
            raise
        sys.stderr.write(
            f"auditor: internal error: {type(exc).__name__}: {exc}\n  hint: this is a bug in auditor; rerun with --debug and report the traceback\n"
        )
        return 2
