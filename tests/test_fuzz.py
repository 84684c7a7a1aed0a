"""Fuzzing the readers: generated Markdown, YAML, skill folders, Python and raw bytes thrown at the parser, the
validator and the linter.

Every target must answer with problems (`parse.ParseError` carries one) or findings. It must never raise
anything else, never hang (each call runs under a time limit) and never write a file (an audit hook records
every write-mode open, rename, delete and mkdir while a target runs). Inputs are bounded in size.

Each test counts its generated cases into the `fuzz_cases` session fixture; the total is printed in the
terminal summary. Run a longer hunt with `--hypothesis-profile=thorough` (profiles: tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from hypothesis import example, given
from hypothesis import strategies as st
from skilltools import cli, parse, validate
from skilltools.model import Document, Problem

ROOT = Path(__file__).resolve().parents[1]
LINTER = ROOT / "scripts" / "dbos_lint.py"
VALID_SKILL = ROOT / "tests" / "fixtures" / "skills" / "valid"
sys.path.insert(0, str(LINTER.parent))

import dbos_lint  # noqa: E402

TIME_LIMIT = 20.0
"""Seconds one call may take. Bounded inputs take milliseconds, so reaching this means a hang."""

# --- guards: no hang, no write ---------------------------------------------------------------------------


class Hang(BaseException):
    """Raised by SIGALRM; a BaseException so that no `except Exception` in the target can swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float = TIME_LIMIT) -> Iterator[None]:
    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_WRITE_EVENTS = frozenset(
    {
        "os.rename",
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.chmod",
        "os.chown",
        "os.symlink",
        "os.link",
        "os.truncate",
        "os.utime",
        "shutil.rmtree",
        "shutil.copyfile",
        "shutil.move",
        "tempfile.mkstemp",
        "tempfile.mkdtemp",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_watching: list[list[str]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Record filesystem writes while a target runs (Python's audit hooks see every open, rename, unlink)."""
    if not _watching:
        return
    if event == "open" and len(args) >= 3:
        path, mode, flags = args[:3]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
        )
    else:
        path = args[0] if args else None
        writes = event in _WRITE_EVENTS
    if writes and "__pycache__" not in str(path):  # lazy imports may cache bytecode; that is not the target
        _watching[-1].append(f"{event} {path!r}")


sys.addaudithook(_audit)


@contextlib.contextmanager
def guarded() -> Iterator[list[str]]:
    """Run the body under the time limit, collecting every filesystem write it makes."""
    writes: list[str] = []
    _watching.append(writes)
    try:
        with time_limit():
            yield writes
    finally:
        _watching.pop()


def run_main(main: Callable[[list[str]], int], argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry under folder with its size and mtime, without following symlinks."""
    result: dict[str, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            stat = os.lstat(os.path.join(dirpath, name))
            result[os.path.relpath(os.path.join(dirpath, name), folder)] = (stat.st_size, stat.st_mtime_ns)
    return result


PROBLEM_ID = re.compile(r"SKL\d{3}")


def assert_problem(problem: Problem, one_line: bool = True) -> None:
    assert isinstance(problem, Problem)
    assert PROBLEM_ID.fullmatch(problem.id), problem
    assert problem.line >= 1, problem
    assert problem.message.strip(), problem
    if one_line:  # unless a file name holds a newline (SKL506 flags such names), a problem is one line
        assert "\n" not in str(problem), f"a problem must print as one line: {str(problem)!r}"


# --- strategies: text --------------------------------------------------------------------------------------

# fmt: off
ODD = st.sampled_from(
    [
        "\ufeff", "\x00", "\r\n", "\r", "\n", "\u2028", "\u2029", "\x85", "\u200b", "\u202e", "\U0001f600",
        "\uffff", "\t", "\x1b", "e\u0301", "\ufb01", "\u0130", "\x7f", "\\", "`", "~", "\v", "\f", "\ufffd",
        "\U000e0001",
    ]
)
# fmt: on
"""Characters that trip text handling: BOM, NUL, line separators of every kind, bidi, combining, tabs."""

SHORT_TEXT = st.one_of(
    st.text(max_size=30), ODD, st.lists(st.one_of(st.text(max_size=5), ODD), max_size=6).map("".join)
)

# fmt: off
YAML_PIECES = st.sampled_from(
    [
        "a: 1", "- x", "  b:", "? [a, b]\n: 1", "? {a: 1}\n: 2", "&a 1", "*a", "<<: {x: 1}", "<<: [{x: 1}]",
        "<<: *a", "!!int", "!!float", "!!timestamp", "!!binary", "!!set", "!!omap", "!!pairs", "!!python/tuple",
        "!!merge", "!!value", "!custom", "!<tag:yaml.org,2002:str>", "%YAML 1.1", "%YAML 9.9", "%TAG ! tag:x,2000:",
        "---", "...", "{", "}", "[", "]", "'", '"', "|", ">", "#", "\t", 'k: "\\u0000"', 'k: "\\x"',
        "k: 2001-13-45", "k: 2001-02-03T04:05:06", "k: 2001-02-03 04:05:06.123 +25:00", "k: 1e400", "k: 0x_",
        "k: 0b2", "k: 0o9", "k: 1_000", "k: .inf", "k: 1:20:30", "k: 190:20:30", "~", "null", "yes", "on",
        "metadata:", "  version: 1.10", "name: dbos-python", 'version: "0.1.0"', "files:", "  - SKILL.md",
        "tags: [a, b", "k: !!int 0xZZ", "k: !!float abc", "k: !!timestamp yesterday", "k: !!binary '@@@'",
        "k: !!int ''", "k: !!bool maybe",
    ]
)
# fmt: on

# fmt: off
YAML_TAGS = st.sampled_from(
    [
        "!!int", "!!float", "!!timestamp", "!!binary", "!!bool", "!!null", "!!str", "!!set", "!!omap", "!!pairs",
        "!!seq", "!!map", "!custom", "!!merge", "!!value", "!!python/none",
    ]
)
# fmt: on

BILLION_LAUGHS = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
)


def _dump(data: Any, flow: bool, unicode: bool) -> str:
    return yaml.safe_dump(data, default_flow_style=flow, allow_unicode=unicode, sort_keys=False)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True),
    SHORT_TEXT,
    st.dates(),
    st.datetimes(),
    st.binary(max_size=20),
)
DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(SHORT_TEXT, st.integers(), st.none()), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """Dumped data, spliced YAML syntax, deep nesting, alias bombs, tagged and huge scalars."""
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return _dump(draw(DATA), draw(st.booleans()), draw(st.booleans()))
    if kind == 1:
        return "\n".join(draw(st.lists(st.one_of(YAML_PIECES, SHORT_TEXT), max_size=15)))
    if kind == 2:
        depth = draw(st.integers(1, 3000))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("- ", "")]))
        return opener * depth + "1" + closer * depth
    if kind == 3:
        return BILLION_LAUGHS
    if kind == 4:
        key = draw(st.sampled_from(["k", "version", "name", "? k"]))
        tag = draw(st.one_of(st.just(""), YAML_TAGS))
        value = draw(st.one_of(SHORT_TEXT, st.sampled_from(["1" * 5000, "x" * 100_000, "0x" + "f" * 5000, "1e99999"])))
        return f"{key}: {tag} {value}"
    if kind == 5:
        depth = draw(st.integers(1, 200))
        return "\n".join(" " * i + "a:" for i in range(depth)) + " 1"
    base = _dump(draw(DATA), False, True)
    return _mangle(draw, base)


def _mangle(draw: st.DrawFn, text: str) -> str:
    """CRLF, a BOM, odd characters spliced in, a random cut."""
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    for position, char in draw(st.lists(st.tuples(st.integers(0, max(0, len(text))), ODD), max_size=3)):
        text = text[:position] + char + text[position:]
    if text and draw(st.integers(0, 4)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return text


# fmt: off
FENCE_INFO = st.one_of(
    SHORT_TEXT,
    st.sampled_from(
        [
            "", "python", "python expect=DBOSException", "python lint=DBOS201", "python continues", "python pytest",
            "python timeout=0", "python timeout=nan", "python timeout=1e309", "python expect=", "python lint=",
            "python =", "yaml", "json", "toml", "yml", "python expect=a.b.c lint=DBOS999 continues", " python",
            "PYTHON", "python continues continues", "bash",
        ]
    ),
)
# fmt: on
LINK_TARGETS = st.one_of(
    SHORT_TEXT,
    st.sampled_from(
        [
            "references/alpha-one.md",
            "references/alpha-one.md#why",
            "#why",
            "../x.md",
            "../../etc/passwd",
            "references/",
            "references/sub/x.md",
            "https://docs.dbos.dev/x",
            "mailto:a@b",
            "//host/x",
            "",
            "#",
            "a" * 300,
            "references/" + "b" * 300 + ".md",
            "%00",
            "x%2F..%2F",
            "C:\\x",
            "/abs/path.md",
            "./SKILL.md#",
            "references/sections.md#1-alpha-alpha",
            "?q",
            "<a b>",
            "references/alpha-one.md#" + "c" * 300,
            "references/" + "d" * 5000,
            "\x00",
            "references/\x00.md",
        ]
    ),
)


@st.composite
def markdown_lines(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    text = draw(SHORT_TEXT)
    if kind == 0:
        return "#" * draw(st.integers(1, 7)) + draw(st.sampled_from([" ", "", "\t"])) + text
    if kind == 1:
        return draw(st.sampled_from("`~")) * draw(st.integers(2, 5)) + draw(FENCE_INFO)
    if kind == 2:
        return draw(st.sampled_from(["**Incorrect**", "**Correct**", "**Incorrect (x):**", "**Correct", "**"])) + text
    if kind == 3:
        bang = draw(st.sampled_from(["", "!"]))
        return f"{bang}[{text}]({draw(LINK_TARGETS)})"
    if kind == 4:
        return f"[{text}]: {draw(LINK_TARGETS)}"
    if kind == 5:
        starts = ["- ", "1. ", "> ", "    ", "| ", "<div>", "<!-- ", "---", "***", "Reference: "]
        return draw(st.sampled_from(starts)) + text
    if kind == 6:
        # fmt: off
        return draw(
            st.sampled_from(
                [
                    "TODO", "| a | b |\n|---|---|\n| 1 | 2 |", "Reference: https://docs.dbos.dev/x", "<https://x>",
                    "", "## Index", "## 1. Alpha (alpha)", "**Impact:** HIGH", "**Description:** d", "```", "~~~",
                    "`` ` ``",
                ]
            )
        )
        # fmt: on
    if kind == 7:
        return "*" * draw(st.integers(1, 50)) + text + "_" * draw(st.integers(0, 50))
    return text


@st.composite
def markdown_documents(draw: st.DrawFn) -> str:
    """Optional frontmatter (closed or not), a body of Markdown-ish lines, then mangled."""
    parts: list[str] = []
    if draw(st.booleans()):
        front = draw(st.one_of(yaml_texts(), DATA.map(lambda d: _dump(d, False, True))))
        parts += ["---", front]
        if draw(st.integers(0, 5)):
            parts.append(draw(st.sampled_from(["---", "--- ", "---\r", "..."])))
    parts += draw(st.lists(markdown_lines(), max_size=40))
    text = "\n".join(parts)
    return _mangle(draw, text) if draw(st.booleans()) else text


# --- strategies: skill folders -----------------------------------------------------------------------------

FILE_NAME = st.one_of(
    st.text(st.characters(exclude_characters="/\x00", exclude_categories=["Cs"]), min_size=1, max_size=40).filter(
        lambda s: s not in (".", "..") and len(s.encode()) < 200
    ),
    st.sampled_from(["alpha-one", "alpha-two", "sections", "_x", "Alpha-One", "beta-x", "alpha", "alpha-", "a" * 240]),
)
SKILL_FILES = st.sampled_from(["SKILL.md", "askill.yaml", "references/alpha-one.md", "references/sections.md"])
MANIFEST_ENTRIES = st.one_of(
    SHORT_TEXT,
    st.integers(),
    st.none(),
    st.sampled_from(
        [
            "*",
            "**",
            "a**",
            "**/*.md",
            "",
            ".",
            "..",
            "/abs",
            "references/*.md",
            "x" * 300,
            "[",
            "references/[a-",
            "SKILL.md",
            ".env",
            "__pycache__/x.pyc",
            "\\x",
            "references/../SKILL.md",
            "references/**",
            "references",
            "references/**/",
            "*/" * 50,
            "\x00",
            "references/\x00*",
            "~",
            "$HOME",
        ]
    ),
)


@st.composite
def skill_edits(draw: st.DrawFn) -> list[tuple[str, str, Any]]:
    """A list of (op, relative path, payload) edits to apply to a copy of the minimal valid skill."""
    edits: list[tuple[str, str, Any]] = []
    for _ in range(draw(st.integers(1, 5))):
        op = draw(
            st.sampled_from(
                ["write", "write", "frontmatter", "append", "delete", "mkdir", "symlink", "bytes", "manifest", "huge"]
            )
        )
        rel = draw(st.one_of(SKILL_FILES, FILE_NAME.map(lambda n: f"references/{n}.md"), FILE_NAME))
        payload: Any = None
        if op == "write":
            payload = draw(st.one_of(markdown_documents(), yaml_texts()))
        elif op == "frontmatter":
            # fmt: off
            payload = draw(
                st.dictionaries(
                    st.sampled_from(
                        [
                            "name", "description", "license", "metadata", "compatibility", "allowed-tools", "title",
                            "impact", "impactDescription", "tags", "dbos", "version", "files",
                        ]
                    ),
                    DATA,
                    max_size=4,
                )
            )
            # fmt: on
        elif op == "append":
            payload = "\n".join(draw(st.lists(markdown_lines(), min_size=1, max_size=10)))
        elif op == "symlink":
            payload = draw(
                st.sampled_from(
                    [
                        "../outside.md",
                        "../../outside.md",
                        "/etc/hostname",
                        "alpha-one.md",
                        "references",
                        ".",
                        "missing.md",
                        "SKILL.md",
                        rel.rsplit("/", 1)[-1],
                    ]
                )
            )
        elif op == "bytes":
            payload = draw(st.binary(max_size=2000))
        elif op == "manifest":
            payload = draw(st.lists(MANIFEST_ENTRIES, max_size=6))
        edits.append((op, rel, payload))
    return edits


def _replace_frontmatter(text: str, data: dict[str, Any]) -> str:
    lines = text.split("\n")
    end = lines.index("---", 1) if lines and lines[0] == "---" and "---" in lines[1:] else 0
    front: dict[str, Any] = yaml.safe_load("\n".join(lines[1:end])) if end else {}
    front = {**(front if isinstance(front, dict) else {}), **data}
    return "---\n" + _dump(front, False, True) + "---\n" + "\n".join(lines[end + 1 :] if end else lines)


def apply_edits(root: Path, edits: list[tuple[str, str, Any]]) -> None:
    for op, rel, payload in edits:
        path = root / rel
        try:
            previous = path.read_text("utf-8", errors="replace") if op == "append" and path.is_file() else ""
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            if op in ("write", "append"):
                path.write_text(previous + str(payload), "utf-8")
            elif op == "frontmatter":
                original = (VALID_SKILL / rel).read_text("utf-8") if (VALID_SKILL / rel).is_file() else ""
                path.write_text(_replace_frontmatter(original, payload), "utf-8")
            elif op == "mkdir":
                path.mkdir()
                (path / "inner.md").write_text("# inner\n")
            elif op == "symlink":
                path.symlink_to(payload)
            elif op == "bytes":
                path.write_bytes(payload)
            elif op == "manifest":
                manifest = yaml.safe_load((VALID_SKILL / "askill.yaml").read_text())
                manifest["files"] = payload
                (root / "askill.yaml").write_text(_dump(manifest, False, True), "utf-8")
            elif op == "huge":
                path.write_bytes(b"# big\n" + b"x" * parse.MAX_FILE_BYTES)
        except OSError:
            continue  # a name the filesystem refuses (too long, ...): skip this edit, the others still apply


# --- strategies: Python ------------------------------------------------------------------------------------

# fmt: off
IMPORTS = st.sampled_from(
    [
        "import dbos", "from dbos import DBOS",
        "from dbos import DBOS, Queue, SetWorkflowID, SetEnqueueOptions, DBOSConfig", "from dbos import *",
        "import dbos as d", "from dbos import DBOS as D", "from dbos._dbos import DBOS", "from . import dbos",
        "from .. import x", "import time, random, uuid, datetime, os, threading, asyncio, requests",
        "from datetime import datetime", "from time import time, sleep", "from threading import Thread",
        "from concurrent.futures import ThreadPoolExecutor", "import dbos.x as dx", "from dbos import DBOS as DBOS",
        "from random import *", "import os.path as time",
    ]
)
# fmt: on
# fmt: off
ATOMS = st.sampled_from(
    [
        "DBOS", "D", "d", "dbos", "time", "random", "uuid", "datetime", "os", "threading", "asyncio", "requests",
        "Queue", "SetWorkflowID", "SetEnqueueOptions", "Thread", "q", "wf", "step", "self", "cls", "x", "config",
        "None", "1", "'q'", "f'{x}'", "...", "__name__", "print", "open", "input", "sleep", "'__main__'", "b''",
        "-1", "super()",
    ]
)
# fmt: on
# fmt: off
ATTRS = st.sampled_from(
    [
        "workflow", "step", "start_workflow", "start_workflow_async", "enqueue", "enqueue_async", "launch",
        "register_queue", "retrieve_queue", "time", "now", "random", "uuid4", "sleep", "sleep_async", "recv",
        "recv_async", "send", "Thread", "run_step", "transaction", "scheduled", "dbos_class", "destroy", "submit",
        "get", "environ", "getenv", "system", "DBOS", "datetime", "create_schedule", "enqueue_workflow",
        "workflow_id", "__call__", "listen", "get_result", "run", "create_task", "to_thread", "run_in_executor",
        "Queue",
    ]
)
# fmt: on
# fmt: off
KEYWORDS = st.sampled_from(
    [
        "workflow_id", "queue_name", "partition_queue", "queue_partition_key", "name", "target", "config",
        "fastapi", "flask", "conductor_key", "concurrency", "retries_allowed", "args", "kwargs", "database_url",
        "sys_db_name",
    ]
)
# fmt: on
# fmt: off
CONFIG_KEYS = st.sampled_from(
    [
        "'name'", "'database_url'", "'sys_db_name'", "'admin_port'", "'run_admin_server'", "'system_database_url'",
        "'application_database_url'", "None", "1",
    ]
)
# fmt: on


def _call(func: str, args: list[str]) -> str:
    return f"{func}({', '.join(args)})"


def _dict(items: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"**{v}" if k == "**" else f"{k}: {v}" for k, v in items) + "}"


# fmt: off
KNOWN_CALLS = st.sampled_from(
    [
        "time.time()", "random.random()", "uuid.uuid4()", "datetime.datetime.now()", "datetime.now()",
        "os.getenv('x')", "open('f')", "requests.get(url)", "DBOS.start_workflow(wf, workflow_id='x')",
        "DBOS.start_workflow(wf, 1)", "DBOS.enqueue_workflow(q, wf)", "q.enqueue(wf, 1)", "DBOS.sleep(1)",
        "DBOS.recv()", "time.sleep(1)", "threading.Thread(target=wf).start()", "Thread(target=wf, args=(1,))",
        "DBOS.register_queue('q')", "DBOS.register_queue('p', partition_queue=True)", "Queue('q')",
        "DBOS(config=config, fastapi=app)", "DBOS(config=config)", "DBOS.launch()", "asyncio.to_thread(wf)",
        "DBOS.run_step(None, f)", "DBOS.sleep_async(1)", "SetWorkflowID('id')",
        "SetEnqueueOptions(queue_partition_key='k')", "DBOS.retrieve_queue('q')", "wf()", "step()",
        "asyncio.create_task(wf())", "loop.run_in_executor(None, wf)", "DBOS.send('d', 1)", "input()",
        "DBOS.enqueue_workflow_with_options(q, wf)", "DBOS.start_workflow_async(wf)", "DBOS.get_event('w', 'k')",
        "{'name': 'a', 'database_url': 'x', 'admin_port': 1}", "DBOSConfig(name='a', sys_db_name='s')",
    ]
)
# fmt: on
EXPRS = st.recursive(
    st.one_of(ATOMS, KNOWN_CALLS, KNOWN_CALLS),
    lambda inner: st.one_of(
        st.builds("{}.{}".format, inner, ATTRS),
        st.builds(
            _call,
            inner,
            st.lists(
                st.one_of(
                    inner,
                    inner.map("*{}".format),
                    inner.map("**{}".format),
                    st.builds("{}={}".format, KEYWORDS, inner),
                ),
                max_size=3,
            ),
        ),
        st.builds("{}[{}]".format, inner, inner),
        inner.map("(lambda: {})".format),
        inner.map("(await {})".format),
        st.builds("({} == {})".format, inner, inner),
        st.lists(st.tuples(st.one_of(CONFIG_KEYS, st.just("**")), inner), max_size=3).map(_dict),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
    ),
    max_leaves=10,
)
TARGETS = st.sampled_from(
    ["x", "q", "config", "x.y", "x[0]", "a, b", "DBOS.x", "config['database_url']", "self.x", "[a, *b]", "wf"]
)
# fmt: off
DECORATORS = st.one_of(
    EXPRS.map("@{}".format),
    st.sampled_from(
        [
            "@DBOS.workflow()", "@DBOS.workflow", "@DBOS.step()", "@DBOS.step", "@DBOS.step(retries_allowed=True)",
            "@DBOS.transaction()", "@DBOS.scheduled('* * * * *')", "@DBOS.dbos_class()", "@D.workflow()",
            "@dbos.DBOS.workflow()", "@d.DBOS.step()", "@DBOS.workflow()()", "@DBOS.workflow(name=x)",
            "@(lambda f: f)", "@x[0]", "@staticmethod", "@classmethod", "@DBOS.required_roles(['a'])", "@wf",
            "@DBOS.step(**k)",
        ]
    ),
)
# fmt: on
# fmt: off
FUNC_HEADS = st.sampled_from(
    [
        "def wf(x, *a, **k):", "async def wf(self):", "def step():", "async def main():", "def f(x=time.time()):",
        "def lifespan(app):", "def __init__(self, q=Queue('q')):", "async def g(*, y=DBOS.recv()):",
    ]
)
# fmt: on
HEADERS = st.one_of(
    st.sampled_from(["if __name__ == '__main__':", "if '__main__' == __name__:", "try:"]),
    st.builds(
        "{}{}:".format,
        st.sampled_from(["if ", "with ", "async with ", "for i in ", "while ", "async for i in ", "elif "]),
        EXPRS,
    ),
    EXPRS.map("with {} as v:".format),
)


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _flat(groups: list[list[str]]) -> list[str]:
    return [line for group in groups for line in group]


def python_statements(depth: int) -> st.SearchStrategy[list[str]]:
    simple = st.one_of(
        EXPRS.map(lambda e: [e]),
        st.builds(lambda t, e: [f"{t} = {e}"], TARGETS, EXPRS),
        st.builds(lambda t, e: [f"{t}: DBOSConfig = {e}"], TARGETS, EXPRS),
        st.builds(lambda t, e: [f"{t} += {e}"], TARGETS, EXPRS),
        EXPRS.map(lambda e: [f"return {e}"]),
        EXPRS.map(lambda e: [f"yield {e}"]),
        IMPORTS.map(lambda i: [i]),
        st.sampled_from([["global x"], ["nonlocal x"], ["global q, config"], ["pass"], ["return"], ["del x"]]),
    )
    if depth == 0:
        return st.lists(simple, min_size=1, max_size=4).map(_flat)
    body = python_statements(depth - 1)
    compound = st.one_of(
        st.builds(lambda head, lines: [head, *_indent(lines)], HEADERS, body),
        st.builds(
            lambda decs, head, lines: [*decs, head, *_indent(lines)], st.lists(DECORATORS, max_size=3), FUNC_HEADS, body
        ),
        st.builds(lambda dec, head, lines: [dec, head, *_indent(lines)], DECORATORS, FUNC_HEADS, body),
        st.builds(
            lambda decs, lines: [*decs, "class C(Base):", *_indent(lines)], st.lists(DECORATORS, max_size=2), body
        ),
        st.builds(lambda a, b: ["try:", *_indent(a), "except Exception:", *_indent(b)], body, body),
    )
    return st.lists(st.one_of(simple, compound), min_size=1, max_size=5).map(_flat)


_PRELUDE = [
    "from dbos import DBOS, Queue, SetWorkflowID, SetEnqueueOptions, DBOSConfig",
    "import time, random, uuid, datetime, os, threading, asyncio, requests",
]
PYTHON_MODULES = st.builds(
    lambda prelude, imports, lines: "\n".join(prelude + imports + lines) + "\n",
    st.sampled_from([_PRELUDE, _PRELUDE[:1], []]),
    st.lists(IMPORTS, max_size=2),
    python_statements(3),
)

CORPUS = [
    path.read_bytes().decode("utf-8", errors="replace")
    for path in sorted([*(ROOT / "tests" / "fixtures" / "lint").glob("*/*.py"), *(ROOT / "examples").rglob("*.py")])
]


@st.composite
def mutated_corpus(draw: st.DrawFn) -> str:
    """A real DBOS module (lint fixtures, example apps) with lines deleted, copied, moved or re-indented."""
    lines = draw(st.sampled_from(CORPUS)).split("\n")
    for _ in range(draw(st.integers(0, 5))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "dedent", "indent", "expr"]))
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i : i + draw(st.integers(1, 5))]
        elif op == "duplicate":
            lines.insert(j, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "dedent":
            lines[i] = lines[i][4:]
        elif op == "indent":
            lines[i] = "    " + lines[i]
        else:
            lines.insert(i, re.match(r"\s*", lines[i]).group(0) + draw(EXPRS))  # type: ignore[union-attr]
        if not lines:
            lines = [""]
    return "\n".join(lines)


PYTHON_SOURCES = st.one_of(
    PYTHON_MODULES,
    mutated_corpus(),
    st.text(max_size=300),
    SHORT_TEXT,
    st.integers(1, 5000).map(lambda n: "import dbos\nx = " + "-" * n + "1\n"),
    st.integers(1, 3000).map(lambda n: "import dbos\nx = " + "+".join(["a"] * n) + "\n"),
    st.integers(1, 300).map(
        lambda n: (
            "from dbos import DBOS\n"
            + "".join("    " * i + f"def f{i}():\n" for i in range(n))
            + "    " * n
            + "DBOS.sleep(1)\n"
        )
    ),
)

# --- the properties ----------------------------------------------------------------------------------------


@given(text=yaml_texts(), first_line=st.integers(1, 10**6))
@example(text="a: 2001-13-45", first_line=1)  # found: PyYAML raised ValueError building a date
@example(text="a: !!float abc", first_line=1)  # found: ValueError from float()
@example(text="a: !!timestamp yesterday", first_line=1)  # found: AttributeError inside PyYAML
@example(text="a: !!float ''", first_line=1)  # found: IndexError inside PyYAML
@example(text="k: !!map 0", first_line=1)  # found: ValueError in our duplicate-key check
@example(text="\x1f", first_line=1)  # found: ReaderError raised before the try
@example(text="a: " + "1" * 5000, first_line=1)  # found: ValueError, int() over 4300 digits
@example(text=BILLION_LAUGHS, first_line=1)
@example(text="[" * 3000 + "]" * 3000, first_line=1)
def test_load_yaml_returns_data_or_a_problem(text: str, first_line: int, fuzz_cases: Counter[str]) -> None:
    fuzz_cases["load_yaml"] += 1
    with guarded() as writes:
        try:
            _, key_lines = parse.load_yaml(text, "x.yaml", first_line)
        except parse.ParseError as error:
            assert_problem(error.problem)
            assert error.problem.path == "x.yaml"
            assert error.problem.line >= first_line
            assert error.problem.id in {"SKL102", "SKL103", "SKL105"}
        else:
            assert all(isinstance(key, str) and line >= first_line for key, line in key_lines.items())
    assert not writes


def _check_document(doc: Document) -> None:
    last = len(doc.text.split("\n"))
    assert 1 <= doc.body_line <= last + 1
    for block in doc.blocks:
        assert 1 <= block.line <= block.end_line <= last, block
        assert isinstance(block.lang, str) and isinstance(dict(block.settings), dict)
    for heading in doc.headings:
        assert 1 <= heading.line <= last
    for link in doc.links:
        assert 1 <= link.line <= last
    assert doc.body == "\n".join(doc.text.split("\n")[doc.body_line - 1 :])
    assert isinstance(doc.anchors, frozenset)


@given(text=markdown_documents())
@example(text="---\na: 2001-13-45\n---\n# x\n")  # found: the YAML ValueError escaped through parse_markdown
@example(text="---\r\n\ufeffa: 1\r\n---\r\n```python\n\x00")
@example(text="# a\r# b\r[x](y)")  # found: markdown-it counts a bare CR as a line end; lines drifted
@example(text="---\na: 1\n---\nb\u2028c\x0cd\n")  # found: Document.body split at \u2028 and \f
def test_parse_markdown_returns_a_document_or_a_problem(text: str, fuzz_cases: Counter[str]) -> None:
    fuzz_cases["parse_markdown"] += 1
    with guarded() as writes:
        try:
            doc = parse.parse_markdown("x.md", text)
        except parse.ParseError as error:
            assert_problem(error.problem)
            assert error.problem.path == "x.md"
        else:
            _check_document(doc)
    assert not writes


@given(edits=skill_edits())
@example(edits=[("write", "references/alpha-one.md", "---\ntitle: x\n---\n[x](" + "a" * 300 + ")\n")])
@example(edits=[("manifest", "askill.yaml", ["a**"])])
@example(edits=[("symlink", "references/loop.md", "loop.md")])
def test_validator_reports_problems_for_generated_skill_folders(
    edits: list[tuple[str, str, Any]], fuzz_cases: Counter[str]
) -> None:
    fuzz_cases["validate"] += 1
    with tempfile.TemporaryDirectory(prefix="skill-fuzz-") as tmp:
        root = Path(tmp) / "dbos-python"
        shutil.copytree(VALID_SKILL, root)
        (Path(tmp) / "outside.md").write_text("# outside\n")
        apply_edits(root, edits)
        before = snapshot(Path(tmp))
        with guarded() as writes:
            problems = validate.validate(parse.load_skill(root))
            code, out, _ = run_main(cli.main, ["validate", str(root), "--json"])
        assert not writes
        assert snapshot(Path(tmp)) == before
    newline_in_names = any("\n" in rel for _, rel, _ in edits)
    for problem in problems:
        assert_problem(problem, one_line=not newline_in_names)
    assert code == (1 if any(p.severity == "error" for p in problems) else 0)  # notes never fail
    assert [Problem(**item) for item in json.loads(out)] == problems


@given(source=PYTHON_SOURCES)
@example(source="import dbos\nx = " + "-" * 3000 + "1\n")  # found: RecursionError from ast.parse
@example(source="from dbos import DBOS\n@DBOS.workflow()()\ndef wf():\n    DBOS.sleep(1)\n")
def test_lint_source_returns_findings(source: str, fuzz_cases: Counter[str]) -> None:
    fuzz_cases["lint_source"] += 1
    with guarded() as writes:
        findings = dbos_lint.lint_source(source, "gen.py")
        rendered = [str(finding) for finding in findings]
    assert not writes
    assert findings == sorted(findings)
    for finding, line in zip(findings, rendered, strict=True):
        assert finding.id in dbos_lint.RULES, finding
        assert finding.path == "gen.py"
        assert finding.line >= 1 and finding.col >= 1, finding
        assert line.startswith(f"gen.py:{finding.line}:{finding.col}: {finding.id} ")
        assert "\n" not in line


BYTES = st.one_of(
    st.binary(max_size=3000),
    PYTHON_MODULES.map(str.encode),
    st.builds(
        bytes.__add__,
        st.sampled_from(
            [
                b"# -*- coding: latin-1 -*-\n",
                b"# coding: bogus\n",
                b"# coding: utf-16\n",
                b"\xef\xbb\xbf",
                b"\xef\xbb\xbf# coding: latin-1\n",
                b"\xff\xfe",
                b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n",
                b"import dbos\n",
                b"\n\n# coding: utf-8\n",
            ]
        ),
        st.binary(max_size=500),
    ),
)


@given(files=st.lists(st.tuples(FILE_NAME, BYTES), min_size=1, max_size=4), as_json=st.booleans())
@example(files=[("x", b"import dbos\nx = " + b"-" * 3000 + b"1\n")], as_json=False)
@example(files=[("x", b"# coding: utf-16\nimport dbos\n")], as_json=True)
def test_linter_cli_on_random_files(files: list[tuple[str, bytes]], as_json: bool, fuzz_cases: Counter[str]) -> None:
    fuzz_cases["dbos_lint CLI"] += 1
    with tempfile.TemporaryDirectory(prefix="lint-fuzz-") as tmp:
        folder = Path(tmp) / "src"
        folder.mkdir()
        for name, data in files:
            with contextlib.suppress(OSError):
                (folder / f"{name}.py").write_bytes(data)
        before = snapshot(Path(tmp))
        with guarded() as writes:
            code, out, err = run_main(dbos_lint.main, [*(["--json"] if as_json else []), str(folder)])
        assert not writes
        assert snapshot(Path(tmp)) == before
    assert code in (0, 1), err
    if as_json:
        found = json.loads(out)
        assert code == (1 if found else 0)
        assert all(item["id"] in dbos_lint.RULES for item in found)
    else:
        assert code == (1 if out else 0)
