"""The live checks of ``auditor audit``, one module per family, each registered with
``@live_check`` (``auditor.rules.registry``): over every answer the run saw, once over the run,
or as probes that send requests of their own. ``auditor.rules.load_builtin_rules`` imports them,
so they must stay light to import (no requests, no fuzzer at module level)."""
