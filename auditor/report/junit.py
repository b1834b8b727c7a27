"""`--format junit`: JUnit XML for CI test-report views (GitLab, Jenkins, Azure, CircleCI).

``<testsuites>`` holds one ``<testsuite>`` per file (the file the offending node is written in;
audited documents come first), one ``<testcase>`` per rule with findings in that file
(``classname`` = file, ``name`` = rule id) and one ``<failure>`` per finding. An audited
document without findings in its own file gets one passing test case, so a clean run is a
passing test run rather than an empty one. Text that XML 1.0 cannot carry (control
characters, lone surrogates) is replaced by ``\\xNN`` escapes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from auditor.model import Finding, Report
from auditor.report.common import display_path, finding_path

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
NO_LOCATION = "(no location)"
CLEAN_CASE = "no findings"


def clean(text: str) -> str:
    """XML 1.0-safe text: forbidden characters become visible ``\\xNN`` / ``\\uNNNN`` escapes."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


def render(report: Report, options) -> str:
    base_dir = getattr(options, "base_dir", None)
    by_file: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for doc in report.documents:
        by_file[display_path(doc.path, base_dir)]  # documents first, even when clean
    for f in report.findings:
        by_file[finding_path(f, report, base_dir) or NO_LOCATION][f.rule].append(f)

    root = ET.Element("testsuites", name="auditor")
    total_tests = total_failures = 0
    for file, rules in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=clean(file))
        tests = failures = 0
        for rule_id in sorted(rules):
            case = ET.SubElement(suite, "testcase", classname=clean(file), name=rule_id, file=clean(file))
            tests += 1
            for f in rules[rule_id]:
                failure = ET.SubElement(case, "failure", message=clean(f.message), type=f.severity.value)
                failure.text = clean(_detail(f, file))
                failures += 1
        if not rules:
            ET.SubElement(suite, "testcase", classname=clean(file), name=CLEAN_CASE, file=clean(file))
            tests += 1
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total_tests += tests
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _detail(f: Finding, file: str) -> str:
    loc = f.location
    where = f"{file}:{loc.line}:{loc.column}" if loc is not None and loc.line is not None else file
    lines = [f"{where} {f.severity.value} {f.rule}", f.message]
    if f.hint:
        lines.append(f"hint: {f.hint}")
    if loc is not None:
        lines.append(f"pointer: {loc.pointer or '/'}")
    if f.operation is not None:
        lines.append(f"operation: {f.operation}")
    ops = (f.evidence or {}).get("operations")
    if ops:
        lines.append(f"used by: {', '.join(map(str, ops))}")
    return "\n".join(lines)
