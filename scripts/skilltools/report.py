"""Example-check reports: terminal progress, JSON and JUnit XML."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TextIO

from .examples import Outcome


class Progress:
    """`[N/M] file` on one rewritten line when stderr is a terminal; silent otherwise (CI logs stay clean)."""

    def __init__(self, stream: TextIO = sys.stderr, enabled: bool | None = None) -> None:
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled

    def __call__(self, done: int, total: int, outcome: Outcome) -> None:
        if not self.enabled:
            return
        mark = "ok" if outcome.passed else "FAIL"
        self.stream.write(f"\r\033[K[{done}/{total}] {mark} {outcome.id}")
        if done == total:
            self.stream.write("\r\033[K")
        self.stream.flush()


def to_json(outcomes: Sequence[Outcome]) -> str:
    return json.dumps([o.as_dict() for o in outcomes], indent=2)


def to_junit(outcomes: Sequence[Outcome]) -> bytes:
    suite = ET.Element(
        "testsuite",
        name="skill-examples",
        tests=str(len(outcomes)),
        failures=str(sum(not o.passed for o in outcomes)),
        time=f"{sum(o.duration for o in outcomes):.3f}",
    )
    for outcome in outcomes:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=outcome.program.path,
            name=f"{outcome.program.line}[{outcome.database}]",
            time=f"{outcome.duration:.3f}",
        )
        if not outcome.passed:
            failure = ET.SubElement(case, "failure", message=outcome.headline)
            failure.text = outcome.render()
    return bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))
