"""Strict YAML for frontmatter and askill.yaml: no duplicate keys, no aliases, every error a `Problem`."""

from __future__ import annotations

from typing import Any

import yaml

from .errors import SkillToolsError
from .model import Problem


class ParseError(SkillToolsError):
    """A file could not be read or parsed; carries the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


# --- YAML ------------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that rejects duplicate keys and anchors/aliases (frontmatter never needs them, and
    aliases are how a small document expands into a huge one)."""

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
                raise yaml.MarkedYAMLError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key]})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, path: str, first_line: int = 1) -> tuple[Any, dict[str, int]]:
    """Parse YAML strictly. Returns the data and the line of each top-level key; raises ParseError."""
    try:
        loader = _StrictLoader(text)
    except yaml.reader.ReaderError as exc:  # a control character YAML refuses (found by fuzzing)
        line = first_line + text.count("\n", 0, exc.position)
        message = f"YAML: character {chr(exc.character)!r} is not allowed"
        raise ParseError(Problem(path, line, "SKL102", message)) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = exc.problem or "invalid YAML"
        kind = "SKL103" if "duplicate key" in problem else "SKL105" if "alias" in problem else "SKL102"
        raise ParseError(Problem(path, line, kind, f"YAML: {problem}")) from None
    except yaml.YAMLError as exc:
        raise ParseError(Problem(path, first_line, "SKL102", f"YAML: {exc}")) from None
    except RecursionError:
        raise ParseError(Problem(path, first_line, "SKL102", "YAML is nested too deeply")) from None
    finally:
        loader.dispose()
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
    raise ParseError(Problem(path, 1, "SKL101", "frontmatter opened with '---' is never closed; add a '---' line"))
