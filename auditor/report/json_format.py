"""`--format json`: the documented, stable JSON contract (schema_version 1)."""

from __future__ import annotations

import json

from auditor.model import Report


def render(report: Report, options) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=True, sort_keys=False) + "\n"
