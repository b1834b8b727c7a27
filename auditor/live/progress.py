"""What ``auditor fuzz`` shows while it runs (stderr): a rich progress display on a terminal,
plain lines otherwise (CI logs), and the closing summary."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from auditor.live.schemathesis_adapter import Tick
from auditor.model import Report


class Progress:
    """Receives engine ``Tick``s. Use as a context manager."""

    def __init__(self, stream: TextIO | None = None, interactive: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self._rich: Any = None
        self._task: Any = None
        self._phase_scenarios = 0

    def __enter__(self) -> Progress:
        if self.interactive:
            from rich.console import Console
            from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description:<9}"),
                BarColumn(bar_width=24),
                TextColumn("{task.fields[ops]}"),
                TextColumn("{task.fields[requests]} requests  {task.fields[failures]} failures"),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=True,
            )
            self._rich.start()
            self._task = self._rich.add_task("starting", total=None, ops="", requests=0, failures=0)
        return self

    def __exit__(self, *exc) -> None:
        if self._rich is not None:
            self._rich.stop()

    def __call__(self, tick: Tick) -> None:
        if tick.event == "phase-started":
            self._phase_scenarios = 0
        elif tick.event == "scenario":
            self._phase_scenarios += 1
        total = tick.operations_total if tick.phase != "stateful" else None
        done = min(self._phase_scenarios, total) if total else self._phase_scenarios
        what = f"{done}/{total} operations" if total else f"{done} scenarios"
        line = f"fuzz: {tick.phase} {tick.status}: {what}, {tick.requests} requests so far, {tick.failures} failures"
        if self._rich is not None:
            self._rich.update(
                self._task, description=tick.phase, total=total, completed=done if total else None, ops=what, requests=tick.requests, failures=tick.failures
            )
            if tick.event == "phase-finished":
                self._rich.console.print(line, highlight=False, markup=False)
        elif tick.event == "phase-finished":
            self.note(line)

    def note(self, line: str) -> None:
        """One line of progress: above the live display on a terminal, plain otherwise."""
        if self._rich is not None:
            self._rich.console.print(line, highlight=False, markup=False)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()


def summary(report: Report) -> str:
    """The closing lines: operations tested, requests, req/s, findings by rule."""
    s = report.stats
    lines = [
        f"fuzz: tested {s.get('operations_tested', 0)}/{s.get('operations_total', 0)} operations, "
        f"{s.get('requests', 0)} requests in {s.get('elapsed_s', 0):.1f} s "
        f"({s.get('requests_per_second', 0):.0f} req/s), seed {s.get('seed')}, {s.get('stop_reason', '')}"
    ]
    lines += [f"fuzz: {line}" for line in where_requests_went(s, "stats")]
    if s.get("cut_short"):
        lines.append(f"fuzz: the time budget cut short {len(s['cut_short'])} phase(s) of an operation (stats.cut_short)")
    by_rule = s.get("findings_by_rule") or {}
    if by_rule:
        width = max(len(r) for r in by_rule)
        lines.append("fuzz: findings by rule:")
        lines += [f"  {rule:<{width}}  {count}" for rule, count in by_rule.items()]
    else:
        lines.append("fuzz: no findings")
    return "\n".join(lines) + "\n"


def where_requests_went(stats: dict[str, Any], path: str) -> list[str]:
    """The fuzzer's requests by phase (with those that only repeated a known failure, and the
    keep-going cases answered from the first pass), and the keep-going scenarios ``--max-repeats``
    ended; ``path`` is where the report keeps these stats (``stats``, ``stats.live``)."""
    lines = []
    by_phase = stats.get("requests_by_phase") or {}
    if by_phase:
        repeats = stats.get("repeats_by_phase") or {}
        parts = [f"{phase} {n}" + (f" ({repeats[phase]} repeating a known failure)" if repeats.get(phase) else "") for phase, n in by_phase.items()]
        if stats.get("replayed"):
            parts.append(f"and {stats['replayed']} keep-going cases answered from the first pass, not sent again")
        lines.append("requests by phase: " + ", ".join(parts))
    if stats.get("saturated"):
        lines.append(
            f"{len(stats['saturated'])} keep-going scenario(s) ended after {stats.get('max_repeats')} answers in a row without a new failure ({path}.saturated)"
        )
    return lines
