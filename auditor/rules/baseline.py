"""baseline/: findings produced by applying a baseline file (``auditor/baseline_file.py``), not by a
rule function. Registered here so `auditor rules` documents them and reporters find their help."""

from __future__ import annotations

import inspect

from auditor.model import Severity, Source
from auditor.rules.registry import REGISTRY, Rule

REGISTRY.add(
    Rule(
        id="baseline/stale-entry",
        severity=Severity.INFO,
        summary="Every baseline entry still matches a finding",
        hint="the problem was fixed or changed; regenerate the baseline with `auditor baseline` to prune it",
        check=None,  # produced by `--baseline FILE`, never run by the engine
        source=Source.LINT,
        doc=inspect.cleandoc(
            """
            What it checks: that every entry of the baseline given with `--baseline FILE` still
            hides a current finding. An entry that matches nothing is reported at its place in
            the baseline file.

            Why it matters: a stale entry would silently hide the same problem if it came back;
            a baseline should shrink as problems are fixed.

            Bad:
                {"fingerprint": "5f0c8e1d2a9b7c3e4f60", "rule": "contract/spec-valid", ...}
                (the finding it recorded was fixed)

            Good:
                a baseline regenerated after the fix, without that entry

            Fix: run `auditor baseline SPEC -o auditor-baseline.json` again and commit the result.
            """
        ),
        module=__name__,
    )
)
