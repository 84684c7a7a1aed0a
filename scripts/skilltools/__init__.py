"""Maintainer tooling for the dbos-python skill: one model, many checks."""

from .model import CodeBlock, Document, Link, Problem, Program, Reference, Section, Skill
from .parse import load_skill

__all__ = ["CodeBlock", "Document", "Link", "Problem", "Program", "Reference", "Section", "Skill", "load_skill"]
