"""The static checks: one small rule per module, each reporting :class:`Finding` records.

A rule module defines ``RULE = Rule(id, description, check)``: a kebab-case id, the one-line Gherkin phrase that
states it, and ``check(ctx) -> list[Finding]``. :mod:`cicd_acceptance.criteria` groups the rules into criteria.
A rule imports no other rule: what rules share lives in ``common`` (and ``context``, ``finding``, ``commands``,
``undecided``).
"""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected, format_findings, sort_findings

__all__ = ["CheckContext", "Finding", "Rule", "expected", "format_findings", "sort_findings"]
