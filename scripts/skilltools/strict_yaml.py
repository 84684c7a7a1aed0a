"""Strict YAML for frontmatter and askill.yaml: no duplicate keys, no aliases, every error a `Problem`."""

from __future__ import annotations

from typing import Any

import yaml

from .errors import SkillToolsError
from .model import Problem
from .rules import problem


class ParseError(SkillToolsError):
    """A file could not be read or parsed; carries the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


# --- YAML ------------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that rejects duplicate keys and anchors/aliases (frontmatter never needs them, and
    aliases are how a small document expands into a huge one). With `duplicates` set, a duplicate key is
    recorded there (the last value wins) instead of stopping the parse, so it hides nothing else."""

    duplicates: list[tuple[int, str]] | None = None
    first_line = 1
    """File line of the YAML text's first line, so that messages name file lines."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(None, None, "YAML aliases are not allowed here", event.start_mark)
        return super().compose_node(parent, index)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # PyYAML lets some bad scalars escape as plain Python errors (found by tests/test_fuzz.py):
        # `2001-13-45`, `!!float abc`, `!!float ''`, `!!timestamp x`, an int over 4300 digits. Report them here.
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError, LookupError):
            value = str(node.value)
            shown = value if len(value) <= 40 else value[:40] + "..."
            kind = str(node.tag).rsplit(":", 1)[-1]
            raise yaml.MarkedYAMLError(None, None, f"{shown!r} is not a valid {kind}", node.start_mark) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):  # e.g. `!!map 0`; PyYAML reports it (found by fuzzing)
            return super().construct_mapping(node, deep=deep)
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.MarkedYAMLError(
                    None, None, "mapping keys must be plain scalars", key_node.start_mark
                ) from None
            if key in seen:
                message = f"duplicate key {key!r} (first on line {seen[key]})"
                if self.duplicates is None:
                    raise yaml.MarkedYAMLError(None, None, message, key_node.start_mark)
                self.duplicates.append((key_node.start_mark.line, message))
            seen[key] = self.first_line + key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def load_yaml(
    text: str, path: str, first_line: int = 1, problems: list[Problem] | None = None
) -> tuple[Any, dict[str, int]]:
    """Parse YAML strictly. Returns the data and the line of each top-level key; raises ParseError.

    With a `problems` list, duplicate keys are appended to it (SKL103) and parsing goes on."""
    try:
        loader = _StrictLoader(text)
    except yaml.reader.ReaderError as exc:  # a control character YAML refuses (found by fuzzing)
        line = first_line + text.count("\n", 0, exc.position)
        detail = f"YAML: character {chr(exc.character)!r} is not allowed"
        raise ParseError(problem("SKL102", path, line, detail=detail)) from None
    loader.first_line = first_line
    if problems is not None:
        loader.duplicates = []
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        what = exc.problem or "invalid YAML"
        kind = "SKL103" if "duplicate key" in what else "SKL105" if "alias" in what else "SKL102"
        raise ParseError(problem(kind, path, line, detail=f"YAML: {what}")) from None
    except yaml.YAMLError as exc:
        raise ParseError(problem("SKL102", path, first_line, detail=f"YAML: {exc}")) from None
    except RecursionError:
        raise ParseError(problem("SKL102", path, first_line, detail="YAML is nested too deeply")) from None
    finally:
        loader.dispose()
    if problems is not None:
        problems += [problem("SKL103", path, first_line + n, detail=f"YAML: {m}") for n, m in loader.duplicates or []]
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key_lines[str(key_node.value)] = first_line + key_node.start_mark.line
    return data, key_lines


def split_frontmatter(text: str, path: str) -> tuple[str | None, int]:
    """Return (frontmatter YAML, 1-based line where the body starts). No frontmatter gives (None, 1)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, 1
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "\n".join(lines[1:index]), index + 2
    raise ParseError(
        problem("SKL101", path, 1, detail="frontmatter opened with '---' is never closed; add a '---' line")
    )
