"""Rules: the registry, the context rules read the document through, and the built-in families.

``load_builtin_rules()`` imports every module in this package, which registers its rules.
"""

from __future__ import annotations

import importlib
import pkgutil

from auditor.rules.registry import REGISTRY, Option, Registry, Rule, Violation, diff_rule, live_rule, rule

__all__ = ["REGISTRY", "Option", "Registry", "Rule", "Violation", "diff_rule", "live_rule", "rule", "load_builtin_rules"]

_LOADED = False
_INFRA = {"registry"}


def load_builtin_rules() -> Registry:
    global _LOADED
    if not _LOADED:
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if info.name not in _INFRA and not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _LOADED = True
    return REGISTRY
