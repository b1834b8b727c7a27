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


CheckFn = Callable[[Any], Iterable[Violation]]


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
    after_changes: bool = False  # a diff rule that reads the other diff rules' breaking findings

    @property
    def family(self) -> str:
        return self.id.split("/", 1)[0]

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


REGISTRY = Registry()


def rule(
    rule_id: str,
    *,
    severity: str,
    summary: str,
    hint: str,
    options: Iterable[Option] = (),
    heavy: bool = False,
    registry: Registry | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Register a static rule. (Checks that only the live run performs are documented with
    ``live_rule``; rules that compare two versions of a document register with ``diff_rule``.)"""
    return _register(rule_id, Source.LINT, severity, summary, hint, options, registry, heavy=heavy)


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
    return _register(rule_id, Source.DIFF, severity, summary, hint, options, registry, after_changes=after_changes)


def _register(
    rule_id: str, source: Source, severity: str, summary: str, hint: str, options: Iterable[Option], registry: Registry | None, **flags: bool
) -> Callable[[CheckFn], CheckFn]:
    def decorate(fn: CheckFn) -> CheckFn:
        (REGISTRY if registry is None else registry).add(
            Rule(
                id=rule_id,
                severity=Severity.parse(severity),
                summary=summary,
                hint=hint,
                check=fn,
                options=tuple(options),
                source=source,
                doc=inspect.cleandoc(fn.__doc__ or ""),
                module=getattr(fn, "__module__", ""),
                **flags,
            )
        )
        return fn

    return decorate


def live_rule(rule_id: str, *, severity: str, summary: str, hint: str, doc: str, options: Iterable[Option] = ()) -> Rule:
    """Register a rule that only the live run produces (no static function)."""
    return REGISTRY.add(
        Rule(
            id=rule_id,
            severity=Severity.parse(severity),
            summary=summary,
            hint=hint,
            check=None,
            options=tuple(options),
            source=Source.LIVE,
            doc=inspect.cleandoc(doc),
            module=sys._getframe(1).f_globals.get("__name__", ""),  # inspect.stack() reads every source file: 0.1 s a call
        )
    )
