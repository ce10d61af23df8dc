"""Go versions: go.mod's ``go``/``toolchain`` lines, and the range of Go releases a setup-go version spec admits.

Go orders ``1.21`` (a language version) < ``1.21rc1`` < ``1.21.0`` < ``1.21.1``. actions/setup-go resolves a spec
to the newest release it admits: ``1.24`` and ``1.24.x`` mean any 1.24.x, ``^1.24`` any 1.x from 1.24.0, ``~1.24``
any 1.24.x, ``>=1.22`` anything from 1.22.0, ``1.24.1`` exactly that one, ``stable`` the newest release and
``oldstable`` the newest of the minor before it. Offline the newest release is unknown, so a spec is modelled as a
range: what setup-go installs is older than a version *v* exactly when every release the range admits is older
than *v* (if it admits one at or above *v*, the newest admitted one is at or above *v*, since *v* exists).
``stable``/``oldstable`` are bounded below by :data:`KNOWN_STABLE`, a release known to exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["KNOWN_STABLE", "GoVersion", "VersionRange", "parse_go_version", "parse_setup_go_spec"]

_VERSION = re.compile(r"^(?:go)?(?P<major>\d{1,4})(?:\.(?P<minor>\d{1,4}))?(?:\.(?P<patch>\d{1,4}))?"
                      r"(?:(?P<stage>rc|beta)(?P<number>\d{1,4}))?$")
_SEMVER_PRE = re.compile(r"^(?P<base>\d{1,4}\.\d{1,4}\.\d{1,4})-(?P<stage>rc|beta)\.(?P<number>\d{1,4})$")
_STAGES = {"beta": 1, "rc": 2}
_RELEASE = 3
MAX_SPEC_CHARS = 100


@dataclass(frozen=True, order=True)
class GoVersion:
    """A Go version in Go's own order. ``stage`` is 0 for a bare language version (``1.21``), 1 beta, 2 rc, 3 a
    release; ``number`` is the beta/rc number, or the patch of a release."""

    major: int
    minor: int
    stage: int
    number: int
    text: str = ""

    def __str__(self) -> str:
        return self.text or f"{self.major}.{self.minor}.{self.number}"

    @property
    def key(self) -> tuple[int, int, int, int]:
        return (self.major, self.minor, self.stage, self.number)

    def at_least(self, other: GoVersion) -> bool:
        return self.key >= other.key


def parse_go_version(text: str, *, legacy_release: bool = False) -> GoVersion | None:
    """``1.24``, ``1.24.0``, ``1.21rc1``, ``go1.22.3`` (None when it is none of these).

    ``legacy_release``: before Go 1.21, ``1.20`` named the release 1.20.0 (setup-go and old toolchains read it so).
    """
    value = text.strip()
    if match := _SEMVER_PRE.match(value):  # setup-go's spelling of a pre-release: 1.21.0-rc.1
        major, minor, _ = (int(p) for p in match["base"].split("."))
        return GoVersion(major, minor, _STAGES[match["stage"]], int(match["number"]), value)
    match = _VERSION.match(value)
    if match is None or match["minor"] is None:
        return None
    major, minor = int(match["major"]), int(match["minor"])
    if match["stage"]:
        return GoVersion(major, minor, _STAGES[match["stage"]], int(match["number"]), value)
    if match["patch"] is not None:
        return GoVersion(major, minor, _RELEASE, int(match["patch"]), value)
    if legacy_release:
        return GoVersion(major, minor, _RELEASE, 0, value)
    return GoVersion(major, minor, 0, 0, value)


def _release(major: int, minor: int, patch: int = 0) -> GoVersion:
    return GoVersion(major, minor, _RELEASE, patch, f"{major}.{minor}.{patch}")


KNOWN_STABLE = _release(1, 25)
"""A release known to exist (August 2025): ``stable`` is at least this, ``oldstable`` at least the minor before."""


@dataclass(frozen=True)
class VersionRange:
    """Releases from ``low`` (inclusive) up to ``high`` (exclusive; None: no upper bound)."""

    spec: str
    low: GoVersion
    high: GoVersion | None
    top_unknown: bool = False
    """``oldstable``: the newest release of the minor before the newest, whose top only the day's releases tell."""

    def admits_at_least(self, wanted: GoVersion) -> bool | None:
        """Whether setup-go installs ``wanted`` or newer: some admitted version is at or above it (None: unknown
        offline, for ``oldstable`` above its known floor)."""
        if wanted.stage == 0:  # a language version: its first release is the least that satisfies it
            wanted = _release(wanted.major, wanted.minor)
        if self.high is not None and self.high.key <= self.low.key:
            return False  # an empty range: setup-go finds nothing to install
        if self.top_unknown and wanted.key > self.low.key:
            return None
        return self.high is None or self.high.key > wanted.key

    def describe(self) -> str:
        """What the range resolves to, for a message."""
        if self.high is None:
            return f"the newest release from {self.low}"
        if self.high.text == f"{self.low}+":
            return str(self.low)
        if self.low.stage == _RELEASE and self.low.number == 0 and self.high.key == _next_minor(self.low).key:
            return f"the newest {self.low.major}.{self.low.minor}.x release"
        return f"the newest release below {self.high}"


def _next_minor(version: GoVersion) -> GoVersion:
    return _release(version.major, version.minor + 1)


def _successor(version: GoVersion) -> GoVersion:
    """The first version after ``version`` (an exclusive upper bound that admits ``version`` itself)."""
    return GoVersion(version.major, version.minor, version.stage, version.number + 1, f"{version}+")


def _base(text: str) -> GoVersion | None:
    version = parse_go_version(text.removesuffix(".x").removesuffix(".*"), legacy_release=True)
    if version is None or (text.endswith((".x", ".*")) and text.count(".") != 2):
        return None
    return version


def _comparator(token: str) -> tuple[GoVersion, GoVersion | None] | None:
    """One semver comparator (``>=1.22``, ``<1.24``, ``^1.24``, ``~1.24``, ``1.24.x``, ``1.24``, ``1.24.1``; a
    major after an operator, ``<2`` or ``^1``, is the x-range ``2.x.x`` or ``1.x.x``; semver allows a ``v`` before
    the version)."""
    op = next((op for op in (">=", "<=", ">", "<", "^", "~", "=") if token.startswith(op)), "")
    rest = token[len(op):].removeprefix("v")
    if op and re.fullmatch(r"\d{1,4}", rest):
        low, after = _release(int(rest), 0), _release(int(rest) + 1, 0)
        return {">=": (low, None), ">": (after, None), "<": (_FLOOR, low), "<=": (_FLOOR, after)}.get(op, (low, after))
    token = op + rest
    for op in (">=", "<=", ">", "<", "^", "~", "="):
        if token.startswith(op):
            base = _base(token[len(op):])
            if base is None:
                return None
            wild = token.endswith((".x", ".*")) or token[len(op):].count(".") == 1
            after = _next_minor(base) if wild else _successor(base)
            return {
                ">=": (base, None), ">": (after, None), "<": (_FLOOR, base), "<=": (_FLOOR, after),
                "^": (base, _release(base.major + 1, 0)), "~": (base, _next_minor(base)), "=": (base, after),
            }[op]
    if match := re.fullmatch(r"(\d{1,4})\.[x*]", token):  # 1.x: any release of that major version
        return _release(int(match[1]), 0), _release(int(match[1]) + 1, 0)
    wild = token.endswith((".x", ".*"))
    version = _base(token) if wild else parse_go_version(token)
    if version is None:
        return None
    if wild or version.stage == 0:  # "1.24" / "1.24.x": any 1.24.x release, as a semver x-range
        low = _release(version.major, version.minor)
        return low, _next_minor(low)
    return version, _successor(version)


_FLOOR = GoVersion(0, 0, 0, 0, "0")


def parse_setup_go_spec(spec: str) -> VersionRange | None:
    """The range of releases ``spec`` admits, as setup-go reads it; None when setup-go would not understand it.

    Comparators separated by spaces must all hold (``>=1.22 <1.24``); ``A - B`` is ``>=A <=B``; of sets joined by
    ``||`` setup-go installs the newest release any admits, so the set reaching highest stands for the spec.
    """
    text = spec.strip()
    if not text or len(text) > MAX_SPEC_CHARS:
        return None
    lowered = text.lower()
    if lowered == "stable":
        return VersionRange(text, KNOWN_STABLE, None)
    if lowered == "oldstable":
        return VersionRange(text, _release(KNOWN_STABLE.major, KNOWN_STABLE.minor - 1), None, top_unknown=True)
    if "||" in text:
        if re.search(r"(?:^|\|\|)\s*go", lowered):
            return None  # `go1.24` is no semver version: inside a range setup-go's semver refuses it
        ranges = [_comparator_set(text, part) for part in text.split("||")]
        if any(found is None for found in ranges):
            return None
        return max((found for found in ranges if found is not None),
                   key=lambda found: (found.high is None, found.high.key if found.high else ()))
    return _comparator_set(text, text)


def _comparator_set(spec: str, text: str) -> VersionRange | None:
    """One set of comparators that must all hold (``>=1.22 <1.24``, ``1.22 - 1.23``)."""
    text = re.sub(r"^\s*(\S+)\s+-\s+(\S+)\s*$", r">=\1 <=\2", text)
    low, high = _FLOOR, None
    if not text.strip():
        return None
    for token in re.sub(r"(>=|<=|[<>=^~])\s+", r"\1", text).split():
        bounds = _comparator(token)
        if bounds is None:
            return None
        low = max(low, bounds[0], key=lambda v: v.key)
        if bounds[1] is not None:
            high = bounds[1] if high is None else min(high, bounds[1], key=lambda v: v.key)
    return VersionRange(spec.strip(), low, high)
