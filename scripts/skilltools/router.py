"""The task router: SKILL.md's "Tasks" section maps each common task to the references to read, in order.

One route is one list item of that section: the task, then 2-4 links to references. Routes are read from the
parsed model (paragraphs and links with their lines), never from the raw Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Document, Problem, Skill
from .rules import problem

HEADING = "Tasks"
MAX_ROUTE_LINES = 600
"""What an agent reads per task: the reference files of one route, in lines."""
MIN_REFS, MAX_REFS = 2, 4


@dataclass(frozen=True)
class Route:
    task: str
    line: int
    targets: tuple[str, ...]
    """Skill-relative paths of the linked references, in reading order."""


@dataclass(frozen=True)
class RouteCost:
    route: Route
    lines: tuple[int, ...]
    """Lines of each target (0 when it is not a reference)."""

    @property
    def total(self) -> int:
        return sum(self.lines)


def section_lines(doc: Document, title: str) -> tuple[int, int] | None:
    """(heading line, line of the next heading of the same or a higher level) of the section titled `title`."""
    for index, heading in enumerate(doc.headings):
        if heading.text.strip() == title:
            later = [h.line for h in doc.headings[index + 1 :] if h.level <= heading.level]
            return heading.line, later[0] if later else len(doc.text.split("\n")) + 1
    return None


def routes(doc: Document) -> list[Route] | None:
    """The routes of the Tasks section (None when there is no such section); paragraphs without links are prose."""
    span = section_lines(doc, HEADING)
    if span is None:
        return None
    start, stop = span
    paragraphs = [(line, text) for line, text in doc.paragraphs if start < line < stop]
    found: list[Route] = []
    for index, (line, text) in enumerate(paragraphs):
        end = paragraphs[index + 1][0] if index + 1 < len(paragraphs) else stop
        targets = tuple(link.target.partition("#")[0] for link in doc.links if line <= link.line < end)
        if targets:
            task = " ".join(text.partition("[")[0].split()).rstrip(":→ ")
            found.append(Route(task, line, targets))
    return found


def _length(skill: Skill) -> dict[str, int]:
    return {ref.path: ref.doc.text.count("\n") for ref in skill.references}


def costs(skill: Skill) -> list[RouteCost]:
    if skill.skill_md is None:
        return []
    length = _length(skill)
    return [RouteCost(r, tuple(length.get(t, 0) for t in r.targets)) for r in routes(skill.skill_md) or []]


def check(skill: Skill) -> list[Problem]:
    """Every route links 2-4 existing references whose files total at most MAX_ROUTE_LINES lines."""
    doc = skill.skill_md
    if doc is None:
        return []
    if routes(doc) is None:
        return [problem("RTE001", doc.path, 1)]
    length = _length(skill)
    problems: list[Problem] = []
    for cost in costs(skill):
        route = cost.route
        if not MIN_REFS <= len(route.targets) <= MAX_REFS:
            problems.append(problem("RTE002", doc.path, route.line, task=route.task, count=len(route.targets)))
        for target in route.targets:
            if target not in length:
                problems.append(problem("RTE003", doc.path, route.line, task=route.task, target=target))
        if cost.total > MAX_ROUTE_LINES:
            detail = " + ".join(f"{t.rsplit('/', 1)[-1]} {n}" for t, n in zip(route.targets, cost.lines, strict=True))
            slots = {"task": route.task, "total": cost.total, "detail": detail, "limit": MAX_ROUTE_LINES}
            problems.append(problem("RTE004", doc.path, route.line, **slots))
    return problems


def render(skill: Skill) -> str:
    """The per-route reading budget as a small table, for people and CI logs."""
    rows = [f"{'lines':>5}  {'refs':>4}  task (budget {MAX_ROUTE_LINES} lines per route)"]
    rows += [f"{c.total:>5}  {len(c.route.targets):>4}  {c.route.task}" for c in costs(skill)]
    return "\n".join(rows)
