"""Policy packs, project configuration, overrides and in-document suppression."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.config import POLICIES_DIR, load_config, pack_names
from auditor.exceptions import InputError
from auditor.rules import load_builtin_rules

REGISTRY = load_builtin_rules()
RELIABILITY_FAMILIES = ("errors/", "ratelimit/", "idempotency/", "versioning/")

BAD_SPEC = """openapi: 3.0.3
info: {title: T}
paths:
  /a:
    get:
      responses:
        "200": {}
"""


def test_builtin_packs_exist_and_load():
    assert {"minimal", "recommended", "strict"} <= set(pack_names())
    for name in pack_names():
        cfg = load_config(REGISTRY, pack=name)
        assert cfg.enabled_rules(REGISTRY), name


def test_packs_are_nested():
    enabled = {n: {r.id for r in load_config(REGISTRY, pack=n).enabled_rules(REGISTRY)} for n in ("minimal", "recommended", "strict")}
    assert enabled["minimal"] <= enabled["recommended"] <= enabled["strict"]


def test_packs_enable_these_rules_and_minimal_stays_contract_only(tmp_path):
    mine = [r.id for r in REGISTRY if r.id.startswith(RELIABILITY_FAMILIES) and r.check is not None and r.source.value == "lint"]
    for pack in ("recommended", "strict"):
        config = load_config(REGISTRY, pack=pack, cwd=Path(tmp_path))
        assert [rid for rid in mine if not config.setting(REGISTRY.get(rid)).enabled] == [], pack
    minimal = load_config(REGISTRY, pack="minimal", cwd=Path(tmp_path))
    assert not any(minimal.setting(REGISTRY.get(rid)).enabled for rid in mine)
    strict = load_config(REGISTRY, pack="strict", cwd=Path(tmp_path))
    assert strict.setting(REGISTRY.get("versioning/info-version-semver")).options["allow-major-minor"] is False


def test_unknown_pack_is_input_error():
    with pytest.raises(InputError, match="unknown policy pack"):
        load_config(REGISTRY, pack="nope")


def test_project_config_found_upward(tmp_path):
    (tmp_path / "auditor.yaml").write_text("pack: minimal\nrules:\n  contract/spec-valid: warn\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    cfg = load_config(REGISTRY, cwd=sub)
    assert cfg.pack == "minimal"
    assert cfg.setting(REGISTRY.get("contract/spec-valid")).severity.value == "warn"


def test_pyproject_tool_auditor(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.auditor]\npack = "minimal"\n[tool.auditor.rules]\n"contract/spec-valid" = "off"\n')
    cfg = load_config(REGISTRY, cwd=tmp_path)
    assert not cfg.setting(REGISTRY.get("contract/spec-valid")).enabled


@pytest.mark.parametrize(
    "text, expected",
    [
        ("rules:\n  contract/spec-vald: error\n", "did you mean 'contract/spec-valid'"),
        ("rules:\n  contract/spec-valid: loud\n", "invalid severity"),
        ("rules:\n  contract/spec-valid: {options: {nope: 1}}\n", "unknown option 'nope'"),
        ("rulez: {}\n", "unknown key(s) rulez"),
        ("public: 3\n", "`public` must be a list"),
        ("overrides:\n  - paths: ['/a']\n", "an override needs `rules`"),
    ],
)
def test_config_mistakes_name_file_rule_and_option(tmp_path, text, expected):
    path = tmp_path / "auditor.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_config(REGISTRY, config_file=str(path))
    message = str(info.value) + " " + info.value.hint
    assert expected in message
    assert str(path) in str(info.value)


def test_config_error_is_exit_2(cli, write):
    spec = write("a.yaml", BAD_SPEC)
    cfg = write("auditor.yaml", "rules:\n  nope/nope: error\n")
    r = cli(["lint", str(spec), "--config", str(cfg)])
    assert r.code == 2 and "unknown rule 'nope/nope'" in r.err and "Traceback" not in r.err


def test_severity_override_and_off(cli, write):
    spec = write("a.yaml", BAD_SPEC)
    cfg = write("c.yaml", "pack: minimal\nrules:\n  contract/spec-valid: warn\n")
    r = cli(["lint", str(spec), "--config", str(cfg), "-f", "json"])
    report = json.loads(r.out)
    assert r.code == 0 and report["summary"]["warn"] >= 1 and report["summary"]["error"] == 0
    cfg.write_text("pack: minimal\nrules:\n  contract/spec-valid: off\n")
    r = cli(["lint", str(spec), "--config", str(cfg), "-f", "json"])
    assert json.loads(r.out)["summary"]["warn"] == 0


def test_path_override(cli, write):
    spec = write("a.yaml", BAD_SPEC)
    cfg = write(
        "c.yaml",
        "pack: minimal\noverrides:\n  - paths: ['/a']\n    methods: [get]\n    rules: {contract/spec-valid: info}\n",
    )
    r = cli(["lint", str(spec), "--config", str(cfg), "-f", "json"])
    findings = json.loads(r.out)["findings"]
    by_ptr = {f["location"]["pointer"]: f["severity"] for f in findings}
    assert by_ptr["/info"] == "error"  # not under /a


def test_pack_file_extending_builtin(cli, write):
    spec = write("a.yaml", BAD_SPEC)
    pack = write("team-pack.yaml", "extends: minimal\nrules:\n  contract/spec-valid: info\n")
    r = cli(["lint", str(spec), "--pack", str(pack), "-f", "json"])
    assert r.code == 0
    assert json.loads(r.out)["summary"]["info"] >= 1


def test_pack_cycle_is_input_error(write):
    a = write("a-pack.yaml", "extends: b-pack.yaml\n")
    write("b-pack.yaml", "extends: a-pack.yaml\n")
    with pytest.raises(InputError, match="extends itself"):
        load_config(REGISTRY, pack=str(a))


def test_policy_files_are_data():
    for path in POLICIES_DIR.glob("*.yaml"):
        assert path.read_text().strip()


def test_x_auditor_ignore_suppresses_and_counts(cli, write):
    doc = BAD_SPEC.replace("openapi: 3.0.3", "openapi: 3.0.3\nx-auditor-ignore:\n  - rule: contract/spec-valid\n    reason: legacy document")
    r = cli(["lint", str(write("a.yaml", doc)), "--pack", "minimal", "-f", "json"])
    report = json.loads(r.out)
    assert r.code == 0
    assert report["summary"]["error"] == 0 and report["summary"]["suppressed"] >= 1
    assert report["suppressed"][0]["evidence"]["suppressed"] == "legacy document"
    r = cli(["lint", str(write("a.yaml", doc)), "--pack", "minimal"])
    assert "suppressed" in r.out


def test_x_auditor_ignore_on_operation_is_scoped(cli, write):
    doc = BAD_SPEC.replace('        "200": {}', '        "200": {}\n      x-auditor-ignore: [contract/spec-valid]')
    r = cli(["lint", str(write("a.yaml", doc)), "--pack", "minimal", "-f", "json"])
    report = json.loads(r.out)
    pointers = {f["location"]["pointer"] for f in report["findings"]}
    assert "/info" in pointers  # the root-level problem is not suppressed
    assert report["summary"]["suppressed"] >= 1


def test_rule_flag_runs_a_rule_the_pack_leaves_off(cli, write):
    spec = write("a.yaml", "openapi: 3.0.3\ninfo: {title: T, version: 1.0.0}\npaths: {}\n")
    r = cli(["lint", str(spec), "--pack", "minimal", "--rule", "health/liveness", "-f", "json"])
    assert [f["rule"] for f in json.loads(r.out)["findings"]] == ["health/liveness"]


def test_strict_enables_every_rule_and_a_rule_in_no_pack_is_off():
    """Lint and live rules follow one enable rule: on when a pack names them, off otherwise."""
    from auditor.config import Config, load_pack
    from auditor.live.findings import live_finding
    from auditor.live.secrets import Masker
    from auditor.rules import load_builtin_rules

    registry = load_builtin_rules()
    strict = load_pack(registry, "strict")
    assert [r.id for r in registry if not strict.setting(r).enabled] == []
    empty = Config()  # a pack that names no rule
    assert not empty.setting(registry["contract/spec-valid"]).enabled
    assert not empty.setting(registry["contract/status-code"]).enabled
    assert live_finding(registry["contract/status-code"], "m", "", {}, {}, None, empty, Masker()) is None
