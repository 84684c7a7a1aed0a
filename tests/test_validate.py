"""Every validator rule: one mutation of the minimal valid skill per case, asserting exact file:line: ID."""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from skilltools import compat, load_skill
from skilltools.cli import main
from skilltools.rules import RULES
from skilltools.validate import validate


def problems_of(root: Path) -> list[str]:
    return [f"{p.path}:{p.line}: {p.id}" for p in validate(load_skill(root))]


def edit(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text()
        assert old in text, f"fixture edit: {old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1))

    return apply


def write(rel: str, content: str | bytes) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)

    return apply


def remove(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).unlink()


def symlink_out(rel: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        outside = root.parent / "outside.md"
        outside.write_text("# outside\n")
        (root / rel).unlink(missing_ok=True)
        os.symlink(outside, root / rel)

    return apply


def measured(range_: str, *, stale: bool = False, since: bool = True) -> Callable[[Path], None]:
    """alpha-one claims `range_`; docs/compat.json says it fails on 3.3.0 and passes on 3.4.0: its block at line
    19 runs on both, the one at line 25 needs 3.4 (its label, line 23, says so when `since`)."""

    def apply(root: Path) -> None:
        edit(REF, "tags: [alpha, first]\n", f'tags: [alpha, first]\ndbos: "{range_}"\n')(root)
        if since:
            edit(REF, "**Correct** (works)", "**Correct** (works, since 3.4)")(root)
        doc = next(ref.doc for ref in load_skill(root).references if ref.path == REF)
        verdicts = {"3.3.0": {"passed": False, "first_failure": f"{REF}:20 [sqlite] failed"}, "3.4.0": {"passed": True}}
        evidence = {"versions": ["3.3.0", "3.4.0"], "databases": ["sqlite"], "files": {REF: verdicts}}
        evidence["sources"] = {REF: "0" * 16 if stale else compat.examples_digest(doc)}
        evidence["blocks"] = {f"{REF}:19": {"3.3.0": [], "3.4.0": []}, f"{REF}:25": {"3.3.0": ["sqlite"], "3.4.0": []}}
        write("docs/compat.json", json.dumps(evidence))(root)

    return apply


def symlink_folder_out(rel: str) -> Callable[[Path], None]:
    """Move a folder outside the skill and leave a symlink in its place."""

    def apply(root: Path) -> None:
        outside = root.parent / "outside-folder"
        (root / rel).rename(outside)
        os.symlink(outside, root / rel)

    return apply


REF = "references/alpha-one.md"
CASES: dict[str, tuple[Callable[[Path], object], list[str]]] = {
    "SKL001-missing-skill-md": (remove("SKILL.md"), ["SKILL.md:1: SKL001"]),
    "SKL508-range-beyond-evidence": (measured(">=3.3,<4"), [f"{REF}:6: SKL508"]),
    "SKL509-evidence-stale": (measured(">=3.4,<4", stale=True), [f"{REF}:6: SKL509"]),
    "SKL510-since-unsaid": (measured(">=3.4,<4", since=False), [f"{REF}:25: SKL510"]),
    "SKL002-binary": (write(REF, b"---\x00\x01"), [f"{REF}:1: SKL002"]),
    "SKL002-not-utf8": (write(REF, b"---\ntitle: caf\xe9\n"), [f"{REF}:2: SKL002"]),
    "SKL003-huge": (write(REF, "x" * (1024 * 1024 + 1)), [f"{REF}:1: SKL003"]),
    "SKL004-symlink-escape": (symlink_out(REF), [f"{REF}:1: SKL004", "askill.yaml:11: SKL704"]),
    "SKL101-unclosed-frontmatter": (write(REF, "---\ntitle: x\n"), [f"{REF}:1: SKL101"]),
    "SKL102-bad-yaml": (edit(REF, "tags: [alpha, first]", "tags: [alpha, first"), [f"{REF}:5: SKL102"]),
    "SKL103-duplicate-key": (  # the duplicate hides nothing: its value (the last) is checked too
        edit(REF, "tags: [alpha, first]", "tags: [alpha]\ntitle: again"),
        [f"{REF}:6: SKL103", f"{REF}:9: SKL503"],
    ),
    "SKL105-alias": (edit(REF, "tags: [alpha, first]", "tags: &t [alpha]\nother: *t"), [f"{REF}:6: SKL105"]),
    "SKL106-spec-name": (
        edit("SKILL.md", "name: dbos-python", "name: DBOS_Python"),
        ["SKILL.md:2: SKL106", "SKILL.md:2: SKL201", "SKILL.md:2: SKL803", "askill.yaml:1: SKL202"],
    ),
    "SKL106-unknown-key": (edit("SKILL.md", "license: MIT", "license: MIT\nversion: 1.0.0"), ["SKILL.md:5: SKL106"]),
    "SKL104-schema-skill-house": (  # the specification lets metadata.version be any string; this project wants semver
        edit("SKILL.md", 'version: "1.2.3"', 'version: "one"'),
        ["SKILL.md:5: SKL104", "askill.yaml:2: SKL203"],
    ),
    "SKL104-schema-rule": (edit(REF, "impact: CRITICAL", "impact: URGENT"), [f"{REF}:3: SKL104", f"{REF}:3: SKL502"]),
    "SKL104-schema-askill": (
        edit("askill.yaml", "tags: [tests]", "tags: [a, b, c, d, e, f]"),
        ["askill.yaml:7: SKL104", "askill.yaml:7: SKL805"],
    ),
    "SKL104-version-not-string": (
        edit("askill.yaml", 'version: "1.2.3"', "version: 1.2"),
        ["askill.yaml:2: SKL104", "askill.yaml:2: SKL203", "askill.yaml:2: SKL804"],
    ),
    "SKL801-folded-description": (
        edit("SKILL.md", "description: A minimal", "description: >-\n  A minimal"),
        ["SKILL.md:3: SKL801"],
    ),
    "SKL802-no-when": (
        lambda r: [edit(f, "Use when testing the validator.", "For tests.")(r) for f in ("SKILL.md", "askill.yaml")],
        ["SKILL.md:3: SKL802"],
    ),
    "SKL803-slug": (
        edit("askill.yaml", "slug: dbos-python", "slug: Dbos_Python"),
        ["askill.yaml:15: SKL104", "askill.yaml:15: SKL803"],
    ),
    "SKL804-askill-semver": (
        lambda r: [edit(f, "1.2.3", "1.2.3-rc-1")(r) for f in ("SKILL.md", "askill.yaml")],
        ["askill.yaml:2: SKL804"],
    ),
    "SKL805-tag-case": (
        edit("askill.yaml", "tags: [tests]", "tags: [Tests]"),
        ["askill.yaml:7: SKL104", "askill.yaml:7: SKL805"],
    ),
    "SKL806-command-description": (
        edit("askill.yaml", "    description: Say hello\n", ""),
        ["askill.yaml:16: SKL104", "askill.yaml:16: SKL806"],
    ),
    "SKL806-command-script-not-shipped": (
        edit("askill.yaml", "run: echo hello", "run: python3 scripts/hello.py"),
        ["askill.yaml:16: SKL806"],
    ),
    "SKL807-dependency": (
        edit("askill.yaml", "slug: dbos-python\n", "slug: dbos-python\ndependencies:\n  - lodash\n"),
        ["askill.yaml:16: SKL104", "askill.yaml:16: SKL807"],
    ),
    "SKL808-installer-drops": (
        write("references/_notes.md", "# Notes\n\nFor maintainers.\n"),
        ["askill.yaml:11: SKL808"],
    ),
    "SKL201-folder-name": (
        edit("SKILL.md", "name: dbos-python", "name: other-name"),
        ["SKILL.md:2: SKL201", "askill.yaml:1: SKL202"],
    ),
    "SKL202-manifest-name": (edit("askill.yaml", "name: dbos-python", "name: other-skill"), ["askill.yaml:1: SKL202"]),
    "SKL704-shipped-symlink": (
        lambda r: os.symlink("alpha-one.md", r / "references/alpha-two.md"),
        ["askill.yaml:11: SKL704", "references/alpha-two.md:1: SKL301"],
    ),
    "SKL203-version": (edit("askill.yaml", '"1.2.3"', '"1.2.4"'), ["askill.yaml:2: SKL203"]),
    "SKL204-description": (edit("askill.yaml", "A minimal valid", "A different"), ["askill.yaml:3: SKL204"]),
    "SKL205-body-lines": (
        edit("SKILL.md", "# Minimal skill\n", "# Minimal skill\n" + "line\n" * 600),
        ["SKILL.md:8: SKL205"],
    ),
    "SKL206-body-tokens": (
        edit("SKILL.md", "# Minimal skill\n", "# Minimal skill\n" + "word " * 5000 + "\n"),
        ["SKILL.md:8: SKL206"],
    ),
    "SKL301-not-indexed": (
        write("references/alpha-two.md", (Path(__file__).parent / "fixtures/skills/valid" / REF).read_text()),
        ["references/alpha-two.md:1: SKL301"],
    ),
    "SKL302-index-missing": (
        edit("SKILL.md", "- [alpha-one]", "- [alpha-zero](references/alpha-zero.md): gone\n- [alpha-one]"),
        ["SKILL.md:15: SKL302"],
    ),
    "SKL303-nested": (
        edit("SKILL.md", "- [alpha-one]", "- [deep](references/sub/deep.md): nested\n- [alpha-one]"),
        ["SKILL.md:15: SKL302", "SKILL.md:15: SKL303"],
    ),
    "SKL401-broken-link": (edit(REF, "Because.", "See [x](missing.md)."), [f"{REF}:14: SKL401"]),
    "SKL401-escaping-link": (edit(REF, "Because.", "See [x](../../etc/passwd)."), [f"{REF}:14: SKL401"]),
    "SKL402-broken-anchor": (edit("SKILL.md", "alpha-one.md#why", "alpha-one.md#nope"), ["SKILL.md:11: SKL402"]),
    "SKL501-unknown-prefix": (
        lambda r: (r / REF).rename(r / "references/beta-one.md"),
        [
            "references/beta-one.md:1: SKL301",
            "references/beta-one.md:1: SKL501",
            "SKILL.md:11: SKL302",
            "SKILL.md:15: SKL302",
        ],
    ),
    "SKL502-impact-mismatch": (edit(REF, "impact: CRITICAL", "impact: LOW"), [f"{REF}:3: SKL502"]),
    "SKL503-heading-title": (edit(REF, "## Do the first thing", "## Something else"), [f"{REF}:8: SKL503"]),
    "SKL504-sections-malformed": (
        edit("references/sections.md", "## 1. Alpha (alpha)", "## Alpha"),
        ["references/sections.md:3: SKL504", f"{REF}:1: SKL501"],
    ),
    "SKL506-file-name": (
        lambda r: (r / REF).rename(r / "references/alpha_One.md"),
        [
            "references/alpha_One.md:1: SKL301",
            "references/alpha_One.md:1: SKL501",
            "references/alpha_One.md:1: SKL506",
            "SKILL.md:11: SKL302",
            "SKILL.md:15: SKL302",
        ],
    ),
    "SKL601-empty-section": (edit(REF, "### Why\n", "### Empty\n\n### Why\n"), [f"{REF}:12: SKL601"]),
    "SKL602-placeholder": (edit(REF, "Because.", "Because. TODO explain"), [f"{REF}:14: SKL602"]),
    "SKL603-unclosed-fence": (
        edit(REF, "```yaml\nkey: value\n```", "```yaml\nkey: value"),
        [f"{REF}:32: SKL603", f"{REF}:35: SKL610"],
    ),
    "SKL604-no-incorrect": (edit(REF, "**Incorrect** (raises):", "An aside:"), [f"{REF}:7: SKL604"]),
    "SKL605-no-correct": (edit(REF, "**Correct** (works):", "Another aside:"), [f"{REF}:7: SKL605"]),
    "SKL606-unproven-incorrect": (edit(REF, "```python expect=ValueError", "```python"), [f"{REF}:18: SKL606"]),
    "SKL607-correct-with-expect": (
        edit(REF, "```python\nvalue = 1", "```python lint=DBOS201\nvalue = 1"),
        [f"{REF}:24: SKL607"],
    ),
    "SKL608-no-docs-link": (
        edit(REF, "https://docs.dbos.dev/python/tutorials/workflow-tutorial", "https://example.com/"),
        [f"{REF}:36: SKL608"],
    ),
    "SKL609-before-not-a-range": (
        edit(REF, "```python expect=ValueError", "```python expect=ValueError before=three"),
        [f"{REF}:18: SKL609"],
    ),
    "SKL609-before-without-expect": (edit(REF, "```python\n", "```python before=<3\n"), [f"{REF}:24: SKL609"]),
    "SKL609-unknown-option": (
        edit(REF, "```python expect=ValueError", "```python expect=ValueError skip"),
        [f"{REF}:18: SKL609"],
    ),
    "SKL609-message-not-quoted": (
        edit(REF, "```python expect=ValueError", "```python expect=ValueError:boom"),
        [f"{REF}:18: SKL609"],
    ),
    "SKL609-message-unclosed-quote": (
        edit(REF, "```python expect=ValueError", '```python expect=ValueError:"boom went'),
        [f"{REF}:18: SKL609"],
    ),
    "SKL609-message-empty": (
        edit(REF, "```python expect=ValueError", '```python expect=ValueError:""'),
        [f"{REF}:18: SKL609"],
    ),
    "SKL609-bad-timeout": (
        edit(REF, "```python expect=ValueError", "```python expect=ValueError timeout=forever"),
        [f"{REF}:18: SKL609"],
    ),
    "SKL610-bad-yaml-block": (edit(REF, "key: value", "key: [value"), [f"{REF}:34: SKL610"]),
    "SKL611-correct-without-assert": (edit(REF, "assert value == 1", "print(value)"), [f"{REF}:24: SKL611"]),
    "SKL612-continues-first": (
        edit(REF, "```python expect=ValueError", "```python continues expect=ValueError"),
        [f"{REF}:18: SKL612"],
    ),
    "SKL613-no-why": (edit(REF, "Why it matters: without it nothing works.\n", ""), [f"{REF}:8: SKL613"]),
    "SKL701-manifest-entry-matches-nothing": (
        edit("askill.yaml", "  - askill.yaml\n", "  - askill.yaml\n  - scripts/*.py\n"),
        ["askill.yaml:11: SKL701"],
    ),
    "SKL702-not-shipped": (
        edit("askill.yaml", "  - references/*.md\n", "  - references/alpha-one.md\n"),
        ["askill.yaml:11: SKL702"],
    ),
    "SKL703-escaping-entry": (
        edit("askill.yaml", "  - askill.yaml\n", "  - askill.yaml\n  - ../secret\n"),
        ["askill.yaml:11: SKL703"],
    ),
    "SKL705-secret": (
        lambda r: (
            write(".env", "KEY=1")(r),
            edit("askill.yaml", "  - askill.yaml\n", "  - askill.yaml\n  - .env\n")(r),
        ),
        ["askill.yaml:11: SKL705", "askill.yaml:11: SKL701"],
    ),
    "SKL005-not-read": (write("rules/alpha-two.md", "# Two\n"), ["rules/:1: SKL005"]),
    "SKL614-fence-closed-late": (
        edit(
            REF,
            '```python expect=ValueError\nraise ValueError("no")\n```\n\n**Correct** (works):\n\n```python\n',
            '```python expect=ValueError\nraise ValueError("no")\n\n**Correct** (works):\n\n```python\n',
        ),
        [f"{REF}:18: SKL614", f"{REF}:7: SKL605"],
    ),
    "SKL003-shipped-license": (
        lambda r: (
            write("LICENSE", "x" * (2 * 1024 * 1024))(r),
            edit("askill.yaml", "  - askill.yaml\n", "  - askill.yaml\n  - LICENSE\n")(r),
        ),
        ["LICENSE:1: SKL003"],
    ),
    "SKL002-shipped-binary": (
        lambda r: (
            write("data.bin", b"\x00\x01")(r),
            edit("askill.yaml", "  - askill.yaml\n", "  - askill.yaml\n  - data.bin\n")(r),
        ),
        ["data.bin:1: SKL002"],
    ),
    "SKL004-symlinked-folder": (
        symlink_folder_out("references"),
        [
            "references/sections.md:1: SKL004",
            f"{REF}:1: SKL004",
            "askill.yaml:11: SKL704",  # once per file: references/sections.md, then alpha-one.md
            "askill.yaml:11: SKL704",
        ],
    ),
    "SKL401-reference-definition": (
        lambda r: (r / "SKILL.md").write_text((r / "SKILL.md").read_text() + "\n[idx]: ../SKILL.md\n"),
        ["SKILL.md:17: SKL401"],
    ),
}
CASES["SKL101-no-frontmatter"] = (
    edit(
        REF,
        "---\ntitle: Do the first thing\nimpact: CRITICAL\n"
        "impactDescription: the first thing breaks without it\ntags: [alpha, first]\n---\n",
        "",
    ),
    [f"{REF}:1: SKL101"],
)


def test_valid_fixture_has_no_problems(valid_skill: Path) -> None:
    assert problems_of(valid_skill) == []


def test_a_range_and_since_notes_that_match_the_evidence_pass(valid_skill: Path) -> None:
    measured(">=3.4,<4")(valid_skill)
    assert problems_of(valid_skill) == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_rule_is_reported_at_its_line(case: str, valid_skill: Path) -> None:
    mutate, expected = CASES[case]
    mutate(valid_skill)
    assert sorted(problems_of(valid_skill)) == sorted(expected)


@pytest.mark.parametrize("rule_id", sorted(i for i in RULES if i.startswith("SKL")))
def test_every_rule_of_the_table_has_a_failing_fixture(rule_id: str) -> None:
    """Iterates the rule table: each SKL id is proven, at an exact file:line, by a case of CASES."""
    assert any(expected.endswith(f": {rule_id}") for _, found in CASES.values() for expected in found), rule_id


def test_problems_are_created_only_through_the_rule_table() -> None:
    package = Path(__file__).parents[1] / "scripts/skilltools"
    direct = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Problem":
                direct.append(f"{path.relative_to(package)}:{node.lineno}")
    assert len(direct) == 1 and direct[0].startswith("rules.py:"), direct  # inside problem() only


def test_each_message_is_its_template_filled(valid_skill: Path) -> None:
    edit(REF, "impact: CRITICAL", "impact: LOW")(valid_skill)
    [found] = validate(load_skill(valid_skill))
    assert found.message == RULES["SKL502"].template.format(impact="LOW", section="Alpha", expected="CRITICAL")
    assert (found.profile, found.severity) == ("house", "error")


def test_rules_command_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[1:]] == list(RULES)
    assert main(["rules", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {row["id"]: row["profile"] for row in data} == {r.id: r.profile for r in RULES.values()}


def test_cli_reports_all_problems_with_exit_1(valid_skill: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(REF, "impact: CRITICAL", "impact: LOW")(valid_skill)
    edit("askill.yaml", '"1.2.3"', '"1.2.4"')(valid_skill)
    assert main(["validate", str(valid_skill)]) == 1
    err = capsys.readouterr().err
    assert f"{REF}:3: SKL502" in err and "askill.yaml:2: SKL203" in err and "2 problem(s)" in err
    assert "SKILL.md body:" in err


def test_cli_json(valid_skill: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(REF, "impact: CRITICAL", "impact: LOW")(valid_skill)
    assert main(["validate", str(valid_skill), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data == [
        {"path": REF, "line": 3, "id": "SKL502", "profile": "house", "severity": "error", "message": data[0]["message"]}
    ]


def test_cli_clean_exit_0(valid_skill: Path) -> None:
    assert main(["validate", str(valid_skill)]) == 0


def test_cli_usage_error_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(tmp_path / "nope")])
    assert exit_info.value.code == 2
    assert "not a directory" in capsys.readouterr().err


def test_crlf_and_bom_are_read_without_moving_lines(valid_skill: Path) -> None:
    path = valid_skill / REF
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    edit(REF, "impact: CRITICAL", "impact: LOW")(valid_skill)
    assert problems_of(valid_skill) == [f"{REF}:3: SKL502"]


def test_expect_with_a_message_is_valid(valid_skill: Path) -> None:
    """The quoted message may hold spaces, dots, colons and `=`: it stays one fence option."""
    edit(REF, "```python expect=ValueError", '```python expect=builtins.ValueError:"no: a.b = c" timeout=5')(
        valid_skill
    )
    assert problems_of(valid_skill) == []


# --- profiles --------------------------------------------------------------------------------------------


def test_spec_profile_keeps_only_what_the_specification_requires(
    valid_skill: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(REF, "impact: CRITICAL", "impact: LOW")(valid_skill)  # a house rule
    edit("SKILL.md", "license: MIT", "license: MIT\nversion: 1.0.0")(valid_skill)  # not a key of the specification
    assert main(["validate", str(valid_skill), "--profile", "spec"]) == 1
    err = capsys.readouterr().err
    assert "SKILL.md:5: SKL106 [spec] version: Additional properties" in err or "SKL106 [spec]" in err
    assert "SKL502" not in err and "1 problem(s)" in err
    assert main(["validate", str(valid_skill)]) == 1  # house (the default) reports both, each with its profile
    err = capsys.readouterr().err
    assert f"{REF}:3: SKL502 [house] " in err and "SKILL.md:5: SKL106 [spec] " in err


def test_spec_profile_passes_a_skill_that_breaks_only_house_rules(valid_skill: Path) -> None:
    (valid_skill / "askill.yaml").unlink()  # askill.yaml is this project's, not the specification's
    edit(REF, "impact: CRITICAL", "impact: LOW")(valid_skill)
    found = validate(load_skill(valid_skill), "spec")
    assert [(p.id, p.severity) for p in found] == [("SKL005", "note")]  # references/ is not read by spec
    assert main(["validate", str(valid_skill), "--profile", "spec"]) == 0


def test_a_duplicate_frontmatter_key_hides_no_other_problem(valid_skill: Path) -> None:
    edit("SKILL.md", "license: MIT", "license: MIT\nname: again\nextra: one")(valid_skill)
    assert sorted(problems_of(valid_skill)) == [
        "SKILL.md:5: SKL103",
        "SKILL.md:5: SKL201",  # the value that wins (the last) is checked against the folder
        "SKILL.md:6: SKL106",
        "askill.yaml:1: SKL202",
    ]


def test_folders_of_markdown_that_are_not_read_are_named(valid_skill: Path) -> None:
    write("rules/alpha-two.md", "# Two\n")(valid_skill)
    write("rules/alpha-three.md", "# Three\n")(valid_skill)
    [note] = validate(load_skill(valid_skill))
    assert str(note) == (
        "rules/:1: SKL005 [house note] rules/ holds 2 Markdown file(s) this validator does not read "
        "(only SKILL.md and references/*.md are checked)"
    )
    assert main(["validate", str(valid_skill)]) == 0  # a note never fails


def test_a_skill_laid_out_differently_is_valid_for_the_spec_and_says_what_was_not_read(tmp_path: Path) -> None:
    root = tmp_path / "other-skill"
    write(
        "SKILL.md", "---\nname: other-skill\ndescription: Does things. Use when testing.\n---\n\n# Other\n\nDo it.\n"
    )(root)
    write("rules/one.md", "# One\n")(root)
    write("rules/two.md", "# Two\n")(root)
    spec = [str(p) for p in validate(load_skill(root), "spec")]
    assert spec == [
        "rules/:1: SKL005 [spec note] rules/ holds 2 Markdown file(s) this validator does not read "
        "(--profile spec reads SKILL.md)"
    ]
    house = validate(load_skill(root))
    assert {(p.id, p.profile) for p in house} == {
        ("SKL001", "house"),  # askill.yaml: this project's manifest, not the specification's
        ("SKL104", "house"),  # license and metadata.version: house requirements
        ("SKL504", "house"),
        ("SKL005", "house"),
    }
