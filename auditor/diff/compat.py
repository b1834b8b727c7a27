"""What a client can still rely on: whether one version of a type, a bound, an enum or a security
requirement accepts everything the other did. The diff rules read a change in a request one way
(the new document must accept what the old one did) and in a response the other (the old
document must have allowed what the new one returns)."""

from __future__ import annotations

import json
from typing import Any

from auditor.diff.schemas import value_key
from auditor.document.document import OperationRef

# formats whose values include all of another's
WIDER_FORMATS = {("int32", "int64"), ("float", "double")}
MAX_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


def op_label(op: OperationRef) -> str:
    return f"{op.method.upper()} {op.path}"


def covers(wide: tuple[frozenset[str], Any], narrow: tuple[frozenset[str], Any]) -> bool:
    """Whether every value of type ``narrow`` (types, format) is a value of type ``wide``:
    ``number`` covers ``integer``, no format covers any format, ``int64`` covers ``int32``."""
    wide_types, wide_fmt = wide
    narrow_types, narrow_fmt = narrow
    if wide_types and (not narrow_types or not all(t in wide_types or (t == "integer" and "number" in wide_types) for t in narrow_types)):
        return False
    return wide_fmt is None or wide_fmt == narrow_fmt or (narrow_fmt, wide_fmt) in WIDER_FORMATS


def narrowed(key: str, before: Any, after: Any) -> bool:
    """Whether bound ``key`` going from ``before`` to ``after`` (None: absent) rejects values the
    old one accepted."""
    if key == "additionalProperties":  # before/after: whether unknown properties are allowed
        return bool(before) and not after
    if key == "uniqueItems" or isinstance(before, bool) or isinstance(after, bool):  # and 3.0's exclusiveMaximum: true
        return after is True and before is not True
    if after is None:
        return False
    if before is None or key == "pattern":
        return True
    if not _number(before) or not _number(after):
        return before != after
    if key == "multipleOf":
        from decimal import Decimal, InvalidOperation

        try:
            return Decimal(str(after)) % Decimal(str(before)) != 0
        except (InvalidOperation, ArithmeticError):
            return True
    return after < before if key in MAX_BOUNDS else after > before


def bound_words(key: str, before: Any, after: Any) -> str:
    if key == "additionalProperties":
        return "no longer accepts unknown properties" if not after else "now accepts unknown properties"
    if before is None:
        return f"{key} {_show(after)} added"
    if after is None:
        return f"{key} {_show(before)} removed"
    return f"{key} {_show(before)} -> {_show(after)}"


def missing_values(values: list | None, others: list | None) -> list:
    """The values of ``values`` that ``others`` lacks (``None`` = any value, lacking none)."""
    if values is None or others is None:
        return []
    keys = {value_key(v) for v in others}
    return [v for v in values if value_key(v) not in keys]


def show_values(values: list) -> str:
    return ", ".join(_show(v) for v in values)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def alternatives(requirements: list | None) -> list[dict[str, set[str]]]:
    """Security requirements as alternatives (scheme -> scopes); none, or ``[]``, is one empty
    alternative: anonymous access."""
    out = []
    for req in requirements or []:
        if isinstance(req, dict):
            out.append({str(k): {str(s) for s in v} if isinstance(v, list) else set() for k, v in req.items()})
    return out or [{}]


def satisfies(old: dict[str, set[str]], new: dict[str, set[str]]) -> bool:
    """Whether a client meeting requirement ``old`` meets ``new`` (its schemes and scopes)."""
    return all(s in old and scopes <= old[s] for s, scopes in new.items())
