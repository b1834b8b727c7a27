"""Rules: the registry and the built-in families.

``load_builtin_rules()`` imports every module in this package (the static rules and the rules
the fuzzer reports) and in ``auditor.live.checks`` (the live checks of ``auditor audit``), which
registers them.
"""

from __future__ import annotations

import importlib
import pkgutil

from auditor.rules.registry import REGISTRY, Option, Registry, Rule, Violation, diff_rule, fuzzer_rule, live_check, rule

__all__ = ["REGISTRY", "Option", "Registry", "Rule", "Violation", "diff_rule", "fuzzer_rule", "live_check", "rule", "load_builtin_rules"]

_LOADED = False
_INFRA = {"registry"}


def load_builtin_rules() -> Registry:
    global _LOADED
    if not _LOADED:
        import auditor.live.checks as live_checks

        for package in (__name__, live_checks.__name__):
            path = importlib.import_module(package).__path__
            for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
                if info.name not in _INFRA and not info.name.startswith("_"):
                    importlib.import_module(f"{package}.{info.name}")
        _LOADED = True
    return REGISTRY
