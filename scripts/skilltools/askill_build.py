"""The askill target: dist/askill/<name>/, the spec-clean folder plus askill.yaml's askill-only keys at the top
of SKILL.md's frontmatter (askill reads slug, version, tags and commands nowhere else; `askill publish` needs
slug and version there). Everything else is byte for byte the spec-clean build.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import askill_reader as reader
from .askill_check import ASKILL_KEYS, differences, installer_drops, limits, raw_text
from .build import BuildError, build_dir
from .model import Problem, Skill
from .parse import SKILL_FILE, ParseError, load_skill, parse_markdown
from .rules import problem

TARGET_DIR = "askill"
"""The askill copy goes to <out>/askill/<name>/ so that it never replaces the spec-clean <out>/<name>/."""


def _scalar(key: str, value: Any) -> str:
    if not isinstance(value, str) or "\n" in value or "\r" in value:
        raise BuildError(f"askill.yaml {key}: {value!r} must be a one-line string")
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    raise BuildError(f"askill.yaml {key}: {value!r} holds both quote characters; askill cannot read it back")


def frontmatter_lines(manifest: Mapping[str, Any]) -> list[str]:
    """askill.yaml's askill-only keys as frontmatter lines in the shapes askill's reader understands."""
    lines: list[str] = []
    for key in ASKILL_KEYS:
        if key not in manifest:
            continue
        value = manifest[key]
        if isinstance(value, list):
            lines += [f"{key}:", *(f"  - {_scalar(key, item)}" for item in value)] if value else []
        elif isinstance(value, dict) and key == "commands":
            lines.append(f"{key}:")
            for name, spec in value.items():
                if not isinstance(spec, dict):
                    raise BuildError(f"askill.yaml commands.{name} must be a map with run and description")
                lines.append(f"  {name}:")
                lines += [
                    f"    {prop}: {_scalar(f'commands.{name}.{prop}', spec.get(prop))}"
                    for prop in ("run", "description")
                ]
        elif isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {sub}: {_scalar(f'{key}.{sub}', item)}" for sub, item in value.items()]
        else:
            lines.append(f"{key}: {_scalar(key, value)}")
    return lines


def askill_skill_md(spec_text: str, manifest: Mapping[str, Any]) -> str:
    """The spec-clean SKILL.md with the askill-only keys appended to its frontmatter."""
    newline = "\r\n" if "\r\n" in spec_text else "\n"
    lines = spec_text.split(newline)
    if not lines or lines[0].rstrip() != "---":
        raise BuildError("SKILL.md has no frontmatter to add askill's keys to")
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if close is None:
        raise BuildError("SKILL.md frontmatter is never closed")
    present = [key for key in ASKILL_KEYS if any(line.startswith(f"{key}:") for line in lines[1:close])]
    if present:
        raise BuildError(f"SKILL.md already has askill-only keys {present}; keep them in askill.yaml only")
    return newline.join([*lines[:close], *frontmatter_lines(manifest), *lines[close:]])


def check_target(folder: Path, manifest: Mapping[str, Any]) -> list[Problem]:
    """The askill copy against askill's rules: read the same by askill and YAML, publishable, installable whole."""
    text = raw_text(folder / SKILL_FILE)
    try:
        doc = parse_markdown(SKILL_FILE, text.removeprefix("\ufeff").replace("\r\n", "\n"))
    except ParseError as error:
        return [error.problem]
    front = doc.frontmatter or {}
    problems = differences(text, front, doc.key_lines)
    problems += limits(front, doc.key_lines, SKILL_FILE, target=True)
    for key in ASKILL_KEYS:
        if manifest.get(key) != front.get(key):
            message = f"{key} {front.get(key)!r} differs from askill.yaml {manifest.get(key)!r}; rebuild"
            problems.append(problem("SKL801", SKILL_FILE, doc.key_lines.get(key, 1), detail=message))
    problems += installer_drops(load_skill(folder))
    return problems


def build_askill(skill: Skill, out_dir: Path) -> tuple[Path, list[Problem]]:
    """Write <out_dir>/askill/<name>/ and return it with the problems askill's rules find in it."""
    manifest = skill.manifest.data if skill.manifest else None
    if manifest is None or skill.skill_md is None:
        raise BuildError("askill.yaml or SKILL.md is missing or unreadable; run `skilltools validate` for details")
    text = askill_skill_md(skill.skill_md.text, manifest)
    folder = build_dir(skill, out_dir / TARGET_DIR, overrides={SKILL_FILE: text.encode("utf-8")})
    if folder.name != reader.install_name(folder.name):
        raise BuildError(f"askill would install {folder.name!r} as {reader.install_name(folder.name)!r}")
    return folder, check_target(folder, manifest)
