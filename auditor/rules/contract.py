"""contract/: the document itself is a valid, loadable OpenAPI document."""

from __future__ import annotations

from auditor.document.context import Context
from auditor.document.document import At, RefProblem
from auditor.rules.registry import Violation, rule


@rule(
    "contract/spec-valid",
    severity="error",
    summary="The document validates against the OpenAPI schema for its version",
    hint="fix the node so it matches the OpenAPI specification for this version",
    heavy=True,
    as_written=True,
)
def spec_valid(ctx: Context):
    """
    What it checks: the document against the official OpenAPI (or Swagger 2.0) schema and the
    semantic checks of openapi-spec-validator (unique operationIds, path parameters declared,
    defaults valid against their schema, ...). Every error is reported, not just the first.

    Why it matters: every other rule, every code generator and every client reads the contract;
    an invalid contract is read differently by each of them.

    Bad:
        paths:
          /pets:
            get:
              responses:
                200: {}            # `description` is required

    Good:
        paths:
          /pets:
            get:
              responses:
                "200": {description: The pets}

    Fix: change the node the message points at so it matches the specification.
    """
    from auditor.document.validate import validate

    for error in validate(ctx.document):
        yield Violation(error.message, error.at)


@rule(
    "contract/ref-resolvable",
    severity="error",
    summary="Every $ref points at something that exists and does not loop on itself",
    hint="point the $ref at an existing node (check the file name and the JSON pointer after '#')",
    heavy=True,
    as_written=True,
)
def ref_resolvable(ctx: Context):
    """
    What it checks: every `$ref`, in every file reached, resolves: the file can be read and
    parsed, the JSON pointer after `#` names an existing node, and a chain of refs does not
    loop back on itself (a schema that contains itself through a property is fine: recursive
    schemas are legal).

    Why it matters: a dangling reference silently drops part of the contract for every tool.

    Bad:
        schema: {$ref: "#/components/schemas/Pett"}

    Good:
        schema: {$ref: "#/components/schemas/Pet"}

    Fix: correct the target, or add the missing component.
    """
    yield from _ref_problems(ctx, {"unresolved", "cycle", "unreadable"})


@rule(
    "contract/ref-allowed",
    severity="error",
    summary="External $refs stay inside the repository (or --ref-root); remote refs are not fetched by default",
    hint="vendor the referenced file into the repository, or allow it with --ref-root DIR / --allow-remote-refs",
    as_written=True,
)
def ref_allowed(ctx: Context):
    """
    What it checks: every external `$ref` is a relative file inside the ref root (by default
    the git repository that holds the root document, else the current folder). `file://` URLs
    are never followed; `http(s)://` refs only with `--allow-remote-refs`. One finding per file
    (or URL) not followed, at its first `$ref`; the evidence lists every `$ref` to it. A ref not
    followed stays a Reference Object as written: `contract/spec-valid` does not report its
    target as missing.

    Why it matters: a linter that follows any reference can be made to read files outside the
    repository or to call internal network addresses (cloud metadata services) from CI.

    Bad:
        $ref: "../../secrets/schema.yaml"
        $ref: "http://169.254.169.254/latest/meta-data/"

    Good:
        $ref: "./schemas/pet.yaml#/Pet"

    Fix: keep shared files inside the repository, or widen the root explicitly.
    """
    document = ctx.document
    document.unread_refs()  # every ref followed once, every problem recorded
    by_target: dict[str, list[RefProblem]] = {}
    for problem in document.ref_problems.values():
        if problem.kind == "not-allowed":
            by_target.setdefault(problem.target or problem.ref, []).append(problem)
    for target, problems in by_target.items():
        places = sorted(((p.at.child("$ref"), p.ref) for p in problems), key=lambda place: _reading_order(document, place[0]))
        refs = [{"file": at.file, "line": (document.locate(at) or (None,))[0], "pointer": at.pointer, "ref": ref} for at, ref in places]
        yield Violation(f"$ref target {target!r} not followed: {problems[0].reason}", places[0][0], evidence={"count": len(refs), "refs": refs})


def _reading_order(document, at: At) -> tuple:
    """The root file first, then by file, line and column."""
    return (at.file != document.root.name, at.file, document.locate(at) or (0, 0), at.pointer)


def _ref_problems(ctx: Context, kinds: set[str]):
    document = ctx.document
    document.unread_refs()  # every ref followed once, every problem recorded
    for problem in document.ref_problems.values():
        if problem.kind in kinds:
            yield Violation(f"$ref {problem.ref!r} not followed: {problem.reason}", problem.at.child("$ref"))


@rule(
    "contract/duplicate-key",
    severity="error",
    summary="No mapping repeats a key",
    hint="remove or rename the repeated key; only one of the two values is ever used",
    as_written=True,
)
def duplicate_key(ctx: Context):
    """
    What it checks: that no mapping in the document repeats a key (YAML and JSON both forbid it,
    but most parsers silently keep the last value).

    Why it matters: the two copies usually differ, and tools disagree on which one wins.

    Bad:
        paths:
          /pets: {get: {...}}
          /pets: {post: {...}}

    Good:
        paths:
          /pets: {get: {...}, post: {...}}

    Fix: merge the two entries into one.
    """
    ctx.document.unread_refs()  # every ref followed once, every problem recorded
    for f in ctx.document.files.values():
        for dup in f.duplicate_keys:
            if dup.startswith("/") or dup == "":
                yield Violation(f"key {dup.rsplit('/', 1)[-1]!r} appears more than once in this mapping", At(f.name, dup))
            else:
                yield Violation(f"key {dup!r} appears more than once in one mapping", At(f.name, ""))
