"""`auditor rules`: the rule list and per-rule documentation, generated from the registry (the
README's rule table comes from here too, and a test keeps it in sync)."""

from __future__ import annotations

import json

from auditor.config import load_pack, pack_names
from auditor.exceptions import UsageError
from auditor.rules import load_builtin_rules
from auditor.rules.registry import Rule


def packs_of(rule_id: str) -> list[str]:
    registry = load_builtin_rules()
    out = []
    for name in pack_names():
        cfg = _pack_config(name)
        if cfg.setting(registry[rule_id]).enabled:
            out.append(name)
    return out


_PACK_CACHE: dict = {}


def _pack_config(name: str):
    if name not in _PACK_CACHE:
        _PACK_CACHE[name] = load_pack(load_builtin_rules(), name)
    return _PACK_CACHE[name]


def render(rule_id: str | None, fmt: str) -> str:
    registry = load_builtin_rules()
    if fmt not in ("text", "markdown", "json", "reference"):
        raise UsageError(f"unknown format {fmt!r} for `auditor rules`", hint="use text, markdown, json or reference")
    if rule_id is not None:
        r = registry.get(rule_id)
        if r is None:
            from difflib import get_close_matches

            close = get_close_matches(rule_id, [x.id for x in registry], n=1)
            raise UsageError(f"unknown rule {rule_id!r}", hint=f"did you mean {close[0]!r}?" if close else "`auditor rules` lists every rule id")
        return _one(r, fmt)
    rules = list(registry)
    if fmt == "json":
        return json.dumps([_as_dict(r) for r in rules], indent=2) + "\n"
    if fmt == "markdown":
        return markdown_table(rules)
    if fmt == "reference":
        return reference(rules)
    width = max(len(r.id) for r in rules)
    lines = [f"{r.id:<{width}}  {r.severity.value:<5}  {r.source.value:<4}  {r.summary}  [{', '.join(packs_of(r.id)) or '-'}]" for r in rules]
    return "\n".join(lines) + f"\n\n{len(rules)} rules. `auditor rules ID` shows one rule's documentation.\n"


def markdown_table(rules: list[Rule]) -> str:
    lines = ["| rule | default | source | packs | summary |", "|---|---|---|---|---|"]
    for r in rules:
        lines.append(f"| `{r.id}` | {r.severity.value} | {r.source.value} | {', '.join(packs_of(r.id)) or '-'} | {r.summary} |")
    return "\n".join(lines) + "\n"


def _as_dict(r: Rule) -> dict:
    return {
        "id": r.id,
        "severity": r.severity.value,
        "source": r.source.value,
        "summary": r.summary,
        "hint": r.hint,
        "packs": packs_of(r.id),
        "options": [{"name": o.name, "type": o.type.__name__, "default": o.default, "help": o.help} for o in r.options],
        "doc": r.doc,
    }


def _one(r: Rule, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(_as_dict(r), indent=2) + "\n"
    out = [f"{r.id}  ({r.severity.value}, {r.source.value})", "", r.summary, ""]
    if r.doc:
        out += [r.doc, ""]
    if r.options:
        out.append("Options:")
        for o in r.options:
            out.append(f"  {o.name} ({o.type.__name__}, default {o.default!r}): {o.help}")
        out.append("")
    out.append(f"Packs: {', '.join(packs_of(r.id)) or 'none (enable it in your config)'}")
    out.append(f"Hint: {r.hint}")
    return "\n".join(out) + "\n"


def reference(rules: list[Rule]) -> str:
    """docs/rules.md: every rule's documentation, one `## id` heading each (the SARIF helpUri
    anchors point at these headings)."""
    out = [
        "# Rules",
        "",
        "Generated from the rule registry by `auditor rules --format reference`; do not edit by hand.",
        "",
    ]
    for r in rules:
        out += [f"## {r.id}", "", f"*{r.severity.value}* · source: {r.source.value} · packs: {', '.join(packs_of(r.id)) or 'none'}", ""]
        out += [r.summary, ""]
        if r.doc:
            out += ["```text", r.doc, "```", ""]
        if r.options:
            out += ["| option | type | default | meaning |", "|---|---|---|---|"]
            out += [f"| `{o.name}` | {o.type.__name__} | `{o.default!r}` | {o.help} |" for o in r.options]
            out.append("")
        out += [f"Hint: {r.hint}", ""]
    return "\n".join(out)
