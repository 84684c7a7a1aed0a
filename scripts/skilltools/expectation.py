"""`expect=` of an Incorrect example: the exception type it must raise, optionally pinned by a message.

    expect=DBOSException                                  exactly that type (class name or dotted path)
    expect=DBOSException:"System database accessed"       ... and its message contains that text

The message pins *why* the example fails, so a later edit that breaks it some other way (a typo raising the
same type) does not pass unnoticed. The text is matched as a plain, case-sensitive substring of `str(exc)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EXPECT = re.compile(r'^(?P<type>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::"(?P<message>[^"]+)")?$', re.ASCII)
SYNTAX = 'an exception name, optionally with a message: Name or Name:"part of the message"'


@dataclass(frozen=True)
class Expectation:
    type: str
    """Class name (`DBOSException`) or dotted path (`dbos._error.DBOSException`)."""
    message: str | None = None
    """Text the exception's message must contain, or None for any message."""

    @classmethod
    def parse(cls, value: str) -> Expectation | None:
        """The expectation an `expect=` value spells, or None when it is malformed."""
        match = EXPECT.match(value)
        if match is None:
            return None
        return cls(match["type"], match["message"])

    @property
    def short_type(self) -> str:
        """The class name without its module path."""
        return self.type.rpartition(".")[2]

    def accepts_message(self, message: str) -> bool:
        return self.message is None or self.message in message

    def __str__(self) -> str:
        return self.type if self.message is None else f'{self.type}:"{self.message}"'
