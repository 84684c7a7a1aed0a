"""Every validator (SKL), task-router (RTE) and coverage (COV) rule in one table: id, name, template, doc.

Problems are created only through `problem()`, so a message always comes from its rule's template and says
which profile it belongs to. `skilltools rules` prints this table; the tests iterate it (every id has a failing
fixture). Profiles: `spec` is what the Agent Skills specification requires of any skill (SKILL.md with YAML
frontmatter; `name`, `description` and the optional keys within their limits; `name` equals the folder);
`house` is this project's stricter authoring rules. A rule of severity `note` informs and never fails a run.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Literal, cast

from .model import Problem

Profile = Literal["spec", "house"]
Severity = Literal["error", "note"]
PROFILES: tuple[Profile, ...] = ("spec", "house")


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    template: str
    """`str.format` template; its `{slots}` are filled by `problem(..., slot=value)`."""
    doc: str
    profile: Profile = "house"
    severity: Severity = "error"

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.template) if name)


# id   name                     profile    | message template ({slots} filled by problem()) | doc
_TABLE = """
SKL001 file-missing             spec       | {detail} |
    A file the skill needs (SKILL.md, askill.yaml) is missing or not a file.
SKL002 not-utf8-text            spec       | {detail} | Files are UTF-8 text: no NUL bytes, no invalid sequences.
SKL003 file-too-large           house      | file is {size} bytes, over the {limit}-byte limit; split it |
    Every read or shipped file is at most 1 MiB.
SKL004 symlink-escapes          house      | {detail} |
    No file, and no folder on its path, is a symlink leading outside the skill folder.
SKL005 not-read                 house/note |
    {folder} holds {count} Markdown file(s) this validator does not read ({why}) |
    Say what was skipped: a folder of Markdown (rules/, reference/) that no check reads.
SKL101 frontmatter-missing      spec       | {detail} |
    A YAML frontmatter block (`---` ... `---`) opens the file and is a mapping.
SKL102 yaml-invalid             spec       | {detail} | YAML parses (frontmatter, askill.yaml).
SKL103 yaml-duplicate-key       spec       | {detail} | No key appears twice in a YAML mapping.
SKL104 schema                   house      | {where}{detail} |
    Frontmatter and askill.yaml match this project's JSON Schemas (scripts/skilltools/schemas/).
SKL105 yaml-alias               house      | {detail} |
    No YAML anchors or aliases (a small file must not expand into a huge one).
SKL106 spec-frontmatter         spec       | {where}{detail} |
    SKILL.md frontmatter follows the Agent Skills specification: name and description present, only its keys,
    within its limits.
SKL201 name-not-folder          spec       | name {name!r} differs from the folder name {folder!r} |
    SKILL.md `name` equals the skill's folder name (a source checkout is exempt; its build is not).
SKL202 manifest-name            house      | name {name!r} differs from SKILL.md name {skill!r} |
    askill.yaml `name` equals SKILL.md `name`.
SKL203 manifest-version         house      |
    version {version!r} differs from SKILL.md metadata.version {skill!r}; bump both |
    askill.yaml `version` equals SKILL.md `metadata.version`.
SKL204 manifest-differs         house      | {detail} | askill.yaml `description` and `license` equal SKILL.md's.
SKL205 body-lines               house      |
    body has {lines} lines, over the {limit}-line budget; move detail into references/ |
    SKILL.md body under 500 lines (the specification recommends it).
SKL206 body-tokens              house      |
    body is ~{tokens} tokens, over the {limit}-token budget; move detail into references/ |
    SKILL.md body under ~5,000 tokens (the specification recommends it).
SKL301 not-indexed              house      | not listed in the SKILL.md index; add a link to {path} |
    Every reference is linked from SKILL.md.
SKL302 index-entry-missing      house      | index entry {target} has no file; create it or remove the entry |
    Every references/ link in SKILL.md names an existing file.
SKL303 nested-reference         house      | {target} is nested; keep references one level deep |
    References sit directly in references/.
SKL401 broken-link              house      | {detail} |
    Relative links (inline and reference-style definitions) resolve to a file inside the skill.
SKL402 broken-anchor            house      | link {target!r}: no heading with anchor #{anchor} in {path} |
    A `#anchor` names a heading of its target file.
SKL501 unknown-prefix           house      | prefix {prefix!r} is not a category in references/sections.md ({known}) |
    A reference's file prefix is a category of references/sections.md.
SKL502 impact-mismatch          house      | impact {impact!r} differs from the {section} category's {expected} |
    A reference's impact equals its category's.
SKL503 heading-title            house      | {detail} | A reference's first `##` heading equals its title.
SKL504 sections-malformed       house      | {detail} |
    references/sections.md defines categories as `## N. Title (prefix)` with Impact and Description lines.
SKL506 file-name                house      | file name {name!r} is not <prefix>-<topic>.md in lower case |
    Reference file names are `<prefix>-<topic>.md`.
SKL508 dbos-range                    house      | {detail} |
    A reference's `dbos:` range agrees with what docs/compat.json measured.
SKL509 stale-evidence                house      | {detail} |
    docs/compat.json was measured on the reference's current examples.
SKL510 since-note                    house      | {detail} |
    A block that needs a newer dbos than the rest of its file says 'since X.Y' in its label.
SKL601 empty-section            house      | section {heading!r} is empty | No heading without content under it.
SKL602 placeholder              house      | placeholder text {text!r}; finish or remove it |
    No TODO/TBD/FIXME/lorem ipsum outside code.
SKL603 unclosed-fence           house      | code fence is never closed; it swallows the rest of the file |
    Every code fence is closed.
SKL604 no-incorrect             house      |
    no **Incorrect** example; show the mistake and prove it (expect= or lint=) |
    A reference shows an Incorrect example.
SKL605 no-correct               house      | no **Correct** example | A reference shows a Correct example.
SKL606 unproven-incorrect       house      | Incorrect example is not proven; add expect=<Exception> or lint=<DBOS id> |
    An Incorrect program carries expect= or lint=.
SKL607 correct-with-proof       house      | Correct example carries expect=/lint=; a Correct example must run clean |
    A Correct program runs clean.
SKL608 no-docs-link             house      | no 'Reference:' link to https://docs.dbos.dev/...; cite the docs page |
    A reference cites its docs.dbos.dev page.
SKL609 fence-option             house      | {detail} |
    python fence options are known and well formed (expect=, lint=, timeout=, continues, pytest).
SKL610 data-block               house      | {lang} block does not parse: {detail} | yaml/json/toml blocks parse.
SKL611 correct-without-assert   house      | Correct example has no assert; prove its point, not just that it runs |
    A Correct program asserts its point.
SKL612 continues-first          house      | 'continues' block has no python block before it in this file |
    A `continues` block follows a python block of the same file.
SKL613 no-why                   house      | no why-it-matters paragraph between the heading and the first example |
    A reference explains why before its first example.
SKL614 fence-closed-late        house      |
    this fence holds a {label} line (line {line}): it is probably closed too late and swallows prose; close it
    earlier |
    A code block does not contain a line starting `**Incorrect**`/`**Correct**`.
SKL701 entry-matches-nothing    house      | files entry {entry!r} matches no file |
    Every askill.yaml `files` entry matches a file.
SKL702 not-shipped              house      | {path} is part of the skill but not listed in files |
    Everything the skill reads or links is shipped.
SKL703 entry-escapes            house      | {detail} | `files` entries are relative paths or patterns inside the skill.
SKL704 shipped-symlink          house      | {path} is a symlink or inside a symlinked folder; ship real files only |
    No shipped file is, or sits in a folder that is, a symlink.
SKL705 shipped-secret           house      | {path} is a cache or secret file and must not ship |
    No cache or secret (.env, __pycache__, .git) ships.
SKL801 askill-reads-differently      house      | {detail} |
    Every SKILL.md field reads the same in askill's line-based reader as in YAML.
SKL802 askill-description            house      | {detail} |
    description is one line askill reads whole, at most 200 characters, and says "Use when".
SKL803 askill-name                   house      | {detail} | name and slug follow askill's patterns.
SKL804 askill-version                house      | {detail} | version is askill's semver (required on the askill target).
SKL805 askill-tags                   house      | {detail} | tags: at most 5 lowercase tags of at most 20 characters.
SKL806 askill-commands               house      | {detail} |
    Each command has a run and a description, and a skill file its run names ships and installs.
SKL807 askill-dependencies           house      | {detail} | dependencies are `@scope/name` or `gh:owner/repo` strings.
SKL808 askill-drops                  house      | {detail} | `askill add` would not drop a shipped file.
RTE001 no-task-router                house      |
    SKILL.md has no '## Tasks' section; add the task router before the index |
    SKILL.md routes common tasks to the references to read (the Tasks section).
RTE002 route-size                    house      | route {task!r} links {count} references; give 2-4 |
    A route links 2-4 references.
RTE003 route-target                  house      |
    route {task!r} links {target!r}, which is not a reference file of this skill | A route links reference files.
RTE004 route-budget                  house      |
    route {task!r} is {total} lines of reference ({detail}), over the {limit}-line budget; drop or swap one |
    The references of one route total at most 600 lines.
DIG001 keycalls-shape                 house      | expected a mapping of reference name to one line of code |
    references/_keycalls.yaml maps each reference to its key call.
DIG002 keycall-line                  house      | {key}: give one line of code | Each key call is one line of code.
COV001 no-such-member           house      | {detail} |
    A `DBOS.x`, `client.x` or `error.X` the skill names exists in the installed dbos.
COV002 no-such-import           house      | {detail} |
    A `from dbos import X` the skill writes works in the installed dbos.
COV003 no-such-key              house      | {detail} | A TypedDict key (DBOSConfig, ...) the skill writes exists.
COV004 no-such-keyword          house      | {detail} | A keyword argument the skill passes exists.
COV101 exclusion-category       house      | {detail} | coverage-exclusions.yaml names known categories.
COV102 exclusion-unknown        house      | {detail} | An excluded item exists in the installed dbos.
COV103 exclusion-taught         house      | {detail} | An excluded item is not taught by an example.
COV104 absent-exists            house      | {detail} | An item listed as absent is really absent from dbos.
COV105 absent-unused            house      | {detail} | An item listed as absent is still named by the skill.
COV106 exclusions-malformed     house      | {detail} | coverage-exclusions.yaml has the expected shape.
COV201 coverage-regressed       house      | {detail} | No strongly taught item of docs/coverage-baseline.json is lost.
COV202 baseline-unreadable      house      | {detail} | docs/coverage-baseline.json is readable.
"""


def _rule(row: str) -> Rule:
    left, template, doc = (part.strip() for part in row.split("|"))
    rule_id, name, profile = left.split()
    profile_name, _, severity = profile.partition("/")
    return Rule(rule_id, name, template, doc, cast(Profile, profile_name), cast(Severity, severity or "error"))


def _rows(table: str) -> list[str]:
    """Table lines, an indented line continuing the one before it."""
    rows: list[str] = []
    for line in table.strip().split("\n"):
        if line.startswith(" ") and rows:
            rows[-1] += " " + line.strip()
        else:
            rows.append(line)
    return rows


RULES: dict[str, Rule] = {rule.id: rule for rule in map(_rule, _rows(_TABLE))}


def problem(rule_id: str, path: str, line: int, profile: Profile | None = None, /, **slots: object) -> Problem:
    """The one way to create a problem: the message comes from the rule's template. `profile` overrides the
    rule's (a read error in a house-only file such as askill.yaml is a house problem)."""
    rule = RULES[rule_id]
    return Problem(path, line, rule_id, rule.template.format(**slots), profile or rule.profile, rule.severity)


def render_table() -> str:
    """`skilltools rules`: one line per rule."""
    width = max(len(rule.name) for rule in RULES.values())
    lines = [f"{'ID':<7} {'NAME':<{width}} {'PROFILE':<7} DOC"]
    for rule in RULES.values():
        note = " (note: never fails)" if rule.severity == "note" else ""
        lines.append(f"{rule.id:<7} {rule.name:<{width}} {rule.profile:<7} {rule.doc}{note}")
    return "\n".join(lines)
