"""AGENTS.md, the one-file digest: under 32 KiB, built from SKILL.md's sections and one line per reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from skilltools import load_skill
from skilltools.build import AGENTS_FILE
from skilltools.digest import KEYCALLS_FILE, MAX_BYTES, SKILL_SECTIONS, compile_digest, key_calls

REPO = Path(__file__).resolve().parent.parent
CALLEE = re.compile(r"([A-Za-z_][\w.]*)\(")


def test_real_digest_fits_and_holds_every_part(capsys: pytest.CaptureFixture[str]) -> None:
    skill = load_skill(REPO)
    text = compile_digest(skill)
    size = len(text.encode())
    with capsys.disabled():
        print(f"\nAGENTS.md: {size} bytes of {MAX_BYTES} ({size / MAX_BYTES:.0%}), {len(skill.references)} references")
    assert size <= MAX_BYTES
    headings = [line for line in text.split("\n") if line.startswith("## ")]
    assert headings == [f"## {title}" for title in (*SKILL_SECTIONS, "References")]
    for ref in skill.references:
        assert text.count(f"- [{ref.stem}]({ref.path}): **{ref.title}.**") == 1, ref.path


def test_every_reference_has_a_key_call_taken_from_its_correct_code() -> None:
    skill = load_skill(REPO)
    calls, problems = key_calls(skill)
    assert problems == []
    stems = {ref.stem for ref in skill.references}
    missing, extra = sorted(stems - set(calls)), sorted(set(calls) - stems)
    assert (missing, extra) == ([], []), f"{KEYCALLS_FILE}: add a key call for {missing}, drop {extra}"
    for ref in skill.references:
        correct = "".join(block.source for block in ref.doc.blocks if block.label == "Correct")
        callees = CALLEE.findall(calls[ref.stem])
        missing = [c for c in callees if c.rsplit(".", 1)[-1] + "(" not in correct]
        assert missing == [], f"{KEYCALLS_FILE}: {ref.stem}: {missing} not called in a Correct example of {ref.path}"


def test_skill_md_does_not_send_agents_to_agents_md() -> None:
    skill = load_skill(REPO)
    assert skill.skill_md is not None
    assert [link.target for link in skill.skill_md.links if AGENTS_FILE in link.target] == []


def test_digest_of_a_skill_without_key_calls_or_sections(valid_skill: Path) -> None:
    skill = load_skill(valid_skill)
    assert [p.id for p in key_calls(skill)[1]] == ["SKL001"]
    text = compile_digest(skill)
    assert "## References" in text and "## Tasks" not in text
    assert "- [alpha-one](references/alpha-one.md): **" in text


def test_bad_key_call_entries_point_at_their_line(valid_skill: Path) -> None:
    (valid_skill / KEYCALLS_FILE).write_text("alpha-one: 'DBOS.launch()'\nbeta: [1, 2]\ngamma: ''\n")
    calls, problems = key_calls(load_skill(valid_skill))
    assert calls == {"alpha-one": "DBOS.launch()"}
    assert [(p.line, p.id) for p in problems] == [(2, "DIG002"), (3, "DIG002")]
    assert "`DBOS.launch()`" in compile_digest(load_skill(valid_skill))
