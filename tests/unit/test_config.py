"""Settings are resolved once with precedence (option > env > file > default) and provenance."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cicd_acceptance.config import (
    SAMPLE_REPOSITORY,
    Options,
    bundled_sample_dir,
    resolve_settings,
)
from cicd_acceptance.errors import ConfigError, TargetError
from cicd_acceptance.loopback import is_loopback_host
from cicd_acceptance.secret import Secret
from cicd_acceptance.target import parse_github_remote


def _no_gh() -> str | None:
    return None


def _git_repo(path: Path, remote: str | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    def run(*args: str) -> None:
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)

    run("init", "-q", "-b", "main")
    (path / "README").write_text("x\n")
    run("add", "README")
    run("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    if remote:
        run("remote", "add", "origin", remote)
    return path


def test_no_configuration_is_the_bundled_sample_on_the_emulator() -> None:
    settings = resolve_settings(Options(), {}, gh_token=_no_gh)
    assert settings.is_bundled_sample
    assert settings.repo_dir == bundled_sample_dir()
    assert settings.repository == SAMPLE_REPOSITORY
    assert settings.live_mode == "emulator"
    assert settings.sources["repo_dir"] == "default (bundled sample)"
    assert settings.sources["live_mode"] == "default: no configuration at all"
    header = "\n".join(settings.header_lines())
    assert "bundled sample" in header
    assert "bundled emulator" in header


def test_option_beats_env_and_sources_say_so(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "r", remote="git@github.com:Acme/Shop.git")
    other = _git_repo(tmp_path / "o")
    env = {"ACCEPTANCE_REPO_DIR": str(other), "GITHUB_REPOSITORY": "env/repo"}
    settings = resolve_settings(Options(repo_dir=str(repo), github_repo="opt/repo"), env, gh_token=_no_gh)
    assert settings.repo_dir == repo.resolve()
    assert settings.sources["repo_dir"] == "--repo-dir"
    assert settings.repository == "opt/repo"
    assert settings.sources["repository"] == "--github-repo"
    from_env = resolve_settings(Options(), env, gh_token=_no_gh)
    assert from_env.repo_dir == other.resolve()
    assert from_env.sources["repo_dir"] == "env ACCEPTANCE_REPO_DIR"
    assert from_env.repository == "env/repo"
    assert from_env.live_mode == "off"
    assert "no token" in from_env.live_off_reason


def test_repository_from_origin_remote(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "r", remote="https://github.com/Acme/Shop.git")
    settings = resolve_settings(Options(repo_dir=str(repo)), {}, gh_token=_no_gh)
    assert settings.repository == "Acme/Shop"
    assert settings.sources["repository"] == "git remote origin"


def test_target_without_remote_needs_a_repository(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "r")
    with pytest.raises(ConfigError, match="--github-repo"):
        resolve_settings(Options(repo_dir=str(repo)), {}, gh_token=_no_gh)
    emulated = resolve_settings(Options(repo_dir=str(repo), emulator=True), {}, gh_token=_no_gh)
    assert emulated.repository == SAMPLE_REPOSITORY
    assert emulated.sources["repository"].startswith("default for the emulator")


def test_token_order_and_secrecy() -> None:
    env = {"GITHUB_TOKEN": "ghp_first", "GH_TOKEN": "ghp_second"}
    settings = resolve_settings(Options(), env, gh_token=_no_gh)
    assert settings.token == Secret("ghp_first")
    assert settings.sources["token"] == "env GITHUB_TOKEN"
    assert settings.live_mode == "github"
    assert "ghp_first" not in repr(settings)
    assert "ghp_first" not in "\n".join(settings.header_lines())
    second = resolve_settings(Options(), {"GH_TOKEN": "ghp_second"}, gh_token=_no_gh)
    assert second.sources["token"] == "env GH_TOKEN"
    from_gh = resolve_settings(Options(), {}, gh_token=lambda: "gho_cli")
    assert from_gh.sources["token"] == "gh auth token"


def test_emulator_option_ignores_tokens() -> None:
    settings = resolve_settings(Options(emulator=True), {"GITHUB_TOKEN": "ghp_x"}, gh_token=_no_gh)
    assert settings.live_mode == "emulator"
    assert settings.token is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (Options(github_repo="justone"), "--github-repo: expected OWNER/NAME"),
        (Options(github_api_url="ftp://x"), "--github-api-url: expected an http(s) URL"),
        (Options(github_api_url="http://[::1"), "--github-api-url: expected an http(s) URL"),
        (Options(github_api_url="http://api.example.com"), "plain http is only allowed for a loopback host"),
        (Options(registry="https://ghcr.io"), "--registry: expected HOST[:PORT]"),
        (Options(run_timeout=0), "--run-timeout: must be a positive"),
    ],
)
def test_bad_options_name_their_source(options: Options, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
                       .replace(")", r"\)").replace(".", r"\.")):
        resolve_settings(options, {}, gh_token=_no_gh)


def test_bad_env_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="env GITHUB_API_URL"):
        resolve_settings(Options(), {"GITHUB_API_URL": "nonsense"}, gh_token=_no_gh)


def test_missing_and_non_git_targets(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="no such directory"):
        resolve_settings(Options(repo_dir=str(tmp_path / "missing")), {}, gh_token=_no_gh)
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(TargetError, match="not a git checkout"):
        resolve_settings(Options(repo_dir=str(plain)), {}, gh_token=_no_gh)


def test_plan_file_in_target_is_used(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "r", remote="https://github.com/o/r")
    (repo / "acceptance.toml").write_text('services = ["api"]\n')
    settings = resolve_settings(Options(repo_dir=str(repo)), {}, gh_token=_no_gh)
    assert settings.plan.services == ("api",)
    assert settings.sources["plan"] == "acceptance.toml in the target"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/o/r.git", "o/r"),
        ("git@github.com:o/r.git", "o/r"),
        ("ssh://git@github.com/o/r", "o/r"),
        ("https://ghes.example.com/team/app/", "team/app"),
        ("/srv/git/repo", None),
        ("", None),
    ],
)
def test_parse_github_remote(url: str, expected: str | None) -> None:
    assert parse_github_remote(url) == expected


def test_loopback() -> None:
    assert is_loopback_host("127.0.0.1")
    assert is_loopback_host("localhost")
    assert is_loopback_host("[::1]")
    assert not is_loopback_host("10.0.0.1")
    assert not is_loopback_host("ghcr.io")
