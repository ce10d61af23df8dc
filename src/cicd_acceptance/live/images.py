"""Proving that a service image was published for the pinned commit: one fact per check, each with what we saw.

Before the dispatch, :func:`snapshot_before` records whether ``sha-<short>`` exists and what ``latest`` points to.
After the run, :func:`verify_published` establishes four facts for the service:

``sha-tag-exists``    a commit tag resolves (the workflow's own spelling, ``sha-<short>`` or long, the bare SHA),
                      by one HEAD per spelling tried;
``latest-matches``    ``latest`` resolves to that same digest (the index digest, never a platform's);
``revision-label``    every platform image's *own* config says ``org.opencontainers.image.revision`` = the commit
                      (buildx attestation manifests are excluded, and listed);
``tag-is-new``        the tag was absent before the dispatch, or its image was created after it.

Nothing here lists tags: the requests per service depend on the number of platforms, never on how many tags the
repository has (crane/skopeo list every tag; GHCR pages them at 100).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from cicd_acceptance.committags import MIN_HEX, commit_tag_form
from cicd_acceptance.errors import ConfigError
from cicd_acceptance.registry.client import RegistryClient
from cicd_acceptance.registry.models import ImageInfo, ImageRef, parse_image_ref

__all__ = [
    "FACT_NAMES",
    "REVISION_LABEL",
    "FactName",
    "ImageFact",
    "ImageSnapshot",
    "ImageVerdict",
    "snapshot_before",
    "verify_published",
]

REVISION_LABEL = "org.opencontainers.image.revision"
_SHA_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True)
class ImageSnapshot:
    """What the registry said before the dispatch: each candidate sha tag's digest (None = absent) and latest's."""

    image: str
    sha_tags: tuple[tuple[str, str | None], ...]
    latest_tag: str
    latest_digest: str | None
    requests: int = 0

    def digest_before(self, tag: str) -> str | None:
        """The digest ``tag`` had before the dispatch, None if it was absent (or not recorded)."""
        return dict(self.sha_tags).get(tag)

    def recorded(self, tag: str) -> bool:
        """Whether the snapshot looked ``tag`` up at all (absence is only known for tags it looked up)."""
        return tag in dict(self.sha_tags)

    @property
    def sha_tag_existed(self) -> bool:
        """True when any candidate sha tag already existed before the dispatch."""
        return any(digest is not None for _, digest in self.sha_tags)


FactName = Literal["sha-tag-exists", "latest-matches", "revision-label", "tag-is-new"]
FACT_NAMES: tuple[FactName, ...] = get_args(FactName)


@dataclass(frozen=True)
class ImageFact:
    """One check: its id, whether it held, what was expected and what was observed."""

    check: FactName
    passed: bool
    expected: str
    observed: str

    def __str__(self) -> str:
        state = "ok" if self.passed else "FAILED"
        return f"{self.check}: {state} (expected {self.expected}; observed {self.observed})"


@dataclass(frozen=True)
class ImageVerdict:
    """The facts for one service's image, plus what was inspected and how many registry requests it took."""

    service: str
    image: str
    sha: str
    facts: tuple[ImageFact, ...]
    tag: str | None = None
    digest: str | None = None
    info: ImageInfo | None = None
    requests: int = 0

    @property
    def passed(self) -> bool:
        """True only when every fact held."""
        return all(fact.passed for fact in self.facts)

    @property
    def failed(self) -> tuple[ImageFact, ...]:
        """The facts that did not hold."""
        return tuple(fact for fact in self.facts if not fact.passed)

    def fact(self, check: FactName) -> ImageFact:
        """The fact with id ``check`` (``sha-tag-exists``, ``latest-matches``, ``revision-label``, ``tag-is-new``)."""
        for fact in self.facts:
            if fact.check == check:
                return fact
        # A step naming a fact that does not exist is a harness bug: say which, not a bare StopIteration.
        known = ", ".join(fact.check for fact in self.facts)
        raise ValueError(f"no image fact {check!r} (known: {known})")

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record for the evidence: facts, which digest is which, and the request count."""
        info = self.info
        return {
            "service": self.service, "image": self.image, "sha": self.sha, "tag": self.tag, "digest": self.digest,
            "passed": self.passed,
            "facts": [{"check": f.check, "passed": f.passed, "expected": f.expected, "observed": f.observed}
                      for f in self.facts],
            "platforms": [{"platform": p.platform, "manifest_digest": p.manifest_digest,
                           "config_digest": p.config_digest, "revision": p.label(REVISION_LABEL),
                           "created": p.created.isoformat() if p.created else None}
                          for p in (info.platforms if info else ())],
            "attestations": [a.digest for a in (info.attestations if info else ())],
            "registry_requests": self.requests,
        }

    def summary(self) -> str:
        """One line for a pass; for a failure, the service and every failed fact with its observed value."""
        if self.passed:
            return f"{self.service} ({self.image}): published {self.tag} -> {self.digest} for {self.sha[:12]}"
        failed = "; ".join(str(fact) for fact in self.failed)
        return f"{self.service} ({self.image}): {len(self.failed)} of {len(self.facts)} facts failed: {failed}"


def snapshot_before(client: RegistryClient, image: str, sha_tag: str | Sequence[str],
                    latest_tag: str = "latest") -> ImageSnapshot:
    """Record, by HEAD requests only, whether the sha tag(s) exist and where ``latest`` points."""
    ref = _image(client, image)
    tags = (sha_tag,) if isinstance(sha_tag, str) else tuple(sha_tag)
    start = client.stats.total
    found = tuple((tag, _digest(client, ref, tag)) for tag in tags)
    latest = _digest(client, ref, latest_tag)
    return ImageSnapshot(image=_display(ref), sha_tags=found, latest_tag=latest_tag, latest_digest=latest,
                         requests=client.stats.total - start)


def verify_published(client: RegistryClient, before: ImageSnapshot, *, sha: str, sha_tags: Sequence[str],
                     dispatched_at: datetime, service: str | None = None,
                     skew: timedelta = timedelta(0)) -> ImageVerdict:
    """Establish the four facts for the image ``before`` was taken of, after the build of ``sha`` was dispatched
    at ``dispatched_at``; its ``latest`` tag is the one the snapshot looked up.

    ``sha_tags`` are the accepted spellings of the commit tag (``sha-860c190``, ``sha-<40 hex>``, ``860c190``...),
    tried in order;
    ``skew`` widens the creation window for clock differences between the registry and the builder.
    """
    ref = _image(client, before.image)
    latest_tag = before.latest_tag
    commit = _check_sha(sha)
    candidates = _check_sha_tags(sha_tags, commit)
    if dispatched_at.tzinfo is None:
        raise ValueError("verify_published: dispatched_at must be timezone-aware (UTC)")
    start = client.stats.total
    tag, digest, tried = _find_sha_tag(client, ref, candidates)
    latest = _digest(client, ref, latest_tag)
    info = client.image_info(ref.name, digest) if digest else None
    facts = (
        _fact_exists(tag, digest, tried),
        _fact_latest(latest_tag, latest, tag, digest),
        _fact_revision(info, commit, tag),
        _fact_new(before, tag, info, dispatched_at - skew),
    )
    return ImageVerdict(service=service or ref.name.rsplit("/", 1)[-1], image=_display(ref), sha=commit,
                        facts=facts, tag=tag, digest=digest, info=info, requests=client.stats.total - start)


def _image(client: RegistryClient, image: str) -> ImageRef:
    ref = parse_image_ref(image, default_registry=client.registry, source=f"image {image!r}")
    if ref.registry.lower() != client.registry:
        raise ConfigError(f"image is on {ref.registry}, but the registry client talks to {client.registry}",
                          source=f"image {image!r}")
    return ref


def _display(ref: ImageRef) -> str:
    return f"{ref.registry}/{ref.name}"


def _digest(client: RegistryClient, ref: ImageRef, tag: str) -> str | None:
    found = client.head_manifest(ref.name, tag)
    return found.digest if found else None


def _check_sha(sha: str) -> str:
    # The pinned commit comes from the checkout (git rev-parse): another value is the caller's mistake.
    if not _SHA_RE.fullmatch(sha):
        raise ValueError(f"verify_published: {sha!r} is not a full lowercase commit SHA")
    return sha


def _check_sha_tags(sha_tags: Sequence[str], sha: str) -> tuple[str, ...]:
    # The tags are Plan.sha_tags(sha): spellings that carry 7 or more leading hex digits of the commit, with any
    # prefix or suffix (cicd_acceptance.committags).
    tags = tuple(sha_tags)
    if not tags:
        raise ValueError("verify_published: no sha tag to look for")
    for tag in tags:
        if commit_tag_form(tag, sha) is None:
            raise ValueError(f"verify_published: {tag!r} does not carry {MIN_HEX} or more leading hex digits of "
                             f"{sha}")
    return tags


def _find_sha_tag(client: RegistryClient, ref: ImageRef, tags: tuple[str, ...]
                  ) -> tuple[str | None, str | None, tuple[str, ...]]:
    """The first candidate tag that exists: one HEAD per spelling tried, stopping at the first hit."""
    tried: list[str] = []
    for tag in tags:
        tried.append(tag)
        digest = _digest(client, ref, tag)
        if digest is not None:
            return tag, digest, tuple(tried)
    return None, None, tuple(tried)


def _fact_exists(tag: str | None, digest: str | None, tried: tuple[str, ...]) -> ImageFact:
    expected = " or ".join(tried) if len(tried) > 1 else tried[0]
    if tag is None:
        return ImageFact("sha-tag-exists", False, f"{expected} exists", f"{', '.join(tried)} absent (HEAD 404)")
    return ImageFact("sha-tag-exists", True, f"{expected} exists", f"{tag} -> {digest}")


def _fact_latest(latest_tag: str, latest: str | None, tag: str | None, digest: str | None) -> ImageFact:
    expected = f"{latest_tag} -> the sha tag's digest"
    observed = f"{latest_tag} -> {latest or 'absent'}; {tag or 'sha tag'} -> {digest or 'absent'}"
    return ImageFact("latest-matches", latest is not None and latest == digest, expected, observed)


def _fact_revision(info: ImageInfo | None, sha: str, tag: str | None) -> ImageFact:
    expected = f"{REVISION_LABEL}={sha} on every platform"
    if info is None:
        return ImageFact("revision-label", False, expected, "not checked: the sha tag is absent")
    if not info.platforms:
        return ImageFact("revision-label", False, expected,
                         f"{tag} has no platform image ({len(info.attestations)} attestation manifests only)")
    seen = ", ".join(f"{p.platform}={p.label(REVISION_LABEL) or '<no label>'}" for p in info.platforms)
    skipped = f" ({len(info.attestations)} attestation manifests skipped)" if info.attestations else ""
    ok = all(p.label(REVISION_LABEL) == sha for p in info.platforms)
    return ImageFact("revision-label", ok, expected, seen + skipped)


def _fact_new(before: ImageSnapshot, tag: str | None, info: ImageInfo | None, after: datetime) -> ImageFact:
    expected = f"absent before the dispatch, or created after {after.isoformat()}"
    if tag is None or info is None:
        return ImageFact("tag-is-new", False, expected, "not checked: the sha tag is absent")
    old = before.digest_before(tag)
    if old is None and before.recorded(tag):
        return ImageFact("tag-is-new", True, expected, f"{tag} was absent before the dispatch")
    history = f"existed before ({old})" if old else "was not in the before-snapshot"
    created = [p.created for p in info.platforms]
    if not created or any(c is None for c in created):
        return ImageFact("tag-is-new", False, expected, f"{tag} {history}; image creation time unknown")
    oldest = min(c for c in created if c is not None)
    return ImageFact("tag-is-new", oldest > after, expected, f"{tag} {history}; created {oldest.isoformat()}")
