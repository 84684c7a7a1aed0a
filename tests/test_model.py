"""The model that parse builds once: programs, links with their positions, code lines and code spans."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from skilltools import examples, load_skill
from skilltools.coverage.dbos_api import introspect
from skilltools.coverage.skill_uses import scan_program
from skilltools.model import Link
from skilltools.parse import parse_markdown
from skilltools.validate import validate

REF = "references/alpha-one.md"

ACROSS_BASH = """\
**Incorrect** (raises):

```python expect=ValueError
import dbos
value = 0
```

```bash
echo between
```

```python continues
raise ValueError(dbos.DBOS.__name__)
```
"""


def test_a_continues_block_joins_its_program_across_a_bash_block_and_inherits_its_label() -> None:
    doc = parse_markdown("references/x.md", ACROSS_BASH)
    python = [block for block in doc.blocks if block.lang == "python"]
    [program] = doc.programs
    assert program.blocks == tuple(python)
    assert [block.label for block in python] == ["Incorrect", "Incorrect"]
    assert (program.label, program.kind, str(program.expect), program.line_map) == (
        "Incorrect",
        "raises",
        "ValueError",
        (4, 5, 13),
    )


def test_every_consumer_reads_the_same_programs(valid_skill: Path) -> None:
    path = valid_skill / REF
    path.write_text(
        path.read_text().replace('```python expect=ValueError\nraise ValueError("no")\n```', ACROSS_BASH[24:])
    )
    skill = load_skill(valid_skill)
    assert all(a is b for a, b in zip(examples.plan(skill), skill.programs, strict=True))
    incorrect = skill.programs[0]
    assert len(incorrect.blocks) == 2 and incorrect.label == "Incorrect"
    uses, _ = scan_program(introspect(), incorrect)
    assert {use.strength for use in uses} == {"weak"}  # an Incorrect program only shows misuse
    assert [str(p) for p in validate(skill)] == []


def test_program_settings_timeout_and_pytest_flag() -> None:
    doc = parse_markdown(
        "x.md", "```python pytest timeout=5\ndef test_a():\n    pass\n```\n\n```python continues lint=DBOS201\n```\n"
    )
    [program] = doc.programs
    assert (program.pytest, program.timeout, program.kind, program.lint) == (True, 5.0, "lints", "DBOS201")
    bad = parse_markdown("x.md", "```python timeout=forever\npass\n```\n").programs[0]
    assert bad.timeout == 60.0  # the validator reports SKL609; the checker still gets a number


def test_links_know_where_their_target_is_written() -> None:
    text = "# T\n\nSee [a](x.md#h) and `[b](y.md)` then\n[c](<z w.md>) and [d][idx].\n\n[idx]: ../up.md\n"
    doc = parse_markdown("references/r.md", text)
    assert doc.links == (
        Link("x.md#h", 3, "references/r.md", 8, "x.md#h"),
        Link("z%20w.md", 4, "references/r.md", 5, "z w.md"),
        Link("../up.md", 3, "references/r.md"),  # a `[text][label]` use: its paragraph
        Link("../up.md", 6, "references/r.md", 7, "../up.md", definition=True),
    )
    assert [(link.file, link.anchor, link.resolved) for link in doc.links[:3]] == [
        ("x.md", "h", "references/x.md"),
        ("z w.md", "", "references/z w.md"),
        ("../up.md", "", "up.md"),
    ]
    assert parse_markdown("SKILL.md", "[e](../out.md) [f](/etc/passwd)\n").links[0].resolved is None
    assert parse_markdown("SKILL.md", "[f](/etc/passwd)\n").links[0].resolved is None


def test_code_lines_and_code_spans() -> None:
    text = "a `one` and `two\nlines` b\n\n    indented code\n\n```\nfenced\n```\n"
    doc = parse_markdown("x.md", text)
    assert doc.code_spans == ((1, "one"), (1, "two lines"))
    assert doc.code_lines == frozenset({4, 6, 7, 8})


def test_a_reference_style_definition_leaving_the_skill_is_reported(valid_skill: Path) -> None:
    skill_md = valid_skill / "SKILL.md"
    skill_md.write_text(skill_md.read_text() + "\n[idx]: ../SKILL.md\n")
    assert [f"{p.path}:{p.line}: {p.id}" for p in validate(load_skill(valid_skill))] == ["SKILL.md:17: SKL401"]


def test_the_coverage_scan_needs_only_the_model() -> None:
    code = (
        "import sys, skilltools.coverage.skill_uses\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('dbos', 'psycopg', 'sqlalchemy')"
        " or m in ('skilltools.runner', 'skilltools.examples'))\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
