"""Output handling stays linear: huge lines without spaces (which made a regex quadratic) are cheap."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from skilltools.output import TAIL_LINES, map_output
from skilltools.runner.supervisor import Tail

SCRIPT = "/tmp/skilltools-examples-x/run-1/work/block.py"


def md_line(line: int) -> int:
    return line + 10


@contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    """Fail instead of hanging (linear work here takes milliseconds; the old regex took minutes)."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds}s: not linear")

    previous: Callable[..., object] | int | None = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_maps_tracebacks_and_pytest_locations_and_drops_runner_frames() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/x/skilltools/runner/bootstrap.py", line 80, in bootstrap\n'
        '    runpy.run_path(script, run_name="__main__")\n'
        '  File "<frozen runpy>", line 291, in run_path\n'
        f'  File "{SCRIPT}", line 2, in <module>\n'
        "    boom()\n"
        "block.py:3: AssertionError\n"
        f"{SCRIPT}:4: warning\n"
        "/elsewhere/block.py:5 stays\n"
    )
    shown = map_output(text, SCRIPT, md_line, "references/a-b.md")
    assert shown.splitlines() == [
        "Traceback (most recent call last):",
        '  File "references/a-b.md", line 12, in <module>',
        "    boom()",
        "references/a-b.md:13: AssertionError",
        "references/a-b.md:14: warning",
        "/elsewhere/block.py:5 stays",
    ]


def test_huge_lines_without_spaces_are_linear_and_clipped() -> None:
    line = "/a" * 2_000_000 + "block.py:1"
    with hang_guard(10):
        shown = map_output(line + "\n" + '  File "' + "x" * 2_000_000 + "\n", SCRIPT, md_line, "references/a-b.md")
    first, second = shown.splitlines()
    assert first.endswith("[... 3999710 more characters]") and second.endswith("more characters]")


def test_only_the_tail_is_shown_and_drops_are_announced() -> None:
    text = "\n".join(f"line {n}" for n in range(1000))
    shown = map_output(text, SCRIPT, md_line, "references/a-b.md", dropped=123)
    assert shown.splitlines()[0] == "[123 earlier bytes of output not kept]"
    assert shown.splitlines()[1:] == [f"line {n}" for n in range(1000 - TAIL_LINES, 1000)]


def test_tail_keeps_the_last_bytes_and_counts_the_rest() -> None:
    tail = Tail(10)
    with hang_guard(10):
        for _ in range(1000):
            tail.add(b"0123456789" * 100)
    tail.add(b"abc")
    assert (bytes(tail.data), tail.dropped) == (b"3456789abc", 1_000_000 + 3 - 10)
