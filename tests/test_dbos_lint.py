"""Tests for scripts/dbos_lint.py: one parametrised test over tests/fixtures/lint, meta-tests, CLI tests."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import dbos
import pytest

ROOT = Path(__file__).resolve().parents[1]
LINTER = ROOT / "scripts" / "dbos_lint.py"
FIXTURES = ROOT / "tests" / "fixtures" / "lint"
sys.path.insert(0, str(LINTER.parent))

import dbos_lint  # noqa: E402

FIXTURE_FILES = sorted(FIXTURES.glob("DBOS*/*.py"))
EXPECT = re.compile(r"#\s*expect:\s*(?P<spec>.*)$")


@dataclass(frozen=True)
class Expected:
    """One `# expect:` entry: `DBOS201`, `DBOS201:13` (column) or `DBOS201:13 call=time.time() func=wf`
    (column and message slots, like flake8-bugbear's eval files). Entries are separated by `;`; bare ids
    may also be comma separated."""

    line: int
    id: str
    col: int | None = None
    slots: tuple[tuple[str, str], ...] = ()


def expectations(path: Path) -> list[Expected]:
    found: list[Expected] = []
    text = path.read_bytes().decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        match = EXPECT.search(line)
        if not match:
            continue
        for entry in match.group("spec").split(";"):
            words = shlex.split(entry.replace(",", " ") if "=" not in entry else entry)
            heads = [w for w in words if "=" not in w]
            slots = tuple(tuple(w.split("=", 1)) for w in words if "=" in w)
            for head in heads:
                rule_id, _, col = head.partition(":")
                found.append(Expected(number, rule_id, int(col) if col else None, slots))  # type: ignore[arg-type]
    return found


def expected(path: Path) -> Counter[tuple[int, str]]:
    """(line, id) pairs from trailing `# expect: ...` comments (an id may repeat)."""
    return Counter((e.line, e.id) for e in expectations(path))


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = dbos_lint.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- fixtures


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FIXTURE_FILES])
def test_fixture(path: Path) -> None:
    want = expected(path)
    if path.name.startswith("good_"):
        assert not want, "good_ fixtures carry no expectations"
    else:
        assert path.name.startswith("bad_"), "fixtures are named bad_*.py or good_*.py"
        assert path.parent.name in {i for _, i in want}, "a bad_ fixture shows its own rule"
    findings = dbos_lint.lint_file(path, opt_in=dbos_lint.RULES)
    got = Counter((f.line, f.id) for f in findings)
    assert sorted(got.elements()) == sorted(want.elements())
    for e in expectations(path):
        here = [f for f in findings if (f.line, f.id) == (e.line, e.id)]
        if e.col is not None:
            assert e.col in [f.col for f in here], f"line {e.line}: {e.id} not at column {e.col}"
        for key, value in e.slots:
            assert any(dict(f.slots).get(key) == value for f in here), (
                f"line {e.line}: {e.id} slot {key}={value!r}, got {[dict(f.slots) for f in here]}"
            )


def test_fixtures_pin_columns_and_every_template_slot_somewhere() -> None:
    import string

    entries = [e for p in FIXTURE_FILES for e in expectations(p)]
    assert all(e.col is not None for e in entries), [e for e in entries if e.col is None][:3]
    pinned = {(e.id, key) for e in entries for key, _ in e.slots}
    for rule_id, rule in dbos_lint.RULES.items():
        slots = {name for _, name, _, _ in string.Formatter().parse(rule.message) if name}
        if rule_id != "DBOS001" and slots:
            assert any((rule_id, s) in pinned for s in slots), f"no fixture pins a message slot of {rule_id}"


def test_every_rule_has_bad_and_good_fixtures() -> None:
    for rule_id in dbos_lint.RULES:
        names = [p.name for p in (FIXTURES / rule_id).glob("*.py")]
        assert any(n.startswith("bad_") for n in names), f"{rule_id} has no bad_*.py fixture"
        assert any(n.startswith("good_") for n in names), f"{rule_id} has no good_*.py fixture"


def test_fixture_ids_are_declared() -> None:
    assert {p.parent.name for p in FIXTURE_FILES} <= set(dbos_lint.RULES)
    used = {i for p in FIXTURE_FILES for _, i in expected(p)}
    assert used <= set(dbos_lint.RULES), used - set(dbos_lint.RULES)


def test_every_rule_is_reported_somewhere_and_every_report_is_declared() -> None:
    source = LINTER.read_text()
    reported = set(re.findall(r'"(DBOS\d{3})"', source.split("RULES: dict[str, Rule] = {")[1].split("\n}\n", 1)[1]))
    assert reported == set(dbos_lint.RULES)


def test_authoring_table_is_generated_from_rules() -> None:
    text = (ROOT / "docs" / "authoring.md").read_text()
    assert dbos_lint.markdown_table() in text, "regenerate: python scripts/dbos_lint.py --list-rules --markdown"
    assert all(r.reference.startswith("references/") for i, r in dbos_lint.RULES.items() if i != "DBOS001")
    assert all(r.summary and r.in_tests for r in dbos_lint.RULES.values())


@pytest.mark.parametrize("rule_id", [i for i in dbos_lint.RULES if i != "DBOS001"])
def test_reference_file_exists_and_shows_its_id(rule_id: str) -> None:
    path = ROOT / dbos_lint.RULES[rule_id].reference
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    assert re.search(rf"```python\b[^\n]*\blint={rule_id}\b", path.read_text()), f"no lint={rule_id} block in {path}"


def test_async_variants_match_installed_dbos() -> None:
    names = {n for n in dir(dbos.DBOS) if not n.startswith("_")}
    assert {n for n in names if f"{n}_async" in names} == dbos_lint.ASYNC_VARIANTS


def test_raises_in_loop_matches_installed_dbos_and_every_suggestion_exists() -> None:
    """DBOS206 says the call raises and suggests `<name>_async`: both must hold for the installed dbos."""
    import inspect

    raising = set()
    for name in dir(dbos.DBOS):
        member = inspect.getattr_static(dbos.DBOS, name)
        func = getattr(member, "__func__", member)
        if name.startswith("_") or not callable(func):
            continue
        code = "\n".join(line.split("#", 1)[0] for line in inspect.getsource(func).splitlines())
        if f'check_async("{name}")' in code:
            raising.add(name)
    assert raising == dbos_lint.RAISES_IN_LOOP
    names = set(dir(dbos.DBOS))
    assert all(f"{n}_async" in names for n in dbos_lint.RAISES_IN_LOOP | dbos_lint._BLOCKING)
    assert hasattr(dbos.Queue, "enqueue_async")  # DBOS207's suggestion for queue.enqueue(...)


def test_removed_config_keys_are_not_in_installed_config() -> None:
    current = set(dbos.DBOSConfig.__annotations__)
    assert not current & set(dbos_lint.REMOVED_CONFIG_KEYS)
    assert not any(k.startswith("app_db_") for k in current)


# ---- API


def test_lint_source_finding_format_and_order() -> None:
    source = (
        "import time\nfrom dbos import DBOS\n\n@DBOS.workflow()\ndef wf() -> float:\n"
        "    return time.time() + time.monotonic()\n"
    )
    findings = dbos_lint.lint_source(source, "app.py")
    assert [(f.line, f.col, f.id) for f in findings] == [(6, 12, "DBOS201"), (6, 26, "DBOS201")]
    assert str(findings[0]).startswith("app.py:6:12: DBOS201 time.time() in a workflow")
    assert str(findings[0]).endswith("(see references/workflow-determinism.md)")
    with pytest.raises(AttributeError):
        findings[0].line = 1  # type: ignore[misc]


def test_noqa() -> None:
    body = "import random\nfrom dbos import DBOS\n\n@DBOS.workflow()\ndef wf() -> float:\n    return random.random()"
    assert dbos_lint.lint_source(body + "  # noqa\n") == []
    assert dbos_lint.lint_source(body + "  # noqa: DBOS202, DBOS201\n") == []
    assert [f.id for f in dbos_lint.lint_source(body + "  # NOQA:DBOS202\n")] == ["DBOS201"]


def test_syntax_error_is_a_finding() -> None:
    findings = dbos_lint.lint_source("x = 1\ndef broken(:\n", "broken.py")
    assert [(f.path, f.line, f.id) for f in findings] == [("broken.py", 2, "DBOS001")]
    assert findings[0].message.startswith("syntax error: ")
    assert [f.id for f in dbos_lint.lint_source("x = 1\0\n")] == ["DBOS001"]


def test_undecodable_file_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes(b"x = 1\ny = 2\nz = '\xff'\n")
    assert [(f.line, f.id) for f in dbos_lint.lint_file(path)] == [(3, "DBOS001")]


def test_non_dbos_module_is_not_checked() -> None:
    source = "import time\nfrom temporal import DBOS\n\n@DBOS.workflow()\ndef wf():\n    return time.time()\n"
    assert dbos_lint.lint_source(source) == []


# ---- CLI


BAD = FIXTURES / "DBOS201" / "bad_time.py"
GOOD = FIXTURES / "DBOS201" / "good_step.py"


def test_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(capsys, str(GOOD)) == (0, "", "")
    code, out, _ = run_main(capsys, str(BAD))
    assert code == 1
    first = dbos_lint.lint_file(BAD)[0]
    assert out.splitlines()[0] == str(first)
    assert str(first).startswith(f"{BAD}:9:13: DBOS201 ")
    for argv in (
        ["--bogus", str(GOOD)],
        [],
        [str(FIXTURES / "missing.py")],
        ["--select", "DBOS999", str(GOOD)],
        ["--ignore", "E501", str(GOOD)],
    ):
        code, out, err = run_main(capsys, *argv)
        assert code == 2, argv
        assert out == ""
        assert err


def test_help_and_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "--help")
    assert code == 0
    assert "--select" in out
    assert "Exit status" in out
    code, out, _ = run_main(capsys, "--list-rules")
    assert code == 0
    assert len(out.splitlines()) == len(dbos_lint.RULES)
    assert "DBOS201  nondeterministic-call" in out
    assert "references/workflow-determinism.md" in out
    rows = dict(line.split(None, 1) for line in out.splitlines())
    assert "tests: skipped" in rows["DBOS203"]
    assert "tests: sleeps skipped" in rows["DBOS202"]
    assert "(opt-in: --select DBOS104)" in rows["DBOS104"]
    assert run_main(capsys, "--list-rules", "--markdown")[1].strip() == dbos_lint.markdown_table()


def test_opt_in_rule_is_reported_only_when_selected(capsys: pytest.CaptureFixture[str]) -> None:
    bad = str(FIXTURES / "DBOS104" / "bad_construct_at_import.py")
    assert run_main(capsys, bad)[:2] == (0, "")
    assert run_main(capsys, "--select", "DBOS1", bad)[:2] == (0, "")
    code, out, _ = run_main(capsys, "--select", "DBOS104", bad)
    assert (code, ids(out)) == (1, {"DBOS104"})
    path = FIXTURES / "DBOS104" / "bad_construct_at_import.py"
    assert dbos_lint.lint_file(path) == []  # the API (the example checker, eval tests) leaves it out too
    assert [f.id for f in dbos_lint.lint_file(path, opt_in=["DBOS104"])] == ["DBOS104"]


TEST_POLICY_SOURCE = """import time, uuid
from dbos import DBOS

runs = []
log = []

@DBOS.workflow()
def wf() -> str:
    global runs
    runs = [*runs, time.time()]
    log.append(1)
    time.sleep(0.1)
    return str(uuid.uuid4())
"""


@pytest.mark.parametrize("name", ["test_app.py", "app_test.py", "conftest.py"])
def test_test_files_skip_instrumentation_but_not_real_mistakes(name: str) -> None:
    app = {(f.line, f.id) for f in dbos_lint.lint_source(TEST_POLICY_SOURCE, "pkg/app.py")}
    assert app == {(9, "DBOS203"), (10, "DBOS201"), (11, "DBOS203"), (12, "DBOS202"), (13, "DBOS201")}
    assert {(f.line, f.id) for f in dbos_lint.lint_source(TEST_POLICY_SOURCE, f"pkg/{name}")} == {(13, "DBOS201")}


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "--json", str(BAD))
    assert code == 1
    data = json.loads(out)
    assert len(data) == 4
    assert set(data[0]) == {"path", "line", "col", "id", "name", "message", "reference"}
    assert data[0]["id"] == "DBOS201"
    assert data[0]["name"] == "nondeterministic-call"
    assert data[0]["line"] == 9
    assert data[0]["reference"] == "references/workflow-determinism.md"
    assert run_main(capsys, "--json", str(GOOD))[:2] == (0, "[]\n")


def ids(out: str) -> set[str]:
    return {line.split()[1] for line in out.splitlines()}


def test_select_and_ignore(capsys: pytest.CaptureFixture[str]) -> None:
    bad = str(FIXTURES / "DBOS101" / "bad_import_time.py")
    mixed = str(FIXTURES / "DBOS202" / "bad_io.py")
    code, out, _ = run_main(capsys, "--select", "DBOS2", bad, mixed)
    assert (code, ids(out)) == (1, {"DBOS202"})
    code, out, _ = run_main(capsys, "--select", "dbos101,DBOS202", "--ignore", "DBOS202", bad, mixed)
    assert (code, ids(out)) == (1, {"DBOS101"})
    assert run_main(capsys, "--ignore", "DBOS1,DBOS2", bad, mixed)[:2] == (0, "")


def test_directory_recursion_and_sorting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = BAD.read_text()
    for rel in [
        "b.py",
        "a/z.py",
        "a/nested/y.py",
        ".venv/lib/x.py",
        "venv/x.py",
        "__pycache__/x.py",
        ".hidden/x.py",
        "a/notes.txt",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(bad)
    code, out, _ = run_main(capsys, str(tmp_path))
    assert code == 1
    paths = [line.split(":")[0] for line in out.splitlines()]
    assert sorted(set(paths)) == [str(tmp_path / r) for r in ["a/nested/y.py", "a/z.py", "b.py"]]
    assert paths == sorted(paths)
    # A file named explicitly is linted whatever its suffix.
    assert run_main(capsys, str(tmp_path / "a/notes.txt"))[0] == 1


def test_runs_on_bare_stdlib_python() -> None:
    """-I -S: no site-packages at all, so the linter can only use the standard library."""
    proc = subprocess.run(
        [sys.executable, "-I", "-S", str(LINTER), "--json", str(BAD)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1, proc.stderr
    assert {f["id"] for f in json.loads(proc.stdout)} == {"DBOS201"}


def test_never_imports_dbos() -> None:
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['dbos_lint.py', {str(FIXTURES)!r}]\n"
        "try:\n"
        f"    runpy.run_path({str(LINTER)!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert not [m for m in sys.modules if m == 'dbos' or m.startswith('dbos.')], 'dbos was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    imports = re.findall(r"^(?:import|from) (\S+)", LINTER.read_text(), flags=re.MULTILINE)
    assert set(imports) <= set(sys.stdlib_module_names) | {"__future__", "collections.abc"}


def test_corpus_judgement_table_is_well_formed() -> None:
    """bench/lint_corpus.py's table: `tests/<file>.py:<line>:<id>  # reason`, known ids, no duplicates."""
    rows = [line.split("#", 1) for line in (ROOT / "bench" / "lint_corpus_judged.txt").read_text().splitlines()]
    keys = [key.strip() for key, *_ in rows if key.strip()]
    assert keys and len(keys) == len(set(keys))
    for key, *reason in rows:
        if key.strip():
            path, line, rule_id = key.strip().split(":")
            assert path.startswith("tests/") and path.endswith(".py") and int(line) > 0, key
            assert rule_id in dbos_lint.RULES and reason and reason[0].strip(), key
