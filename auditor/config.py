"""Policy packs and project configuration, validated when loaded.

A pack (``policies/<name>.yaml``) and a project config (``auditor.yaml``, ``.auditor.yaml`` or
``[tool.auditor]`` in ``pyproject.toml``, found from the current directory upward, or
``--config FILE``) share one shape::

    extends: recommended            # a pack name or a path (packs only: `pack:` in a project config)
    rules:
      errors/error-responses-defined: error          # severity, or `off`
      idempotency/key-on-post: {severity: warn, options: {header-names: [Idempotency-Key]}}
    overrides:                      # per path/method, later entries win
      - paths: ["/internal/**"]
        methods: [GET]
        rules: {security/operations-secured: off}
    public: ["GET /health", "/login"]   # endpoints that are public on purpose

Mistakes are input errors naming the file, the rule and the option.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditor.exceptions import InputError
from auditor.model import Severity
from auditor.rules.registry import Registry, Rule


def _policies_dir() -> Path:
    """The built-in packs. An installed auditor has them in ``auditor/policies/`` (the build maps
    the repository's top-level ``policies/`` there); a checkout (the editable install of ``./run``)
    has them beside the package. That folder is what ``importlib.resources`` would give for an
    installed package, without its imports (tempfile, zipfile: milliseconds of every lint)."""
    package = Path(__file__).resolve().parent
    installed = package / "policies"
    return installed if installed.is_dir() else package.parent / "policies"


POLICIES_DIR = _policies_dir()
DEFAULT_PACK = "recommended"
PROJECT_FILES = ("auditor.yaml", ".auditor.yaml", "auditor.yml")
_TOP_KEYS = {"extends", "pack", "rules", "overrides", "public", "description", "name", "live"}


@dataclass(frozen=True)
class RuleSetting:
    enabled: bool
    severity: Severity
    options: dict[str, Any]


@dataclass(frozen=True)
class Override:
    paths: tuple[str, ...]
    methods: tuple[str, ...]
    rules: dict[str, tuple[bool, Severity | None]]

    def matches(self, method: str | None, path: str | None) -> bool:
        if path is None:
            return False
        if self.methods and (method or "").lower() not in self.methods:
            return False
        return not self.paths or any(fnmatch.fnmatchcase(path, p) for p in self.paths)


@dataclass
class Config:
    """The effective configuration: pack + project config + command-line overrides."""

    pack: str = DEFAULT_PACK
    settings: dict[str, RuleSetting] = field(default_factory=dict)
    overrides: list[Override] = field(default_factory=list)
    public: tuple[str, ...] = ()
    live: dict[str, Any] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def setting(self, rule: Rule) -> RuleSetting:
        return self.settings.get(rule.id) or RuleSetting(False, rule.severity, rule.defaults())

    def enabled_rules(self, registry: Registry) -> list[Rule]:
        return [r for r in registry if self.setting(r).enabled]

    def enabling(self, rules: list[Rule]) -> Config:
        """This configuration with ``rules`` switched on at their configured severity (``--rule X``
        runs X even when the pack leaves it off)."""
        settings = dict(self.settings)
        for r in rules:
            settings[r.id] = replace(self.setting(r), enabled=True)
        return replace(self, settings=settings)

    def severity_for(self, rule: Rule, method: str | None, path: str | None) -> Severity | None:
        """Effective severity at an operation, None when switched off there."""
        s = self.setting(rule)
        enabled, severity = s.enabled, s.severity
        for o in self.overrides:
            if rule.id in o.rules and o.matches(method, path):
                on, sev = o.rules[rule.id]
                enabled = on
                severity = sev or severity
        return severity if enabled else None


def load_config(registry: Registry, *, config_file: str | None = None, pack: str | None = None, cwd: Path | None = None) -> Config:
    project: dict[str, Any] = {}
    project_name = None
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            raise InputError("config file not found", where=config_file, hint="check the --config path")
        project, project_name = _read_config(path), str(path)
    else:
        found = find_project_config(cwd or Path.cwd())
        if found is not None:
            project, project_name = found
    if project:
        _check_keys(project, project_name or "config", allow_pack=True)
    pack_name = pack or project.get("pack") or project.get("extends") or DEFAULT_PACK
    config = Config(pack=str(pack_name))
    chain = _pack_chain(str(pack_name), base=Path(project_name).parent if project_name and Path(project_name).exists() else None)
    for name, data in chain:
        _apply(config, data, name, registry)
    if project:
        _apply(config, project, project_name or "config", registry)
    config.sources = tuple(n for n, _ in chain) + ((project_name,) if project_name else ())
    return config


def load_pack(registry: Registry, name: str) -> Config:
    """A built-in pack (or pack file) on its own, without any project config."""
    config = Config(pack=name)
    for source, data in _pack_chain(name, None):
        _apply(config, data, source, registry)
    return config


def find_project_config(start: Path) -> tuple[dict[str, Any], str] | None:
    for folder in (start, *start.parents):
        for name in PROJECT_FILES:
            candidate = folder / name
            if candidate.is_file():
                return _read_config(candidate), str(candidate)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            import tomllib

            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read pyproject.toml: {exc}", where=str(pyproject)) from None
            section = data.get("tool", {}).get("auditor")
            if isinstance(section, dict):
                return section, f"{pyproject} [tool.auditor]"
        if (folder / ".git").exists():
            break
    return None


def pack_names() -> list[str]:
    return sorted(p.stem for p in POLICIES_DIR.glob("*.yaml"))


def _read_config(path: Path) -> dict[str, Any]:
    from auditor.document.parse import parse

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read config: {exc.strerror}", where=str(path)) from None
    if not raw.strip():
        return {}
    data = parse(raw, str(path)).data
    if not isinstance(data, dict):
        raise InputError("config must be a mapping", where=str(path), hint="see README: Configuration")
    return data


def _pack_chain(name: str, base: Path | None, _seen: tuple[str, ...] = ()) -> list[tuple[str, dict[str, Any]]]:
    path = _pack_path(name, base)
    key = str(path)
    if key in _seen:
        raise InputError(f"policy pack extends itself: {' -> '.join((*_seen, key))}", where=key)
    data = _read_config(path)
    _check_keys(data, key, allow_pack=False)
    parent = data.get("extends")
    chain = _pack_chain(str(parent), path.parent, (*_seen, key)) if parent else []
    return [*chain, (key, data)]


def _pack_path(name: str, base: Path | None) -> Path:
    builtin = POLICIES_DIR / f"{name}.yaml"
    if "/" not in name and not name.endswith((".yaml", ".yml")) and builtin.is_file():
        return builtin
    candidate = (base / name) if base and not Path(name).is_absolute() else Path(name)
    if candidate.is_file():
        return candidate
    raise InputError(
        f"unknown policy pack {name!r}",
        hint=f"use one of: {', '.join(pack_names())}, or a path to a pack file",
    )


def _check_keys(data: dict[str, Any], where: str, *, allow_pack: bool) -> None:
    unknown = set(data) - _TOP_KEYS - ({"pack"} if allow_pack else set())
    if unknown:
        raise InputError(
            f"unknown key(s) {', '.join(sorted(map(str, unknown)))}",
            where=where,
            hint=f"allowed keys: {', '.join(sorted(_TOP_KEYS))}",
        )


def _apply(config: Config, data: dict[str, Any], where: str, registry: Registry) -> None:
    rules = data.get("rules") or {}
    if not isinstance(rules, dict):
        raise InputError("`rules` must be a mapping of rule id to setting", where=where)
    for rule_id, value in rules.items():
        for r in _select(registry, str(rule_id), where):
            config.settings[r.id] = _rule_setting(r, value, config.settings.get(r.id), where)
    for i, raw in enumerate(data.get("overrides") or []):
        config.overrides.append(_override(raw, registry, f"{where} overrides[{i}]"))
    public = data.get("public")
    if public is not None:
        if not isinstance(public, list) or not all(isinstance(p, str) for p in public):
            raise InputError("`public` must be a list of 'METHOD /path' or '/path' globs", where=where)
        config.public = tuple(dict.fromkeys((*config.public, *public)))
    live = data.get("live")
    if live is not None:
        if not isinstance(live, dict):
            raise InputError("`live` must be a mapping", where=where)
        config.live.update(live)


def _select(registry: Registry, selector: str, where: str) -> list[Rule]:
    """A rule id, a family (`errors/*` or `errors`), or `*`."""
    if selector in registry:
        return [registry.get(selector)]  # type: ignore[list-item]
    family = selector[:-2] if selector.endswith("/*") else selector
    matched = [r for r in registry if selector == "*" or r.family == family]
    if not matched:
        from difflib import get_close_matches

        close = get_close_matches(selector, [r.id for r in registry], n=1)
        raise InputError(
            f"unknown rule {selector!r}",
            where=where,
            hint=f"did you mean {close[0]!r}?" if close else "`auditor rules` lists every rule id",
        )
    return matched


def _parse_severity(value: Any, rule_id: str, where: str) -> tuple[bool, Severity | None]:
    if value is False or (isinstance(value, str) and value.lower() == "off"):
        return False, None
    if value is True or (isinstance(value, str) and value.lower() == "on"):
        return True, None
    if isinstance(value, str):
        try:
            return True, Severity.parse(value)
        except ValueError:
            pass
    raise InputError(
        f"rule {rule_id}: invalid severity {value!r}",
        where=where,
        hint="use error, warn, info or off",
    )


def _rule_setting(r: Rule, value: Any, previous: RuleSetting | None, where: str) -> RuleSetting:
    options = dict(previous.options) if previous else r.defaults()
    severity = previous.severity if previous else r.severity
    if isinstance(value, dict):
        unknown = set(value) - {"severity", "options"}
        if unknown:
            raise InputError(
                f"rule {r.id}: unknown key(s) {', '.join(sorted(unknown))}",
                where=where,
                hint="a rule setting takes `severity` and `options`",
            )
        enabled, sev = _parse_severity(value.get("severity", "on"), r.id, where)
        options.update(_check_options(r, value.get("options") or {}, where))
    else:
        enabled, sev = _parse_severity(value, r.id, where)
    return RuleSetting(enabled, sev or severity, options)


def _check_options(r: Rule, options: Any, where: str) -> dict[str, Any]:
    if not isinstance(options, dict):
        raise InputError(f"rule {r.id}: `options` must be a mapping", where=where)
    known = {o.name: o for o in r.options}
    out = {}
    for name, value in options.items():
        opt = known.get(name)
        if opt is None:
            raise InputError(
                f"rule {r.id}: unknown option {name!r}",
                where=where,
                hint=f"options of {r.id}: {', '.join(known) or 'none'}",
            )
        if opt.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, opt.type) or (opt.type is int and isinstance(value, bool)):
            raise InputError(
                f"rule {r.id}: option {name!r} must be {opt.type.__name__}, got {type(value).__name__}",
                where=where,
                hint=opt.help,
            )
        if opt.type is list and isinstance(opt.default, list) and opt.default and isinstance(opt.default[0], str):
            if not all(isinstance(v, str) for v in value):  # type: ignore[attr-defined]  # a list: checked above
                raise InputError(f"rule {r.id}: option {name!r} must be a list of strings", where=where)
        out[name] = value
    return out


def _override(raw: Any, registry: Registry, where: str) -> Override:
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), dict):
        raise InputError("an override needs `rules` (and `paths` and/or `methods`)", where=where)
    unknown = set(raw) - {"paths", "methods", "rules"}
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(sorted(unknown))}", where=where, hint="allowed: paths, methods, rules")
    rules: dict[str, tuple[bool, Severity | None]] = {}
    for rule_id, value in raw["rules"].items():
        for r in _select(registry, str(rule_id), where):
            rules[r.id] = _parse_severity(value, r.id, where)
    paths = raw.get("paths") or []
    methods = raw.get("methods") or []
    if not isinstance(paths, list) or not isinstance(methods, list):
        raise InputError("`paths` and `methods` must be lists", where=where)
    return Override(tuple(map(str, paths)), tuple(str(m).lower() for m in methods), rules)
