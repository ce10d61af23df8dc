"""The target's own acceptance.toml never decides where the token goes (a registry it names is used anonymously)."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from cicd_acceptance.config import Options, resolve_settings
from cicd_acceptance.errors import RegistryAccessDenied
from cicd_acceptance.live.emulated import registry_client_for
from cicd_acceptance.live.timing import LiveTiming
from cicd_acceptance.polling import ManualClock
from cicd_acceptance.registry.credentials import registry_credential_policy
from tests.hostile.hostile_repo import git_repo
from tests.registry.fake_registry import FakeRegistry

TOKEN = "ghp_CANARYcanary0123456789abcdefCANARY"
EVIL = "127.0.0.1:5999"


def _no_gh() -> str | None:
    return None


def _timing() -> LiveTiming:
    clock = ManualClock()
    return LiveTiming(sleep=clock.sleep, clock=clock)


def _leaked(registry: FakeRegistry) -> list[str]:
    found = []
    for request in registry.log:
        header = request.headers.get("authorization", "")
        decoded = base64.b64decode(header[6:]).decode(errors="replace") if header.startswith("Basic ") else header
        if TOKEN in decoded or TOKEN in str(request.url):
            found.append(str(request.url))
    return found


def test_a_registry_named_by_the_target_gets_no_token(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "target", {"acceptance.toml": f'[images]\nregistry = "{EVIL}"\n'})
    settings = resolve_settings(Options(repo_dir=str(repo)), {"GITHUB_TOKEN": TOKEN}, gh_token=_no_gh)
    assert settings.registry == EVIL
    assert settings.live_mode == "github"
    # The hostile registry hands out no anonymous token: it wants the Basic credentials.
    evil = FakeRegistry(host=EVIL, realm_scheme="http", private=True, password=TOKEN)
    client = registry_client_for(settings, transport=_transport(evil), timing=_timing())
    with client, pytest.raises(RegistryAccessDenied) as info:
        client.head_manifest("o/r-gateway", "latest")
    assert _leaked(evil) == []
    assert all("authorization" not in r.headers or r.headers["authorization"].startswith("Bearer ")
               for r in evil.log)
    message = str(info.value)
    assert "credentials withheld" in message
    assert "acceptance.toml:images.registry" in message
    assert f"--registry {EVIL}" in message
    assert TOKEN not in message


def test_the_operator_may_choose_the_same_registry(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "target", {"acceptance.toml": f'[images]\nregistry = "{EVIL}"\n'})
    settings = resolve_settings(Options(repo_dir=str(repo), registry=EVIL), {"GITHUB_TOKEN": TOKEN},
                                gh_token=_no_gh)
    registry = FakeRegistry(host=EVIL, realm_scheme="http", private=True, username="o", password=TOKEN)
    client = registry_client_for(settings, transport=_transport(registry), timing=_timing())
    with client:
        assert client.head_manifest("o/r-gateway", "latest") is None  # authorised: the repository is unknown
    assert any(r.headers.get("authorization", "").startswith("Basic ") for r in registry.log)


def test_an_operator_plan_outside_the_target_counts_as_the_operator(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "target")
    plan = tmp_path / "operator.toml"
    plan.write_text(f'[images]\nregistry = "{EVIL}"\n')
    settings = resolve_settings(Options(repo_dir=str(repo), plan=str(plan)), {"GITHUB_TOKEN": TOKEN},
                                gh_token=_no_gh)
    assert settings.registry_chosen_by_operator()
    inside = repo / "acceptance.toml"
    inside.write_text(f'[images]\nregistry = "{EVIL}"\n')
    settings = resolve_settings(Options(repo_dir=str(repo), plan=str(inside)), {"GITHUB_TOKEN": TOKEN},
                                gh_token=_no_gh)
    assert not settings.registry_chosen_by_operator()


@pytest.mark.parametrize(("registry", "api_url", "allowed"), [
    ("ghcr.io", "https://api.github.com", True),
    ("GHCR.IO", "https://api.github.com", True),
    ("evil.example", "https://api.github.com", False),
    ("ghes.example", "https://ghes.example/api/v3", True),
    ("containers.ghes.example", "https://ghes.example/api/v3", True),
    ("ghes.example.evil", "https://ghes.example/api/v3", False),
])
def test_github_registries_get_credentials_whoever_named_them(registry: str, api_url: str, allowed: bool) -> None:
    policy = registry_credential_policy(registry, api_url=api_url, operator_chosen=False, chosen_by="plan")
    assert policy.allowed is allowed
    assert bool(policy.withheld) is not allowed


def _transport(registry: FakeRegistry) -> httpx.MockTransport:
    return httpx.MockTransport(registry)
