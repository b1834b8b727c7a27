"""The rule registry. A rule = metadata + a small generator function + its docstring.

Built-in rules register with the same decorator a user's own rule module uses::

    from auditor.rules import rule, Option, Violation

    @rule("naming/operation-id-kebab", severity="warn",
          summary="operationId is kebab-case",
          options=[Option("pattern", str, r"^[a-z][a-z0-9-]*$", "regex an operationId must match")])
    def operation_id_kebab(ctx):
        '''What it checks / Why / Bad / Good / Fix -- the docstring is the documentation.'''
        for op in ctx.operations():
            ...
            yield Violation("...", op.at.child("operationId"), operation=op)

Rule functions yield ``Violation``s and nothing else: no printing, no config reading, no line
numbers. Severity, options, suppression and location are the engine's business.

The live run uses the same registry: ``@live_check`` for the checks ``auditor audit`` runs against
the service (over every answer, once over the run, or as probes that send requests), and
``fuzzer_rule`` for the failures Schemathesis' own checks report. One id space, one way to set
severity and options in packs, one documentation.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from auditor.document.document import At, OperationRef
from auditor.model import Severity, Source

RULE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*/[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Option:
    """A rule option: name, Python type (str, int, float, bool, list, dict), default, help."""

    name: str
    type: type
    default: Any
    help: str


@dataclass(frozen=True)
class Violation:
    """What a rule function yields: a message, where the offending node is, and optionally a
    specific hint (else the rule's), the operation(s) concerned and evidence."""

    message: str
    at: At | None
    hint: str | None = None
    operation: OperationRef | None = None
    operations: tuple[OperationRef, ...] = ()  # a shared node used by several operations at once
    evidence: dict[str, Any] | None = None


CheckFn = Callable[..., Iterable[Any]]

# where a live check hooks into `auditor audit` (see ``live_check``)
LIVE_HOOKS = ("answer", "run", "probe")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    hint: str
    check: CheckFn | None
    options: tuple[Option, ...] = ()
    source: Source = Source.LINT
    doc: str = ""
    module: str = ""
    heavy: bool = False  # walks the whole document: its family is scheduled first when rules are split
    as_written: bool = False  # judges the document as written, $ref nodes included: kept where a $ref was not followed
    hook: str | None = None  # live checks: "answer", "run" or "probe"; None for the fuzzer's and static rules
    codes: tuple[str, ...] = ()  # rules the fuzzer reports: the Schemathesis failure codes they stand for
    mutates: bool = False  # a probe that sends unsafe methods (off under --read-only)
    setting: str | None = None  # the `live:` setting that switches a probe on (probes, sampling, probe-rate-limit)
    order: int = 0  # probes run in this order
    after_changes: bool = False  # a diff rule that reads the other diff rules' breaking findings

    @property
    def family(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def stage(self) -> str | None:
        """The run that applies the rule: ``lint`` (a static check), ``fuzz`` (the fuzzer's failures),
        ``audit`` (a live check), ``diff``; None for a rule no check applies (one the baseline reports)."""
        if self.source is Source.DIFF:
            return "diff"
        if self.source is Source.LIVE:
            return "fuzz" if self.hook is None else "audit"
        return "lint" if self.check is not None else None

    def defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.options}


@dataclass
class Registry:
    rules: dict[str, Rule] = field(default_factory=dict)

    def add(self, item: Rule) -> Rule:
        if not RULE_ID.match(item.id):
            raise ValueError(f"rule id {item.id!r} is not of the form family/name (kebab-case)")
        existing = self.rules.get(item.id)
        if existing is not None and existing.module != item.module:
            raise ValueError(f"rule {item.id!r} is registered twice ({existing.module} and {item.module})")
        self.rules[item.id] = item
        return item

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def get(self, rule_id: str) -> Rule | None:
        return self.rules.get(rule_id)

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self.rules.values(), key=lambda r: r.id))

    def __len__(self) -> int:
        return len(self.rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def for_code(self, code: str) -> Rule | None:
        """The rule that reports the fuzzer's failure ``code`` (Schemathesis' ``STnnn``)."""
        return next((r for r in self.rules.values() if code in r.codes), None)


REGISTRY = Registry()


def _add(registry: Registry | None, fn: Callable | None, rule_id: str, severity: str, doc: str, module: str, **fields: Any) -> Rule:
    return (REGISTRY if registry is None else registry).add(
        Rule(id=rule_id, severity=Severity.parse(severity), check=fn, doc=inspect.cleandoc(doc), module=module, **fields)
    )


def rule(
    rule_id: str,
    *,
    severity: str,
    summary: str,
    hint: str,
    options: Iterable[Option] = (),
    heavy: bool = False,
    as_written: bool = False,
    registry: Registry | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Register a static rule: ``fn(ctx)`` yields ``Violation``s; its docstring is its documentation.
    A violation on a node behind a ``$ref`` that was not followed is suppressed (the rule read
    ``{}`` there), unless the rule judges the document ``as_written``."""
    return _decorator(registry, rule_id, severity, summary=summary, hint=hint, options=tuple(options), heavy=heavy, as_written=as_written)


def diff_rule(
    rule_id: str,
    *,
    severity: str,
    summary: str,
    hint: str,
    options: Iterable[Option] = (),
    after_changes: bool = False,
    registry: Registry | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Register a rule of ``auditor diff``: its function takes the pair of documents (a
    ``DiffContext``, auditor/diff/pair.py) and yields ``Change``s; ``lint`` never runs it. An
    ``after_changes`` rule runs once the others are done and reads their breaking findings."""
    return _decorator(registry, rule_id, severity, summary=summary, hint=hint, options=tuple(options), source=Source.DIFF, after_changes=after_changes)


def _decorator(registry: Registry | None, rule_id: str, severity: str, **fields: Any) -> Callable[[CheckFn], CheckFn]:
    """The decorator that registers the function it decorates (its docstring is the rule's doc)."""

    def decorate(fn: CheckFn) -> CheckFn:
        _add(registry, fn, rule_id, severity, fn.__doc__ or "", getattr(fn, "__module__", ""), **fields)
        return fn

    return decorate


def live_check(
    rule_id: str,
    *,
    severity: str,
    summary: str,
    hint: str,
    on: str,
    options: Iterable[Option] = (),
    mutates: bool = False,
    setting: str | None = None,
    order: int = 0,
    registry: Registry | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Register a check that ``auditor audit`` runs against the live service; its docstring is its
    documentation. ``on`` says where it hooks in:

    - ``"answer"``: ``fn(live, observed)`` for every answer the run saw (fuzzer, probes, samples);
    - ``"run"``: ``fn(live, answers)`` once, over all of them (budgets);
    - ``"probe"``: ``fn(live, prober)`` sends requests of its own (``mutates``: unsafe methods, off
      under --read-only; ``setting``: the `live:` switch that turns it on; ``order``: when it runs).

    Each yields ``Issue``s (auditor.live.model); the rule id, severity, options and location are
    the audit's business."""
    if on not in LIVE_HOOKS:
        raise ValueError(f"live check {rule_id!r}: on={on!r}, expected one of {', '.join(LIVE_HOOKS)}")
    return _decorator(
        registry,
        rule_id,
        severity,
        summary=summary,
        hint=hint,
        options=tuple(options),
        source=Source.LIVE,
        hook=on,
        mutates=mutates,
        setting=setting,
        order=order,
    )


def fuzzer_rule(rule_id: str, *, severity: str, summary: str, hint: str, codes: Iterable[str] = (), doc: str, registry: Registry | None = None) -> Rule:
    """Register a rule the fuzzer reports: its check is Schemathesis' own (the failure ``codes``
    it stands for), so there is no function of ours, only the metadata and the documentation."""
    return _add(
        registry,
        None,
        rule_id,
        severity,
        doc,
        sys._getframe(1).f_globals.get("__name__", ""),
        summary=summary,
        hint=hint,
        source=Source.LIVE,
        codes=tuple(codes),
    )
