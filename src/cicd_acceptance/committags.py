"""Which image tags carry the commit: the plan asks for "the commit SHA" as a tag.

A tag carries commit ``sha`` when it holds at least :data:`MIN_HEX` of the commit's leading hex digits as a run of
its own (no other hex digit touching it), whatever stands before or after: ``sha-0123abc`` (metadata-action's
``type=sha``), ``0123abc`` (``prefix=``), ``sha-0123abcdef01`` (``DOCKER_METADATA_SHORT_SHA_LENGTH=12``), the
whole SHA (``format=long``, ``value=${{ github.sha }}``), ``git-0123abc-amd64`` (``prefix=``/``suffix=``). Seven is
git's own shortest abbreviation; fewer digits name no commit reliably.

The static rule accepts such a tag, and the live check looks for the same: the spelling the build workflow
computes (a :class:`CommitTagForm`, learnt from the publication plan and applied to the pinned commit), then the
plan's ``sha-`` prefix and a bare SHA, each short (7) and long. The live check only looks tags up (HEAD), it never
lists them, so a spelling nobody can compute offline is found only when it is one of those defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["MIN_HEX", "CommitTagForm", "commit_tag_candidates", "commit_tag_form"]

MIN_HEX = 7
MAX_TAG = 128  # the OCI tag grammar's limit: a longer text is no tag at all
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class CommitTagForm:
    """How a tag spells a commit: ``prefix``, the first ``length`` hex digits of the commit, ``suffix``."""

    prefix: str
    length: int
    suffix: str

    def tag(self, sha: str) -> str:
        """This spelling of commit ``sha``."""
        return f"{self.prefix}{sha[:self.length]}{self.suffix}"

    def __str__(self) -> str:
        return f"{self.prefix}<sha:{self.length}>{self.suffix}"


def commit_tag_form(tag: str, sha: str) -> CommitTagForm | None:
    """How ``tag`` spells commit ``sha`` (its full lowercase SHA), or None when it does not carry it."""
    if len(tag) > MAX_TAG or len(sha) < MIN_HEX:
        return None
    head = sha[:MIN_HEX]
    start = tag.find(head)
    while start >= 0:
        end = start + MIN_HEX
        while end < len(tag) and end - start < len(sha) and tag[end] == sha[end - start]:
            end += 1
        if (start == 0 or tag[start - 1] not in _HEX) and (end == len(tag) or tag[end] not in _HEX):
            return CommitTagForm(tag[:start], end - start, tag[end:])
        start = tag.find(head, start + 1)
    return None


def commit_tag_candidates(prefix: str, sha: str, forms: Iterable[CommitTagForm] = ()) -> tuple[str, ...]:
    """The spellings of commit ``sha`` to look for, in order: ``forms`` (what the workflow computes), then the
    plan's ``prefix`` with the short and the long SHA, then the bare short and long SHA."""
    spellings = [form.tag(sha) for form in forms]
    spellings += [f"{prefix}{sha[:MIN_HEX]}", f"{prefix}{sha}", sha[:MIN_HEX], sha]
    return tuple(dict.fromkeys(spellings))
