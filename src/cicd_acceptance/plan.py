"""What the ExecPlan promised, as data: services, workflow files, image names and tags.

The defaults are the ExecPlan ``ci-cd-build-automation.md``. A target may override them with a TOML file (``--plan
FILE``, else ``acceptance.toml`` in the target when present); every value remembers where it came from so the pytest
header and error messages can say "acceptance.toml:services" rather than leave the reader guessing.

Example ``acceptance.toml``::

    services = ["gateway", "worker", "webhook-demo"]
    default_branch = "main"
    [workflows]
    ci = ".github/workflows/ci.yml"
    build = ".github/workflows/build-images.yml"
    [images]
    registry = "ghcr.io"
    pattern = "{registry}/{owner}/{repo}-{service}"
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cicd_acceptance.errors import ConfigError

__all__ = ["DEFAULT_PLAN_FILE", "SEVERITIES", "Plan", "load_plan"]

DEFAULT_PLAN_FILE = "acceptance.toml"
SEVERITIES = ("informational", "low", "medium", "high")

_SERVICE_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_BRANCH_RE = re.compile(r"^[A-Za-z0-9._/-]+$")
_PATTERN_FIELDS = {"registry", "owner", "repo", "service"}


@dataclass(frozen=True)
class Plan:
    """The plan's expectations. ``sources`` maps each field name to where its value came from."""

    services: tuple[str, ...] = ("gateway", "worker", "webhook-demo")
    dockerfile_pattern: str = "Dockerfile.{service}"
    ci_workflow: str = ".github/workflows/ci.yml"
    build_workflow: str = ".github/workflows/build-images.yml"
    registry: str = "ghcr.io"
    image_pattern: str = "{registry}/{owner}/{repo}-{service}"
    default_branch: str = "main"
    test_job: str = "test"
    test_command: str = "go test ./..."
    latest_tag: str = "latest"
    sha_tag_prefix: str = "sha-"
    zizmor_min_severity: str = "high"
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def image_for(self, service: str, repository: str, *, registry: str | None = None) -> str:
        """Full lowercase image reference of ``service`` for ``owner/name`` (no tag)."""
        owner, _, repo = repository.partition("/")
        ref = self.image_pattern.format(registry=registry or self.registry, owner=owner, repo=repo, service=service)
        return ref.lower()

    def image_path(self, service: str, repository: str) -> str:
        """The repository path of the image inside the registry (``owner/repo-service``), lowercase."""
        full = self.image_for(service, repository)
        prefix = self.registry.lower() + "/"
        return full[len(prefix):] if full.startswith(prefix) else full

    @property
    def ci_workflow_file(self) -> str:
        """The CI workflow's file name, which the REST API accepts as its id (``ci.yml``)."""
        return self.ci_workflow.rsplit("/", 1)[-1]

    @property
    def build_workflow_file(self) -> str:
        """The build workflow's file name, which the REST API accepts as its id (``build-images.yml``)."""
        return self.build_workflow.rsplit("/", 1)[-1]

    def dockerfile_for(self, service: str) -> str:
        """Path (relative to the repository root) of the Dockerfile that builds ``service``."""
        return self.dockerfile_pattern.format(service=service)

    def sha_tags(self, sha: str) -> tuple[str, str]:
        """The accepted commit tags: short (7, metadata-action's default) and long (``format=long``)."""
        return (f"{self.sha_tag_prefix}{sha[:7]}", f"{self.sha_tag_prefix}{sha}")

    def source_of(self, name: str) -> str:
        return self.sources.get(name, "default (ExecPlan)")


# TOML key path -> (Plan field, validator). Validators return the converted value or raise ValueError(why).
def _str_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a non-empty list of strings")
    bad = [v for v in value if not _SERVICE_RE.match(v)]
    if bad:
        raise ValueError(f"service names must be lowercase [a-z0-9._-], found {bad}")
    if len(set(value)) != len(value):
        raise ValueError(f"duplicate services in {value}")
    return tuple(value)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value


def _branch(value: Any) -> str:
    text = _text(value)
    if not _BRANCH_RE.match(text):
        raise ValueError(f"not a branch name: {text!r}")
    return text


def _workflow_path(value: Any) -> str:
    text = _text(value)
    if not text.startswith(".github/workflows/") or not text.endswith((".yml", ".yaml")):
        raise ValueError(f"expected .github/workflows/<name>.yml, found {text!r}")
    return text


def _pattern(required: set[str]) -> Any:
    def check(value: Any) -> str:
        text = _text(value)
        names = set(re.findall(r"{(\w+)}", text))
        unknown, missing = names - _PATTERN_FIELDS, required - names
        if unknown or missing:
            raise ValueError(f"placeholders must include {sorted(required)} and only {sorted(_PATTERN_FIELDS)}, "
                             f"found {sorted(names)}")
        return text
    return check


def _severity(value: Any) -> str:
    text = _text(value).lower()
    if text not in SEVERITIES:
        raise ValueError(f"expected one of {list(SEVERITIES)}, found {value!r}")
    return text


_KEYS: dict[str, tuple[str, Any]] = {
    "services": ("services", _str_list),
    "default_branch": ("default_branch", _branch),
    "dockerfile_pattern": ("dockerfile_pattern", _pattern({"service"})),
    "workflows.ci": ("ci_workflow", _workflow_path),
    "workflows.build": ("build_workflow", _workflow_path),
    "images.registry": ("registry", _text),
    "images.pattern": ("image_pattern", _pattern({"service"})),
    "tags.latest": ("latest_tag", _text),
    "tags.sha_prefix": ("sha_tag_prefix", str),
    "ci.test_job": ("test_job", _text),
    "ci.test_command": ("test_command", _text),
    "security.zizmor_min_severity": ("zizmor_min_severity", _severity),
}


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, prefix=name + "."))
        else:
            flat[name] = value
    return flat


def load_plan(path: Path | None, *, origin: str = "--plan") -> Plan:
    """Return the default plan, overridden by the TOML file at ``path`` when given.

    Every bad key or value raises :class:`ConfigError` naming ``file:key``.
    """
    if path is None:
        return Plan()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("plan file not found", source=f"{origin} {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read plan file: {exc}", source=f"{origin} {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", source=str(path)) from None
    changes: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, value in _flatten(data).items():
        if key not in _KEYS:
            raise ConfigError(f"unknown key (known: {', '.join(sorted(_KEYS))})", source=f"{path}:{key}")
        field_name, convert = _KEYS[key]
        try:
            changes[field_name] = convert(value)
        except ValueError as exc:
            raise ConfigError(str(exc), source=f"{path}:{key}") from None
        sources[field_name] = f"{path}:{key}"
    return replace(Plan(), **changes, sources=sources)
