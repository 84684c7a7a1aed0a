"""API coverage and drift: which parts of the installed dbos the skill teaches, and which names it uses that
dbos does not have.

- dbos_api.py: what the installed dbos offers (introspection; imports dbos only when asked).
- program_uses.py: the dbos names one python program uses (an AST scanner).
- skill_uses.py: every use in the skill, programs and prose (needs only the model).
- exclusions.py: coverage-exclusions.yaml and its checks.
- tally.py: statuses per item, drift problems and the baseline.
- render.py: the table, the JSON and docs/coverage.md.
"""

from __future__ import annotations

from .exclusions import EXCLUSIONS_FILE, Exclusions, load_exclusions
from .tally import (
    BASELINE_FILE,
    REPORT_FILE,
    CategoryCoverage,
    Coverage,
    ItemCoverage,
    baseline_text,
    check_baseline,
    compute,
    drift,
    find_uses,
)

__all__ = [
    "BASELINE_FILE",
    "EXCLUSIONS_FILE",
    "REPORT_FILE",
    "CategoryCoverage",
    "Coverage",
    "Exclusions",
    "ItemCoverage",
    "baseline_text",
    "check_baseline",
    "compute",
    "drift",
    "find_uses",
    "load_exclusions",
]
