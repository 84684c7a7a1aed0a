"""Checks over the parsed skill. Each `check_*` is pure: it reads the model and returns problems.

Limits and allowed values are module constants so that messages, tests and the README quote one source.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import yaml

from . import compat
from .askill_check import check_askill
from .expectation import SYNTAX, Expectation
from .manifest import shipped_files
from .model import CodeBlock, Document, Problem, Program, Reference, Skill, info_words
from .parse import MANIFEST_FILE, SKILL_FILE, ParseError, load_yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

MAX_BODY_LINES = 500
MAX_BODY_TOKENS = 5000
CHARS_PER_TOKEN = 4
"""A common rule of thumb for English prose and code with BPE tokenizers; good enough for a budget."""

PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX)\b|lorem ipsum|<placeholder>|\[insert [^\]]*\]", re.IGNORECASE)
RULE_FILE_NAME = re.compile(r"^([a-z]+)-[a-z0-9]+(-[a-z0-9]+)*\.md$")
PYTHON_SETTINGS = {"expect", "lint", "timeout", "before"}
PYTHON_TAGS = {"continues", "pytest"}
LINT_ID = re.compile(r"^DBOS\d{3}$")
DOCS_LINK = re.compile(r"https://docs\.dbos\.dev/\S+")
PARSED_LANGUAGES = {"yaml", "yml", "json", "toml"}


@dataclass(frozen=True)
class BodyBudget:
    lines: int
    tokens: int

    def __str__(self) -> str:
        return (
            f"SKILL.md body: {self.lines} lines (limit {MAX_BODY_LINES}), "
            f"~{self.tokens} tokens (limit {MAX_BODY_TOKENS})"
        )


def estimate_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def body_budget(doc: Document) -> BodyBudget:
    body = doc.body
    return BodyBudget(len(body.rstrip("\n").split("\n")) if body.strip() else 0, estimate_tokens(body))


@cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("skilltools").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def check_schema(
    data: Any, schema_name: str, path: str, key_lines: Mapping[str, int], default_line: int
) -> list[Problem]:
    """Validate data against one of our JSON Schemas, pointing each error at its key's line."""
    validator = jsonschema.Draft202012Validator(load_schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        location = ".".join(str(part) for part in error.absolute_path)
        top = str(error.absolute_path[0]) if error.absolute_path else None
        if top is None and error.validator in ("additionalProperties", "required"):
            extra = re.findall(r"'([^']+)'", error.message)
            top = extra[0] if extra and extra[0] in key_lines else None
        line = key_lines.get(top, default_line) if top else default_line
        where = f"{location}: " if location else ""
        problems.append(Problem(path, line, "SKL104", f"{where}{error.message}"))
    return problems


# --- SKILL.md and askill.yaml ----------------------------------------------------------------------------


def _is_source_checkout(skill: Skill) -> bool:
    """A repository checkout (with tooling) rather than a built or unpacked skill folder."""
    return (skill.root / "pyproject.toml").exists()


def check_skill_md(skill: Skill) -> list[Problem]:
    doc = skill.skill_md
    if doc is None:
        return []
    if doc.frontmatter is None:
        return [Problem(SKILL_FILE, 1, "SKL101", "missing YAML frontmatter ('---' block with name and description)")]
    front = doc.frontmatter
    problems = check_schema(front, "skill", SKILL_FILE, doc.key_lines, 1)
    name = front.get("name")
    if isinstance(name, str) and not _is_source_checkout(skill) and name != skill.root.name:
        problems.append(
            Problem(
                SKILL_FILE,
                doc.key_lines.get("name", 1),
                "SKL201",
                f"name {name!r} differs from the folder name {skill.root.name!r}",
            )
        )
    budget = body_budget(doc)
    if budget.lines > MAX_BODY_LINES:
        problems.append(
            Problem(
                SKILL_FILE,
                doc.body_line,
                "SKL205",
                f"body has {budget.lines} lines, over the {MAX_BODY_LINES}-line budget; move detail into references/",
            )
        )
    if budget.tokens > MAX_BODY_TOKENS:
        problems.append(
            Problem(
                SKILL_FILE,
                doc.body_line,
                "SKL206",
                f"body is ~{budget.tokens} tokens, over the {MAX_BODY_TOKENS}-token budget; "
                "move detail into references/",
            )
        )
    return problems


def check_manifest(skill: Skill) -> list[Problem]:
    manifest = skill.manifest
    if manifest is None or manifest.data is None:
        return []
    data = manifest.data
    problems = check_schema(data, "askill", MANIFEST_FILE, manifest.key_lines, 1)
    front = skill.skill_md.frontmatter if skill.skill_md else None
    if front is None:
        return problems
    line = manifest.key_lines.get
    if data.get("name") != front.get("name"):
        problems.append(
            Problem(
                MANIFEST_FILE,
                line("name", 1),
                "SKL202",
                f"name {data.get('name')!r} differs from SKILL.md name {front.get('name')!r}",
            )
        )
    metadata = front.get("metadata")
    skill_version = metadata.get("version") if isinstance(metadata, dict) else None
    if data.get("version") != skill_version:
        problems.append(
            Problem(
                MANIFEST_FILE,
                line("version", 1),
                "SKL203",
                f"version {data.get('version')!r} differs from SKILL.md metadata.version {skill_version!r}; bump both",
            )
        )
    if data.get("description") != front.get("description"):
        problems.append(
            Problem(
                MANIFEST_FILE,
                line("description", 1),
                "SKL204",
                "description differs from SKILL.md description; keep them identical",
            )
        )
    if data.get("license") != front.get("license"):
        problems.append(
            Problem(
                MANIFEST_FILE,
                line("license", 1),
                "SKL204",
                f"license {data.get('license')!r} differs from SKILL.md license {front.get('license')!r}",
            )
        )
    problems += check_shipped(skill)
    return problems


def check_shipped(skill: Skill) -> list[Problem]:
    """Every manifest entry matches something, and everything the skill needs is shipped."""
    manifest = skill.manifest
    assert manifest is not None and manifest.data is not None
    files_line = manifest.key_lines.get("files", 1)
    shipped, entry_problems = shipped_files(skill.root, manifest.data.get("files"), files_line)
    problems = list(entry_problems)
    needed = [SKILL_FILE, MANIFEST_FILE] + [doc.path for doc in skill.documents]
    for doc in skill.documents:
        needed += [target for target in _relative_targets(doc)]
    for path in dict.fromkeys(needed):
        if _exists(skill.root / path, as_file=True) and not (skill.root / path).is_symlink() and path not in shipped:
            problems.append(
                Problem(MANIFEST_FILE, files_line, "SKL702", f"{path} is part of the skill but not listed in files")
            )
    return problems


# --- index and links -------------------------------------------------------------------------------------


def _exists(path: Path, *, as_file: bool = False) -> bool:
    """exists()/is_file(), but a name the OS refuses (too long, ...) is just missing (found by fuzzing)."""
    try:
        return path.is_file() if as_file else path.exists()
    except OSError:
        return False


def _relative_targets(doc: Document) -> Iterable[str]:
    for link in doc.links:
        if not link.external and link.file and link.resolved:
            yield link.resolved


def check_links(skill: Skill) -> list[Problem]:
    docs = {doc.path: doc for doc in skill.documents}
    problems = []
    for doc in skill.documents:
        for link in doc.links:
            if link.external:
                continue
            target_path = link.resolved
            if target_path is None:
                problems.append(Problem(doc.path, link.line, "SKL401", f"link {link.target!r} leaves the skill folder"))
                continue
            index_entry = doc is skill.skill_md and link.file.startswith("references/")
            if index_entry and not _exists(skill.root / target_path):
                continue  # check_index reports missing index entries
            if link.file and not _exists(skill.root / target_path):
                problems.append(
                    Problem(doc.path, link.line, "SKL401", f"link {link.target!r}: {target_path} does not exist")
                )
                continue
            if link.anchor and target_path.endswith(".md"):
                target_doc = docs.get(target_path)
                if target_doc is not None and link.anchor not in target_doc.anchors:
                    problems.append(
                        Problem(
                            doc.path,
                            link.line,
                            "SKL402",
                            f"link {link.target!r}: no heading with anchor #{link.anchor} in {target_path}",
                        )
                    )
    return problems


def check_index(skill: Skill) -> list[Problem]:
    """SKILL.md links every rule file, and every references/ link in it names an existing file."""
    doc = skill.skill_md
    if doc is None:
        return []
    indexed: dict[str, int] = {}
    problems = []
    for link in doc.links:
        if link.external or not link.file.startswith("references/"):
            continue
        target = link.file
        if target.count("/") > 1:
            problems.append(
                Problem(SKILL_FILE, link.line, "SKL303", f"{target} is nested; keep references one level deep")
            )
        indexed.setdefault(target, link.line)
        if not _exists(skill.root / target, as_file=True):
            problems.append(
                Problem(
                    SKILL_FILE, link.line, "SKL302", f"index entry {target} has no file; create it or remove the entry"
                )
            )
    for ref in skill.references:
        if ref.path not in indexed:
            problems.append(
                Problem(ref.path, 1, "SKL301", f"not listed in the SKILL.md index; add a link to {ref.path}")
            )
    return problems


# --- rule files ------------------------------------------------------------------------------------------


def check_reference(skill: Skill, ref: Reference) -> list[Problem]:
    doc = ref.doc
    problems: list[Problem] = []
    name = PurePosixPath(doc.path).name
    if not RULE_FILE_NAME.match(name):
        problems.append(Problem(doc.path, 1, "SKL506", f"file name {name!r} is not <prefix>-<topic>.md in lower case"))
    if doc.frontmatter is None:
        return [
            *problems,
            Problem(doc.path, 1, "SKL101", "missing YAML frontmatter (title, impact, impactDescription, tags)"),
        ]
    front = doc.frontmatter
    problems += check_schema(front, "rule", doc.path, doc.key_lines, 1)
    section = skill.section_for(ref.prefix)
    if section is None:
        known = ", ".join(s.prefix for s in skill.sections)
        problems.append(
            Problem(
                doc.path, 1, "SKL501", f"prefix {ref.prefix!r} is not a category in references/sections.md ({known})"
            )
        )
    elif front.get("impact") != section.impact:
        problems.append(
            Problem(
                doc.path,
                doc.key_lines.get("impact", 1),
                "SKL502",
                f"impact {front.get('impact')!r} differs from the {section.title} category's {section.impact}",
            )
        )
    problems += _check_rule_heading(doc, front.get("title"))
    problems += _check_examples(doc)
    if not DOCS_LINK.search(doc.text):
        problems.append(
            Problem(
                doc.path,
                len(doc.text.rstrip("\n").split("\n")),
                "SKL608",
                "no 'Reference:' link to https://docs.dbos.dev/...; cite the docs page",
            )
        )
    return problems


def _check_rule_heading(doc: Document, title: Any) -> list[Problem]:
    h2 = [h for h in doc.headings if h.level == 2]
    if not h2:
        return [Problem(doc.path, doc.body_line, "SKL503", "no '## <title>' heading")]
    problems = []
    first = h2[0]
    if isinstance(title, str) and first.text != title:
        problems.append(Problem(doc.path, first.line, "SKL503", f"heading {first.text!r} differs from title {title!r}"))
    first_block = doc.blocks[0].line if doc.blocks else 10**9
    next_heading = next((h.line for h in doc.headings if h.line > first.line), 10**9)
    stop = min(first_block, next_heading)
    prose = [text for line, text in doc.paragraphs if first.line < line < stop and not text.startswith("**")]
    if not prose:
        problems.append(
            Problem(
                doc.path, first.line, "SKL613", "no why-it-matters paragraph between the heading and the first example"
            )
        )
    return problems


def _check_examples(doc: Document) -> list[Problem]:
    problems = []
    labels = {block.label for block in doc.blocks}
    line = doc.body_line
    if "Incorrect" not in labels:
        problems.append(
            Problem(
                doc.path, line, "SKL604", "no **Incorrect** example; show the mistake and prove it (expect= or lint=)"
            )
        )
    if "Correct" not in labels:
        problems.append(Problem(doc.path, line, "SKL605", "no **Correct** example"))
    return problems


# --- every Markdown file ---------------------------------------------------------------------------------


def check_text(doc: Document) -> list[Problem]:
    """Placeholders, empty sections and unclosed fences."""
    problems = []
    for number, text in enumerate(doc.text.split("\n"), start=1):
        if number in doc.code_lines:
            continue
        match = PLACEHOLDER.search(text)
        if match:
            problems.append(
                Problem(doc.path, number, "SKL602", f"placeholder text {match.group(0)!r}; finish or remove it")
            )
    for heading in doc.headings:
        if heading.empty:
            problems.append(Problem(doc.path, heading.line, "SKL601", f"section {heading.text!r} is empty"))
    for block in doc.blocks:
        if not block.closed:
            problems.append(
                Problem(doc.path, block.line, "SKL603", "code fence is never closed; it swallows the rest of the file")
            )
    return problems


def check_blocks(doc: Document) -> list[Problem]:
    """Fence info strings, labels and proofs; data blocks must parse."""
    problems: list[Problem] = []
    for block in doc.blocks:
        lang = block.lang.lower()
        if lang in PARSED_LANGUAGES:
            problems += _check_data_block(block, lang)
        if lang == "python":
            problems += _check_python_info(block)
    for program in doc.programs:
        if "continues" in program.head.tags:
            problems.append(
                Problem(
                    doc.path, program.line, "SKL612", "'continues' block has no python block before it in this file"
                )
            )
        problems += _check_program(program)
    return problems


def _check_python_info(block: CodeBlock) -> list[Problem]:
    problems = []
    for word in info_words(block.info)[1:]:
        key = word.split("=", 1)[0]
        if ("=" in word and key not in PYTHON_SETTINGS) or ("=" not in word and word not in PYTHON_TAGS):
            allowed = ", ".join(sorted(PYTHON_TAGS | {f"{k}=" for k in PYTHON_SETTINGS}))
            problems.append(
                Problem(block.path, block.line, "SKL609", f"unknown fence option {word!r} (allowed: {allowed})")
            )
    settings = block.settings
    if "expect" in settings and Expectation.parse(settings["expect"]) is None:
        problems.append(Problem(block.path, block.line, "SKL609", f"expect={settings['expect']} is not {SYNTAX}"))
    if "lint" in settings and not LINT_ID.match(settings["lint"]):
        problems.append(
            Problem(block.path, block.line, "SKL609", f"lint={settings['lint']!r} is not a rule id like DBOS201")
        )
    if "before" in settings and (compat.before_range(settings) is None or "expect" not in settings):
        why = f"before={settings['before']} needs a dbos version range like '<3' and an expect= for newer releases"
        problems.append(Problem(block.path, block.line, "SKL609", why))
    if "timeout" in settings:
        try:
            ok = 0 < float(settings["timeout"]) <= 600
        except ValueError:
            ok = False
        if not ok:
            problems.append(
                Problem(
                    block.path,
                    block.line,
                    "SKL609",
                    f"timeout={settings['timeout']!r} must be a number of seconds in (0, 600]",
                )
            )
    return problems


def _check_program(program: Program) -> list[Problem]:
    """A program (a block plus its `continues` parts): its label agrees with how it is proven."""
    head = program.head
    proven = program.kind != "runs"
    if program.label == "Incorrect" and not proven:
        return [
            Problem(
                head.path,
                head.line,
                "SKL606",
                "Incorrect example is not proven; add expect=<Exception> or lint=<DBOS id>",
            )
        ]
    if program.label == "Correct" and proven:
        return [
            Problem(
                head.path,
                head.line,
                "SKL607",
                "Correct example carries expect=/lint=; a Correct example must run clean",
            )
        ]
    if program.label == "Correct" and not re.search(r"\bassert\b", program.source):
        return [
            Problem(
                head.path, head.line, "SKL611", "Correct example has no assert; prove its point, not just that it runs"
            )
        ]
    return []


def _check_data_block(block: CodeBlock, lang: str) -> list[Problem]:
    try:
        if lang in ("yaml", "yml"):
            load_yaml(block.source, block.path, block.first_code_line)
        elif lang == "json":
            json.loads(block.source)
        else:
            tomllib.loads(block.source)
    except ParseError as error:
        return [
            Problem(block.path, error.problem.line, "SKL610", f"yaml block does not parse: {error.problem.message}")
        ]
    except (ValueError, yaml.YAMLError) as error:
        return [Problem(block.path, block.line, "SKL610", f"{lang} block does not parse: {str(error).splitlines()[0]}")]
    return []


# --- all together ----------------------------------------------------------------------------------------

SKILL_CHECKS: tuple[Callable[[Skill], list[Problem]], ...] = (
    check_skill_md,
    check_manifest,
    check_index,
    check_links,
    check_askill,
    compat.check_ranges,
    compat.check_since,
)


def validate(skill: Skill) -> list[Problem]:
    """Every problem in the skill, sorted by file and line."""
    problems = list(skill.problems)
    for check in SKILL_CHECKS:
        problems += check(skill)
    for ref in skill.references:
        problems += check_reference(skill, ref)
    for doc in skill.documents:
        problems += check_text(doc)
        problems += check_blocks(doc)
    return sorted(set(problems))
