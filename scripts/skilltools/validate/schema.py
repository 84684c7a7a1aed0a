"""JSON Schema checks that point each error at its key's line."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from ..model import Problem
from ..rules import problem


@cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("skilltools").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def check_schema(
    data: Any, schema_name: str, path: str, key_lines: Mapping[str, int], default_line: int, rule_id: str = "SKL104"
) -> list[Problem]:
    """Validate data against one of our JSON Schemas (schemas/<name>.schema.json)."""
    validator = jsonschema.Draft202012Validator(load_schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        location = ".".join(str(part) for part in error.absolute_path)
        top = str(error.absolute_path[0]) if error.absolute_path else None
        if top is None and error.validator in ("additionalProperties", "required"):
            extra = re.findall(r"'([^']+)'", error.message)
            top = extra[0] if extra and extra[0] in key_lines else None
        line = key_lines.get(top, default_line) if top else default_line
        where = f"{location}: " if location else ""
        problems.append(problem(rule_id, path, line, where=where, detail=error.message))
    return problems
