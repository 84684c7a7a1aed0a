"""The askill channel's rules: what askill reads must be what YAML reads, and askill's limits hold.

SKL801  a frontmatter field askill reads differently from YAML (or askill finds no frontmatter at all)
SKL802  description: present, one line askill reads whole, at most 200 characters, says when ("Use when")
SKL803  name / slug: askill's patterns
SKL804  version: askill's semver (required on the askill target, where `askill publish` needs it)
SKL805  tags: a list of at most 5 lowercase tags of at most 20 characters
SKL806  commands: each has a `run` and a `description`, and a skill file its `run` names ships and installs
SKL807  dependencies: a list of `@scope/name` or `gh:owner/repo` strings
SKL808  `askill add` would drop a shipped file (names starting with `_`, README.md, dist/, ...)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import askill_reader as reader
from .manifest import shipped_files
from .model import Problem, Skill
from .parse import MANIFEST_FILE, SKILL_FILE
from .rules import problem

ASKILL_KEYS = ("slug", "version", "author", "tags", "commands", "dependencies", "repository")
"""Keys only askill reads; askill.yaml is their single source, and only the askill target's SKILL.md has them."""
WHEN = "Use when"
_BLOCK_SCALARS = {">", ">-", ">+", "|", "|-", "|+"}
Add = Callable[[str, str, str], None]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_askill_sees(key: str, value: Any) -> Any:
    """The YAML value reduced to what askill can represent: commands keep only `run` and `description`."""
    if key == "commands" and isinstance(value, dict):
        return {
            name: {"run": spec.get("run", ""), "description": spec.get("description", "")}
            if isinstance(spec, dict)
            else spec
            for name, spec in value.items()
        }
    return value


def _hint(value: Any) -> str:
    if isinstance(value, str) and value.strip() in _BLOCK_SCALARS:
        return "askill takes the block scalar indicator literally; write the value on one line, quoted"
    if isinstance(value, str) and value[:1] in "[{":
        return "askill keeps a flow collection as one string; write a list as '- item' lines"
    return "write scalars on one line (one pair of quotes, no escapes), lists as '- item' lines, maps one level deep"


def differences(content: str, yaml_values: Mapping[str, Any], key_lines: Mapping[str, int]) -> list[Problem]:
    """SKL801 for every top-level field whose askill reading differs from the YAML parse."""
    try:
        seen = reader.read_frontmatter(content)
    except reader.ReaderCrash as crash:
        return [problem("SKL801", SKILL_FILE, 1, detail=f"askill's frontmatter reader throws on this file ({crash})")]
    if seen is None:
        return [
            problem(
                "SKL801", SKILL_FILE, 1, detail="askill finds no frontmatter: the file must start with a '---' line"
            )
        ]
    problems = []
    for key in dict.fromkeys([*yaml_values, *seen.values]):
        askill_value = seen.values.get(key)
        yaml_value = _as_askill_sees(key, yaml_values.get(key))
        if askill_value != yaml_value:
            line = key_lines.get(key) or seen.lines.get(key, 1)
            detail = f"askill reads {key!r} as {_show(askill_value)}, YAML as {_show(yaml_value)}; " + _hint(
                askill_value
            )
            problems.append(problem("SKL801", SKILL_FILE, line, detail=detail))
    return problems


def limits(values: Mapping[str, Any], lines: Mapping[str, int], path: str, *, target: bool) -> list[Problem]:
    """askill's limits on the fields present (on the askill target, `slug` and `version` are required)."""
    problems: list[Problem] = []

    def add(key: str, rule: str, message: str) -> None:
        problems.append(problem(rule, path, lines.get(key, 1), detail=message))

    if "name" in values and not (isinstance(values["name"], str) and reader.NAME.match(values["name"])):
        add("name", "SKL803", f"name {_show(values['name'])} must be lowercase letters, digits and hyphens (askill)")
    if "description" in values:
        description = values["description"]
        if not isinstance(description, str) or not description.strip():
            add("description", "SKL802", "description must be a non-empty string")
        elif len(description) > reader.MAX_DESCRIPTION:
            add(
                "description",
                "SKL802",
                f"description has {len(description)} characters; askill allows {reader.MAX_DESCRIPTION}: "
                "say what the skill does, then 'Use when ...'",
            )
        elif WHEN not in description:
            add("description", "SKL802", f"description must say when to use the skill ('{WHEN} ...')")
    if "slug" in values and not (isinstance(values["slug"], str) and reader.SLUG.match(values["slug"])):
        add("slug", "SKL803", f"slug {_show(values['slug'])} must be lowercase words joined by hyphens (askill)")
    if "version" in values and not (isinstance(values["version"], str) and reader.SEMVER.match(values["version"])):
        add("version", "SKL804", f"version {_show(values['version'])} is not semver like 1.2.3 (askill)")
    for key in ("slug", "version") if target else ():
        if key not in values:
            problems.append(
                problem("SKL804" if key == "version" else "SKL803", path, 1, detail=f"askill publish needs {key}")
            )
    _tags(values, add)
    _commands(values, add)
    if "dependencies" in values:
        deps = values["dependencies"]
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            add("dependencies", "SKL807", "dependencies must be a list of strings (askill)")
        else:
            for dep in deps:
                if not dep.startswith(reader.DEPENDENCY_PREFIXES):
                    add("dependencies", "SKL807", f"dependency {dep!r} must start with @ or gh: (askill)")
    return problems


def _tags(values: Mapping[str, Any], add: Add) -> None:
    if "tags" not in values:
        return
    tags = values["tags"]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        add("tags", "SKL805", "tags must be a list of strings written as '- tag' lines (askill)")
        return
    if len(tags) > reader.MAX_TAGS:
        add("tags", "SKL805", f"{len(tags)} tags; askill allows {reader.MAX_TAGS}")
    for tag in tags:
        if tag != tag.lower() or not tag or len(tag) > reader.MAX_TAG_LENGTH:
            add("tags", "SKL805", f"tag {tag!r} must be lowercase, 1-{reader.MAX_TAG_LENGTH} characters (askill)")


def _commands(values: Mapping[str, Any], add: Add) -> None:
    if "commands" not in values:
        return
    commands = values["commands"]
    if not isinstance(commands, dict):
        add("commands", "SKL806", "commands must be a map of name -> {run, description}")
        return
    for name, spec in commands.items():
        spec = spec if isinstance(spec, dict) else {}
        for prop in ("run", "description"):
            if not isinstance(spec.get(prop), str) or not spec[prop].strip():
                add("commands", "SKL806", f"command {name!r} needs a one-line {prop} (askill)")


def raw_text(path: Path) -> str:
    """A file as askill's `readFile(path, 'utf-8')` sees it: a BOM and CRLF line ends kept."""
    return path.read_bytes().decode("utf-8", errors="replace")


def installer_drops(skill: Skill) -> list[Problem]:
    """SKL808: shipped files `askill add` would leave out of the installed copy."""
    manifest = skill.manifest
    if manifest is None or manifest.data is None:
        return []
    files, _ = shipped_files(skill.root, manifest.data.get("files"), 1)
    line = manifest.key_lines.get("files", 1)
    return [
        problem(
            "SKL808",
            MANIFEST_FILE,
            line,
            detail=f"{rel} ships but `askill add` skips it (names starting with '_', README.md, metadata.json, "
            "dist/, build/, ...); rename or move it",
        )
        for rel in files
        if reader.install_skips(rel)
    ]


def command_scripts(skill: Skill) -> list[Problem]:
    """SKL806: a skill file a command's `run` names (e.g. scripts/x.py) ships and survives `askill add`."""
    manifest = skill.manifest
    commands = manifest.data.get("commands") if manifest and manifest.data else None
    if not isinstance(commands, dict) or manifest is None or manifest.data is None:
        return []
    files, _ = shipped_files(skill.root, manifest.data.get("files"), 1)
    problems = []
    for name, spec in commands.items():
        run = spec.get("run") if isinstance(spec, dict) else None
        for word in run.split() if isinstance(run, str) else []:
            relative = "/" in word and not word.startswith(("-", "/", "$", "~")) and "://" not in word
            if relative and (word not in files or reader.install_skips(word)):
                message = f"command {name!r} runs {word}, which is not in the installed skill; ship it in files"
                problems.append(problem("SKL806", MANIFEST_FILE, manifest.key_lines.get("commands", 1), detail=message))
    return problems


def check_askill(skill: Skill) -> list[Problem]:
    """The askill rules for a source checkout or a spec-clean build: SKILL.md reads the same in askill and YAML,
    its fields keep askill's limits, askill.yaml's askill keys keep them too, and nothing shipped is dropped."""
    doc = skill.skill_md
    problems: list[Problem] = []
    if doc is not None and doc.frontmatter is not None:
        problems += differences(raw_text(skill.root / SKILL_FILE), doc.frontmatter, doc.key_lines)
        problems += limits(doc.frontmatter, doc.key_lines, SKILL_FILE, target=False)
    manifest = skill.manifest
    if manifest is not None and manifest.data is not None:
        own = {key: manifest.data[key] for key in ASKILL_KEYS if key in manifest.data}
        problems += limits(own, manifest.key_lines, MANIFEST_FILE, target=False)
    problems += installer_drops(skill)
    problems += command_scripts(skill)
    return problems
