"""The one base class of every error the tools report as a single `error: ...` line (never a traceback)."""

from __future__ import annotations


class SkillToolsError(Exception):
    """Something the user can fix stops the command; the message says what and how."""
