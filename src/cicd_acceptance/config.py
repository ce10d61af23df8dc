"""Every setting of a run, resolved once, with where each value came from.

Precedence, for each setting: command-line option, then environment variable, then the plan file, then the
default. The result is a frozen :class:`Settings`; ``Settings.sources`` maps each name to its origin
(``--repo-dir``, ``env ACCEPTANCE_REPO_DIR``, ``acceptance.toml:services``, ``default``) so the report header and
error messages can say where a value came from.

Live mode is decided here too:

* ``emulator``: ``--emulator`` was given, or nothing was configured at all (the bundled sample, no token, no API URL):
  the bundled emulator stands in for GitHub and GHCR;
* ``github``: a token was found (``GITHUB_TOKEN``, ``GH_TOKEN``, ``gh auth token``): real GitHub / GHCR;
* ``off``: no token and no emulator: ``@live`` scenarios skip with the reason (and fail under ``--require-live``).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cicd_acceptance.errors import ConfigError
from cicd_acceptance.loopback import is_loopback_host
from cicd_acceptance.plan import DEFAULT_PLAN_FILE, Plan, load_plan
from cicd_acceptance.registry.credentials import registry_credential_policy
from cicd_acceptance.secret import Secret
from cicd_acceptance.target import Target, open_target

__all__ = [
    "DEFAULT_API_URL",
    "SAMPLE_REPOSITORY",
    "LiveMode",
    "Options",
    "Settings",
    "bundled_sample_dir",
    "resolve_settings",
]

DEFAULT_API_URL = "https://api.github.com"
SAMPLE_REPOSITORY = "example/stream-monitor"
LiveMode = Literal["emulator", "github", "off"]


def bundled_sample_dir() -> Path:
    """The sample target shipped in this repository (``examples/stream-monitor``)."""
    return Path(__file__).resolve().parents[2] / "examples" / "stream-monitor"


@dataclass(frozen=True)
class Options:
    """What the user passed on the command line (None = not given). Mirrors the pytest options."""

    repo_dir: str | None = None
    plan: str | None = None
    github_repo: str | None = None
    github_api_url: str | None = None
    registry: str | None = None
    emulator: bool = False
    require_live: bool = False
    evidence_dir: str | None = None
    execplan: str | None = None
    appear_timeout: float | None = None
    run_timeout: float | None = None


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one acceptance run. ``token`` is a :class:`Secret` and never prints."""

    target: Target
    plan: Plan
    plan_file: Path | None
    repository: str
    live_mode: LiveMode
    live_off_reason: str
    token: Secret | None
    api_url: str
    registry: str
    registry_username: str
    require_live: bool
    evidence_dir: Path | None
    execplan: Path | None
    appear_timeout_s: float
    run_timeout_s: float
    is_bundled_sample: bool
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def repo_dir(self) -> Path:
        return self.target.repo_dir

    def registry_chosen_by_operator(self) -> bool:
        """True when the operator, not the target, chose the registry (``--registry``, the emulator, or a
        ``--plan`` file from outside the target). The target's own ``acceptance.toml`` never counts."""
        source = self.sources.get("registry", "")
        if source in ("--registry", "emulator"):
            return True
        if self.plan_file is None or self.sources.get("plan") != "--plan":
            return False
        try:
            inside = self.plan_file.resolve().is_relative_to(self.target.git_root.resolve())
        except (OSError, RuntimeError):
            inside = True
        return not inside

    def with_emulator(self, *, api_url: str, registry: str, token: Secret, repository: str) -> Settings:
        """The same settings pointed at a running emulator."""
        sources = {**self.sources, "api_url": "emulator", "registry": "emulator", "token": "emulator",
                   "repository": self.sources.get("repository", "emulator")}
        return replace(self, api_url=api_url, registry=registry, token=token, repository=repository,
                       registry_username="x-access-token", sources=sources)

    def header_lines(self) -> list[str]:
        """Lines for the pytest header: target, plan values and live mode, each with its source."""
        t = self.target
        where = "the bundled sample" if self.is_bundled_sample else "target"
        lines = [
            f"cicd-acceptance: accepting {where} {t.repo_dir} at {t.head_sha[:12]} "
            f"[{self.sources.get('repo_dir', 'default')}]",
            f"  repository {self.repository} [{self.sources.get('repository')}]",
            f"  plan {self.plan_file or 'ExecPlan defaults'} [{self.sources.get('plan')}]: services "
            f"{', '.join(self.plan.services)} [{self.plan.source_of('services')}]; workflows "
            f"{self.plan.ci_workflow}, {self.plan.build_workflow}; images "
            f"{self.plan.image_for('<service>', self.repository)}; default branch {self.plan.default_branch}",
        ]
        lines.append(self._live_line())
        return lines

    def _live_line(self) -> str:
        if self.live_mode == "emulator":
            return (f"  live: the bundled emulator stands in for GitHub and {self.plan.registry} "
                    f"[{self.sources.get('live_mode')}]")
        if self.live_mode == "github":
            policy = registry_credential_policy(self.registry, api_url=self.api_url,
                                                operator_chosen=self.registry_chosen_by_operator(),
                                                chosen_by=self.sources.get("registry", "the plan"))
            anonymous = f" (anonymous: {policy.withheld})" if not policy.allowed else ""
            return (f"  live: {self.api_url} [{self.sources.get('api_url')}], registry {self.registry} "
                    f"[{self.sources.get('registry')}]{anonymous}, token from {self.sources.get('token')}")
        required = " (--require-live: they fail)" if self.require_live else ""
        return f"  live: off, @live scenarios skip{required}: {self.live_off_reason}"


Env = Mapping[str, str]
TokenCommand = Callable[[], str | None]


def _pick(option: str | None, opt_name: str, env: Env, env_names: tuple[str, ...]) -> tuple[str | None, str]:
    """First non-empty of the option and the env variables, with its source."""
    if option:
        return option, opt_name
    for name in env_names:
        if env.get(name, "").strip():
            return env[name].strip(), f"env {name}"
    return None, "default"


def gh_auth_token() -> str | None:
    """``gh auth token`` when the GitHub CLI is installed and logged in, else None."""
    gh = shutil.which("gh")
    if gh is None:
        return None
    try:
        proc = subprocess.run([gh, "auth", "token"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def _resolve_token(env: Env, gh_token: TokenCommand) -> tuple[Secret | None, str]:
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        if env.get(name, "").strip():
            return Secret(env[name].strip()), f"env {name}"
    value = gh_token()
    return (Secret(value), "gh auth token") if value else (None, "none")


def _check_repository(value: str, source: str) -> str:
    owner, sep, name = value.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ConfigError(f"expected OWNER/NAME, found {value!r}", source=source)
    return value


def _url_parts(value: str) -> tuple[str, str | None]:
    """``(scheme, hostname)``; urlsplit refuses some values outright (``http://[::1`` has an unclosed bracket)."""
    try:
        parts = urlsplit(value)
        return parts.scheme, parts.hostname
    except ValueError:
        return "", None


def _check_api_url(value: str, source: str) -> str:
    scheme, hostname = _url_parts(value)
    if scheme not in {"http", "https"} or not hostname:
        raise ConfigError(f"expected an http(s) URL such as {DEFAULT_API_URL} or https://HOST/api/v3, "
                          f"found {value!r}", source=source)
    if scheme == "http" and not is_loopback_host(hostname):
        raise ConfigError("plain http is only allowed for a loopback host; use https", source=source)
    return value.rstrip("/")


def _check_registry(value: str, source: str) -> str:
    host = value.split("/")[0]
    if "://" in value or not host or host != value:
        raise ConfigError(f"expected HOST[:PORT] such as ghcr.io, found {value!r}", source=source)
    return value


def _positive(value: float | None, default: float, name: str) -> float:
    if value is None:
        return default
    if value <= 0:
        raise ConfigError(f"must be a positive number of seconds, found {value}", source=name)
    return value


def _resolve_target(options: Options, env: Env, sources: dict[str, str]) -> tuple[Target, bool]:
    raw, source = _pick(options.repo_dir, "--repo-dir", env, ("ACCEPTANCE_REPO_DIR",))
    sources["repo_dir"] = source if raw else "default (bundled sample)"
    path = Path(raw).expanduser() if raw else bundled_sample_dir()
    target = open_target(path)
    return target, target.repo_dir == bundled_sample_dir()


def _resolve_plan(options: Options, target: Target, sources: dict[str, str]) -> tuple[Plan, Path | None]:
    if options.plan:
        sources["plan"] = "--plan"
        path = Path(options.plan).expanduser()
        return load_plan(path, origin="--plan"), path
    candidate = target.repo_dir / DEFAULT_PLAN_FILE
    if candidate.is_symlink() or candidate.exists():  # a FIFO or a dangling link is refused, not ignored
        sources["plan"] = f"{DEFAULT_PLAN_FILE} in the target"
        return load_plan(candidate, origin=DEFAULT_PLAN_FILE, root=target.repo_dir), candidate
    sources["plan"] = "default (ExecPlan)"
    return Plan(), None


def _resolve_repository(options: Options, env: Env, target: Target, bundled: bool,
                        sources: dict[str, str]) -> str:
    raw, source = _pick(options.github_repo, "--github-repo", env, ("GITHUB_REPOSITORY",))
    if raw:
        sources["repository"] = source
        return _check_repository(raw, source)
    remote = None if bundled else target.remote_repository()
    if remote:
        sources["repository"] = "git remote origin"
        return remote
    if bundled:
        sources["repository"] = "default for the bundled sample"
        return SAMPLE_REPOSITORY
    if options.emulator:
        # The emulator names an unpublished checkout the same way (origin remote, else the sample's name).
        sources["repository"] = "default for the emulator (no GitHub-like origin remote)"
        return SAMPLE_REPOSITORY
    raise ConfigError("cannot tell the repository's OWNER/NAME (no GitHub-like origin remote): pass "
                      "--github-repo OWNER/NAME or set GITHUB_REPOSITORY", source=str(target.repo_dir))


def resolve_settings(options: Options, env: Env, *, gh_token: TokenCommand = gh_auth_token) -> Settings:
    """Resolve every setting once. Raises :class:`ConfigError` / ``TargetError`` naming the bad value's source."""
    sources: dict[str, str] = {}
    target, bundled = _resolve_target(options, env, sources)
    plan, plan_file = _resolve_plan(options, target, sources)
    repository = _resolve_repository(options, env, target, bundled, sources)
    api_raw, sources["api_url"] = _pick(options.github_api_url, "--github-api-url", env, ("GITHUB_API_URL",))
    api_url = _check_api_url(api_raw, sources["api_url"]) if api_raw else DEFAULT_API_URL
    reg_raw, sources["registry"] = _pick(options.registry, "--registry", env, ())
    registry = _check_registry(reg_raw, "--registry") if reg_raw else plan.registry
    if not reg_raw:
        sources["registry"] = plan.source_of("registry")
    token, sources["token"] = _resolve_token(env, gh_token) if not options.emulator else (None, "emulator")
    mode, reason = _live_mode(options, bundled, token, api_raw, sources)
    return Settings(
        target=replace(target, repository=repository), plan=plan, plan_file=plan_file, repository=repository,
        live_mode=mode, live_off_reason=reason, token=token, api_url=api_url, registry=registry,
        registry_username=env.get("GITHUB_ACTOR", "").strip() or repository.partition("/")[0],
        require_live=options.require_live,
        evidence_dir=Path(options.evidence_dir) if options.evidence_dir else None,
        execplan=Path(options.execplan) if options.execplan else None,
        appear_timeout_s=_positive(options.appear_timeout, 300.0, "--appear-timeout"),
        run_timeout_s=_positive(options.run_timeout, 3600.0, "--run-timeout"),
        is_bundled_sample=bundled, sources=sources,
    )


def _live_mode(options: Options, bundled: bool, token: Secret | None, api_raw: str | None,
               sources: dict[str, str]) -> tuple[LiveMode, str]:
    if options.emulator:
        sources["live_mode"] = "--emulator"
        return "emulator", ""
    if bundled and token is None and api_raw is None:
        sources["live_mode"] = "default: no configuration at all"
        return "emulator", ""
    if token is not None:
        sources["live_mode"] = f"token from {sources['token']}"
        return "github", ""
    sources["live_mode"] = "no token"
    return "off", ("no token (set GITHUB_TOKEN or GH_TOKEN, or log in with gh) and no --emulator: "
                   "acceptance cannot be shown without live checks")
