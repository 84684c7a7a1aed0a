"""What a failed run shows: the tail of its output, with temp-file paths turned into Markdown lines.

Linear in the output's size whatever it holds: every pattern starts with a literal and is tried line by
line, so a 64 KiB line without spaces costs no more than 64 KiB of ordinary text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

TAIL_LINES = 40
LINE_WIDTH = 300
"""Characters shown of one output line; the rest is counted."""
RUNNER_FRAME = re.compile(r'  File "[^"]*[/\\]runner[/\\][a-z_]+\.py", line \d+')
FROZEN_FRAME = '  File "<frozen runpy>"'


def map_output(text: str, script: str, md_line: Callable[[int], int], source: str, dropped: int = 0) -> str:
    """The last TAIL_LINES lines of `text`, runner frames removed, `script` locations mapped to `source`.

    `script` is the absolute path of the block's file; tracebacks spell it whole, pytest spells its name.
    """
    name = script.rsplit("/", 1)[-1]
    location = re.compile(
        rf'(?:File "{re.escape(script)}", line (\d+))|(?:(?<![\w./-]){re.escape(name)}:(\d+))'
        rf"|(?:{re.escape(script)}:(\d+))"
    )

    def remap(match: re.Match[str]) -> str:
        frame, short, whole = match.groups()
        if frame is not None:
            return f'File "{source}", line {md_line(int(frame))}'
        return f"{source}:{md_line(int(short or whole))}"

    kept: list[str] = []
    skip_source_line = False
    for line in text.rstrip().split("\n"):
        if skip_source_line:
            skip_source_line = False
            if line.startswith("    ") and not line.startswith("    File"):
                continue
        if line.startswith(FROZEN_FRAME):
            continue
        if RUNNER_FRAME.match(line):
            skip_source_line = True
            continue
        kept.append(line)
    lines = [location.sub(remap, _clip(line)) for line in kept[-TAIL_LINES:]]
    if dropped:
        lines.insert(0, f"[{dropped} earlier bytes of output not kept]")
    return "\n".join(lines)


def _clip(line: str) -> str:
    if len(line) <= LINE_WIDTH:
        return line
    return f"{line[:LINE_WIDTH]} [... {len(line) - LINE_WIDTH} more characters]"
