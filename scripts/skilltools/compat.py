"""What the version matrix proved, kept in docs/compat.json, shown in docs/compat.md, and checked against the
`dbos:` range each reference claims.

A claimed range is evidence-based when (1) every measured release inside it passed, (2) its lower bound is a
measured release, the oldest of the unbroken run of passing releases that ends at the newest one measured, and
(3) its upper bound is at most the next major after the newest measured release. A file whose every measured
release passed claims exactly `>=<oldest measured>,<next major>`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from .model import Document, Problem, Reference, Skill
from .rules import problem

if TYPE_CHECKING:
    from .matrix import Matrix

COMPAT_JSON = "docs/compat.json"
COMPAT_MD = "docs/compat.md"


@dataclass(frozen=True)
class FileVerdict:
    passed: bool
    first_failure: str | None = None
    """`path:line [db] headline` of the first failing block, or the setup error."""


@dataclass(frozen=True)
class Evidence:
    """docs/compat.json, read back."""

    versions: list[str]
    databases: list[str]
    files: dict[str, dict[str, FileVerdict]]
    blocks: dict[str, dict[str, list[str]]]
    sources: dict[str, str]
    """file → `examples_digest` of the file when it was measured."""

    @property
    def newest(self) -> str:
        return max(self.versions, key=Version)

    def supported_range(self, path: str) -> str | None:
        """`>=L,<M+1`: L the oldest of the passing run ending at the newest release; None if the newest fails."""
        verdicts = self.files.get(path)
        if not verdicts:
            return None
        lowest = self.floor(lambda version: verdicts.get(version, FileVerdict(False)).passed)
        return None if lowest is None else f">={short(lowest)},<{Version(self.newest).major + 1}"

    def floor(self, passed: Callable[[str], bool]) -> str | None:
        """Oldest release of the unbroken run of passing releases that ends at the newest one (None: it fails)."""
        lowest = None
        for version in sorted(self.versions, key=Version, reverse=True):
            if not passed(version):
                break
            lowest = version
        return lowest


def before_range(info_settings: Mapping[str, str]) -> SpecifierSet | None:
    raw = info_settings.get("before")
    if raw is None:
        return None
    try:
        return SpecifierSet(raw.strip("\"'"))
    except InvalidSpecifier:
        return None


def short(version: str) -> str:
    """3.4.0 → 3.4 (ranges read better without a trailing .0); 2.31.1 stays."""
    parsed = Version(version)
    return f"{parsed.major}.{parsed.minor}" if parsed.micro == 0 else str(parsed)


def examples_digest(doc: Document) -> str:
    """What the matrix measured of a file: its python blocks with their fence options (prose may change)."""
    text = "\n".join(f"{b.info}\n{b.source}" for b in doc.blocks if b.lang == "python")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _verdicts_json(verdicts: Mapping[str, FileVerdict]) -> dict[str, dict[str, Any]]:
    return {v: {"passed": d.passed, "first_failure": d.first_failure} for v, d in verdicts.items()}


def to_json(matrix: Matrix, skill: Skill, previous: Evidence | None = None) -> str:
    """The matrix as docs/compat.json; with `previous`, files this run did not measure keep their evidence."""
    files = {path: _verdicts_json(verdicts) for path, verdicts in matrix.verdicts.items()}
    blocks = dict(matrix.blocks)
    digests = {doc.path: examples_digest(doc) for doc in skill.documents if doc.path in files}
    if previous is not None:
        for path, verdicts in previous.files.items():
            if path not in files:
                files[path] = _verdicts_json(verdicts)
                digests[path] = previous.sources.get(path, "")
        blocks = {**{k: v for k, v in previous.blocks.items() if k.split(":")[0] not in matrix.verdicts}, **blocks}
    data: dict[str, Any] = {
        "versions": matrix.versions,
        "databases": matrix.databases,
        "sources": dict(sorted(digests.items())),
        "files": dict(sorted(files.items())),
        "blocks": dict(sorted(blocks.items())),
    }
    return json.dumps(data, indent=1, sort_keys=False) + "\n"


def load(root: Path) -> Evidence | None:
    path = root / COMPAT_JSON
    return load_text(path.read_text()) if path.exists() else None


def load_text(text: str) -> Evidence:
    data = json.loads(text)
    files = {
        name: {v: FileVerdict(bool(d["passed"]), d.get("first_failure")) for v, d in verdicts.items()}
        for name, verdicts in data["files"].items()
    }
    blocks = dict(data.get("blocks", {}))
    return Evidence(list(data["versions"]), list(data["databases"]), files, blocks, dict(data.get("sources", {})))


def range_problem(evidence: Evidence, path: str, claimed: str) -> str | None:
    """Why `claimed` is not what the evidence supports for `path`, or None when it is."""
    try:
        spec = SpecifierSet(claimed)
    except InvalidSpecifier:
        return f"dbos range {claimed!r} is not a version specifier (e.g. '>=3.0,<4')"
    verdicts = evidence.files.get(path)
    if verdicts is None:
        return f"no matrix result for this file in {COMPAT_JSON}; run `skilltools matrix --write`"
    supported = evidence.supported_range(path)
    broken = [v for v in evidence.versions if Version(v) in spec and not verdicts.get(v, FileVerdict(False)).passed]
    if broken:
        first = verdicts.get(broken[0], FileVerdict(False)).first_failure
        return f"dbos range {claimed!r} includes {', '.join(broken)}, where it fails ({first}); evidence: {supported}"
    if supported is None:
        return f"no measured release passes every block of this file; newest measured is {evidence.newest}"
    if SpecifierSet(supported) != spec and _bounds(spec) != _bounds(SpecifierSet(supported)):
        return f"dbos range {claimed!r} differs from what {COMPAT_JSON} proves: use {supported!r}"
    return None


def _bounds(spec: SpecifierSet) -> tuple[str, str]:
    lower = next((Version(s.version) for s in spec if s.operator == ">="), None)
    upper = next((Version(s.version) for s in spec if s.operator == "<"), None)
    return (str(lower), str(upper))


def to_markdown(evidence: Evidence) -> str:
    """The reader's table: one row per file, one column per release."""
    versions = sorted(evidence.versions, key=Version)
    lines = [
        "# Which dbos releases each reference holds for",
        "",
        "Generated by `skilltools matrix --write` from docs/compat.json: every example of the file, run and judged",
        f"as in `make test` on {' and '.join(evidence.databases)}, under each release in its own venv. `ok`: every",
        "block behaves as written; otherwise the first failure. The `dbos:` range in each file's frontmatter is",
        "checked against this table by the validator.",
        "",
        "| file | range | " + " | ".join(versions) + " |",
        "|---|---|" + "---|" * len(versions),
    ]
    for path, verdicts in sorted(evidence.files.items()):
        cells = []
        for version in versions:
            verdict = verdicts.get(version, FileVerdict(False, "not run"))
            cells.append("ok" if verdict.passed else "fails: " + _cell(verdict.first_failure or "", path))
        lines.append(f"| {path} | `{evidence.supported_range(path) or 'none'}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str, path: str) -> str:
    text = text.replace(path, "").replace("|", "\\|").strip()
    return text if len(text) <= 90 else text[:87] + "..."


def check_evidence(skill: Skill) -> list[Problem]:
    """Every reference against docs/compat.json (nothing to check before the matrix has been recorded): its
    `dbos:` range (SKL508), evidence measured on other examples (SKL509) and its "since X.Y" notes (SKL510)."""
    evidence = load(skill.root)
    if evidence is None:
        return []
    problems = []
    for ref in skill.references:
        measured = evidence.sources.get(ref.path)
        if measured is not None and measured != examples_digest(ref.doc):
            line = ref.doc.key_lines.get("dbos", 1)
            why = (
                f"its examples changed since {COMPAT_JSON} was measured: run `skilltools matrix --write -k {ref.stem}`"
            )
            problems.append(problem("SKL509", ref.path, line, detail=why))
            continue
        problems += _check_range(evidence, ref) + _check_since(evidence, ref)
    return problems


def _check_range(evidence: Evidence, ref: Reference) -> list[Problem]:
    claimed = (ref.doc.frontmatter or {}).get("dbos")
    if not isinstance(claimed, str):
        return []  # a missing or non-string range is the schema's problem
    wrong = range_problem(evidence, ref.path, claimed)
    return [] if wrong is None else [problem("SKL508", ref.path, ref.doc.key_lines.get("dbos", 1), detail=wrong)]


def block_floor(evidence: Evidence, where: str) -> str | None:
    """`Evidence.floor` of one `path:line` program (None when it was not measured)."""
    failing = evidence.blocks.get(where)
    if failing is None:
        return None
    return evidence.floor(lambda version: not failing.get(version, ["not run"]))


def _check_since(evidence: Evidence, ref: Reference) -> list[Problem]:
    """A block that needs a newer release than the oldest its file's other blocks run on says "since X.Y" in the
    paragraph just before it (its label line), so a reader on an older release knows which block to skip."""
    floors = {p.line: block_floor(evidence, f"{p.path}:{p.line}") for p in ref.doc.programs}
    known = [Version(v) for v in floors.values() if v is not None]
    if not known:
        return []
    oldest = min(known)
    problems = []
    for line, floor in sorted(floors.items()):
        if floor is None or Version(floor) == oldest:
            continue
        before = [text for at, text in ref.doc.paragraphs if at < line]
        wanted = f"since {short(floor)}"
        if not before or wanted not in before[-1]:
            why = f"this block needs dbos {short(floor)}, the others run on {oldest}: say {wanted!r} in its label"
            problems.append(problem("SKL510", ref.path, line, detail=why))
    return problems


def update_ranges(skill: Skill, evidence: Evidence) -> dict[str, str]:
    """New text of every reference whose `dbos:` line differs from the evidence (path → whole new text)."""
    changed = {}
    for ref in skill.references:
        line = ref.doc.key_lines.get("dbos")
        supported = evidence.supported_range(ref.path)
        if line is None or supported is None or (ref.doc.frontmatter or {}).get("dbos") == supported:
            continue
        lines = ref.doc.text.split("\n")
        lines[line - 1] = f'dbos: "{supported}"'
        changed[ref.path] = "\n".join(lines)
    return changed
