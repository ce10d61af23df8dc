"""Versions as docker/metadata-action reads them: ``type=semver`` (node-semver) and ``type=pep440``.

``semver.valid`` is strict (``v1.2.3`` and ``1.2.3-rc.1+build.5`` are valid, ``1.2`` and ``01.2.3`` are not); the
pattern's fields come from the parsed version: ``{{raw}}`` (the value as given), ``{{version}}`` (without build
metadata), ``{{major}}``, ``{{minor}}``, ``{{patch}}``, ``{{prerelease}}``, ``{{build}}``. A pre-release only ever
renders as ``{{version}}`` (or ``{{raw}}`` when the pattern is exactly that), and only a final release makes
``latest=auto`` add ``latest``. PEP 440 uses the ``packaging`` library, whose normal form is the one the action's
``pep440.clean`` gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

__all__ = ["Pep440", "SemVer", "parse_pep440", "parse_semver", "semver_tag"]

_NUM = r"0|[1-9]\d*"
_PRE_ID = r"(?:\d*[a-zA-Z-][a-zA-Z0-9-]*|" + _NUM + r")"
_BUILD_ID = r"[a-zA-Z0-9-]+"
_STRICT = re.compile(
    rf"v?(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_PRE_ID}(?:\.{_PRE_ID})*))?(?:\+(?P<build>{_BUILD_ID}(?:\.{_BUILD_ID})*))?",
    re.ASCII,
)
_MAX_LENGTH = 256
_MAX_SAFE_INTEGER = 2**53 - 1
_FIELD = re.compile(r"\{\{\s*(raw|version|major|minor|patch)\s*\}\}")


@dataclass(frozen=True)
class SemVer:
    """A version node-semver accepts; ``fields()`` is what its Handlebars patterns see."""

    raw: str
    major: int
    minor: int
    patch: int
    prerelease: tuple[str | int, ...]
    build: tuple[str, ...]

    @property
    def version(self) -> str:
        pre = "-" + ".".join(str(part) for part in self.prerelease) if self.prerelease else ""
        return f"{self.major}.{self.minor}.{self.patch}{pre}"

    def fields(self) -> dict[str, Any]:
        return {"raw": self.raw, "version": self.version, "major": self.major, "minor": self.minor,
                "patch": self.patch, "prerelease": list(self.prerelease), "build": list(self.build),
                "loose": True, "options": {"loose": True}, "includePrerelease": False}


def parse_semver(text: str) -> SemVer | None:
    """``semver.valid(text)`` then ``semver.parse(text)``; None when node-semver calls it invalid."""
    if len(text) > _MAX_LENGTH:
        return None
    found = _STRICT.fullmatch(text.strip())
    if found is None:
        return None
    numbers = [int(found[name]) for name in ("major", "minor", "patch")]
    if any(number > _MAX_SAFE_INTEGER for number in numbers):
        return None
    pre: list[str | int] = []
    for part in (found["pre"] or "").split(".") if found["pre"] else []:
        pre.append(int(part) if part.isdigit() and int(part) <= _MAX_SAFE_INTEGER else part)
    build = tuple(found["build"].split(".")) if found["build"] else ()
    return SemVer(text, numbers[0], numbers[1], numbers[2], tuple(pre), build)


@dataclass(frozen=True)
class Pep440:
    """A PEP 440 version, with what the action's ``pep440`` helpers return for it."""

    raw: str
    parsed: Version

    @property
    def is_final(self) -> bool:
        return not (self.parsed.is_prerelease or self.parsed.is_postrelease or self.parsed.is_devrelease)

    @property
    def clean(self) -> str:
        # The action's pep440 library writes local segments joined by "," (packaging writes "."): follow it.
        text = str(self.parsed)
        public, plus, local = text.partition("+")
        return public + plus + local.replace(".", ",")

    def part(self, index: int) -> int:
        release = self.parsed.release
        return release[index] if index < len(release) else 0

    def fields(self) -> dict[str, Any]:
        return {"raw": self.raw, "version": self.clean, "major": self.part(0), "minor": self.part(1),
                "patch": self.part(2)}


def parse_pep440(text: str) -> Pep440 | None:
    if len(text) > _MAX_LENGTH or text != text.strip():  # the action's library does not strip whitespace
        return None
    try:
        return Pep440(text, Version(text))
    except InvalidVersion:
        return None


def semver_tag(tag: str, pattern: str) -> tuple[str, bool] | None:
    """``("1.2", True)`` for ``v1.2.3`` and ``{{major}}.{{minor}}``; ``None`` when ``tag`` is not semver.

    Kept for callers of the first version; :mod:`.metadata` renders patterns with full Handlebars.
    """
    version = parse_semver(tag)
    if version is None:
        return None
    fields = {key: str(value) for key, value in version.fields().items() if key in ("raw", "version", "major",
                                                                                     "minor", "patch")}
    pattern = pattern or "{{version}}"
    if version.prerelease and not (_FIELD.fullmatch(pattern.strip()) and "raw" in pattern):
        pattern = "{{version}}"
    return _FIELD.sub(lambda found: fields[found.group(1)], pattern), not version.prerelease
