"""The task router in SKILL.md: every route links 2-4 real references and stays under the reading budget."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from skilltools import load_skill, router

REPO = Path(__file__).resolve().parent.parent

TASKS = """
## Tasks

Read the references of your task in order.

- Good task: [alpha-one](references/alpha-one.md) → [alpha-two](references/alpha-two.md)
- One link only: [alpha-one](references/alpha-one.md)
- A missing file:
  [alpha-one](references/alpha-one.md) → [nope](references/nope.md)
- Too much reading: [alpha-big](references/alpha-big.md) → [alpha-one](references/alpha-one.md#why)

## Index
"""


def test_real_router_is_valid_and_within_budget(capsys: pytest.CaptureFixture[str]) -> None:
    skill = load_skill(REPO)
    costs = router.costs(skill)
    with capsys.disabled():
        print("\n" + router.render(skill))
    assert [str(p) for p in router.check(skill)] == []
    assert len(costs) >= 10, "route every eval scenario's kind of task"
    assert max(c.total for c in costs) <= router.MAX_ROUTE_LINES


def test_router_problems_point_at_their_route(valid_skill: Path) -> None:
    refs = valid_skill / "references"
    shutil.copy(refs / "alpha-one.md", refs / "alpha-two.md")
    text = (refs / "alpha-one.md").read_text()
    (refs / "alpha-big.md").write_text(text + "\nfiller\n" * 300)
    skill_md = valid_skill / "SKILL.md"
    skill_md.write_text(skill_md.read_text().replace("\n## Index\n", TASKS, 1))
    lines = skill_md.read_text().split("\n")

    def line_of(needle: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if line.startswith(f"- {needle}"))

    skill = load_skill(valid_skill)
    found = [(p.line, p.id) for p in router.check(skill)]
    assert found == [
        (line_of("One link only"), "RTE002"),
        (line_of("A missing file"), "RTE003"),
        (line_of("Too much reading"), "RTE004"),
    ]
    [good, *_] = router.costs(skill)
    assert (good.route.task, good.route.targets) == (
        "Good task",
        ("references/alpha-one.md", "references/alpha-two.md"),
    )
    assert good.total == 2 * text.count("\n")


def test_missing_router_is_reported(valid_skill: Path) -> None:
    assert [p.id for p in router.check(load_skill(valid_skill))] == ["RTE001"]
