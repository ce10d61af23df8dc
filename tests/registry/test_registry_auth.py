"""The Bearer challenge flow: who gets credentials, which scope is asked for, how tokens are cached and refused."""

from __future__ import annotations

import base64

import httpx
import pytest

from cicd_acceptance.errors import ConfigError, RegistryAccessDenied, RegistryError
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.polling import ManualClock
from cicd_acceptance.registry import RegistryClient
from cicd_acceptance.registry.auth import parse_bearer_challenge, scope_for_path
from cicd_acceptance.secret import Secret
from tests.registry.fake_registry import FakeRegistry

NAME = "acme/shop-gateway"
PLATFORMS = {"linux/amd64": {"org.opencontainers.image.revision": "a" * 40}}


def make_client(fake: FakeRegistry, *, credentials: bool = False, clock: ManualClock | None = None) -> RegistryClient:
    return RegistryClient(registry=fake.host, username="octocat" if credentials else None,
                          token=Secret(fake.password) if credentials else None,
                          http=HttpSettings(transport=httpx.MockTransport(fake), sleep=lambda _: None,
                                            clock=clock or ManualClock(1000.0)))


def token_requests(fake: FakeRegistry) -> list[httpx.Request]:
    return [r for r in fake.log if r.url.path == "/token"]


def test_public_pull_uses_an_anonymous_token_for_the_scope_of_the_path_not_ghcrs_placeholder() -> None:
    fake = FakeRegistry()
    fake.push_image(NAME, ["sha-aaaaaaa"], platforms=PLATFORMS)
    client = make_client(fake)

    ref = client.head_manifest(NAME, "sha-aaaaaaa")

    assert ref is not None
    (token_request,) = token_requests(fake)
    assert "authorization" not in token_request.headers
    assert token_request.url.params["scope"] == f"repository:{NAME}:pull"
    assert token_request.url.params["service"] == "ghcr.io"
    assert [r.method for r in fake.log] == ["HEAD", "GET", "HEAD"]
    assert fake.log[-1].headers["authorization"].startswith("Bearer ")


def test_private_pull_sends_basic_credentials_to_the_registrys_own_realm_after_anonymous_is_refused() -> None:
    fake = FakeRegistry(private=True)
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    client = make_client(fake, credentials=True)

    assert client.head_manifest(NAME, "latest") is not None

    anonymous, basic = token_requests(fake)
    assert "authorization" not in anonymous.headers
    scheme, _, encoded = basic.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == f"octocat:{fake.password}"


def test_a_realm_on_a_foreign_host_never_receives_credentials() -> None:
    fake = FakeRegistry(realm_host="auth.elsewhere.example")
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    client = make_client(fake, credentials=True)

    assert client.head_manifest(NAME, "latest") is not None

    (token_request,) = token_requests(fake)
    assert token_request.url.host == "auth.elsewhere.example"
    assert "authorization" not in token_request.headers


def test_a_private_package_behind_a_foreign_realm_is_denied_without_leaking_credentials() -> None:
    fake = FakeRegistry(realm_host="auth.elsewhere.example", private=True)
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    client = make_client(fake, credentials=True)

    with pytest.raises(RegistryAccessDenied) as caught:
        client.head_manifest(NAME, "latest")

    assert all("authorization" not in r.headers for r in token_requests(fake))
    assert "credentials are sent only to a realm on ghcr.io" in str(caught.value)


def test_a_plain_http_realm_on_the_registry_host_gets_no_credentials() -> None:
    fake = FakeRegistry(realm_scheme="http", private=True)
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    client = make_client(fake, credentials=True)

    with pytest.raises(RegistryAccessDenied):
        client.head_manifest(NAME, "latest")
    assert all("authorization" not in r.headers for r in token_requests(fake))


def test_401_from_the_token_endpoint_is_private_or_no_access_never_a_missing_tag() -> None:
    fake = FakeRegistry(private=True)
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    client = make_client(fake)

    with pytest.raises(RegistryAccessDenied) as caught:
        client.head_manifest(NAME, "sha-missing")

    message = str(caught.value)
    assert message.startswith("GET https://ghcr.io/token?service=ghcr.io&scope=repository%3Aacme%2Fshop-gateway%3Apull")
    assert "-> 401" in message
    assert "private package or no access" in message
    assert "GITHUB_TOKEN with read:packages / packages: read" in message
    assert "not found" not in message


def test_wrong_credentials_are_denied_and_the_token_never_appears_in_the_message() -> None:
    fake = FakeRegistry(private=True)
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    client = RegistryClient(registry="ghcr.io", username="octocat", token=Secret("wrong-SECRET-999"),
                            http=HttpSettings(transport=httpx.MockTransport(fake)))

    with pytest.raises(RegistryAccessDenied) as caught:
        client.head_manifest(NAME, "latest")

    assert "configured credentials were refused" in str(caught.value)
    assert "wrong-SECRET-999" not in str(caught.value)
    assert "wrong-SECRET-999" not in repr(caught.value)


def test_a_cached_token_is_reused_for_the_same_scope_without_a_second_challenge() -> None:
    fake = FakeRegistry()
    fake.push_image(NAME, ["latest", "sha-aaaaaaa"], platforms=PLATFORMS)
    client = make_client(fake)

    client.head_manifest(NAME, "latest")
    client.head_manifest(NAME, "sha-aaaaaaa")

    assert len(token_requests(fake)) == 1
    assert [r.method for r in fake.log] == ["HEAD", "GET", "HEAD", "HEAD"]
    assert client.stats.snapshot() == {"manifest_head": 3, "token": 1}


def test_another_repository_gets_its_own_token() -> None:
    fake = FakeRegistry()
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    fake.push_image("acme/shop-worker", ["latest"], platforms=PLATFORMS)
    client = make_client(fake)

    client.head_manifest(NAME, "latest")
    client.head_manifest("acme/shop-worker", "latest")

    scopes = [r.url.params["scope"] for r in token_requests(fake)]
    assert scopes == [f"repository:{NAME}:pull", "repository:acme/shop-worker:pull"]


@pytest.mark.parametrize(("expires_in", "advance", "token_fetches"), [
    (None, 50.0, 1),    # default 60 s, refreshed 5 s early: still valid after 50 s
    (None, 56.0, 2),    # ... and not after 56 s
    (300, 200.0, 1),    # the endpoint's expires_in is honoured
    (300, 296.0, 2),
])
def test_cached_tokens_expire_after_expires_in(expires_in: int | None, advance: float, token_fetches: int) -> None:
    fake = FakeRegistry(expires_in=expires_in)
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    clock = ManualClock(1000.0)
    client = make_client(fake, clock=clock)

    client.head_manifest(NAME, "latest")
    clock.now += advance
    client.head_manifest(NAME, "latest")

    assert len(token_requests(fake)) == token_fetches


def test_a_token_the_registry_no_longer_accepts_is_replaced_through_a_new_challenge() -> None:
    fake = FakeRegistry()
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    client = make_client(fake)
    client.head_manifest(NAME, "latest")
    fake.valid_tokens.clear()   # the registry revoked it early

    assert client.head_manifest(NAME, "latest") is not None
    assert len(token_requests(fake)) == 2


def test_plain_http_is_refused_for_a_non_loopback_registry() -> None:
    with pytest.raises(ValueError, match="plain http is allowed only for a loopback registry") as caught:
        RegistryClient(registry="ghcr.io", scheme="http")
    assert not isinstance(caught.value, ConfigError)  # registry_scheme chooses http for loopback hosts only
    with pytest.raises(ValueError, match="registry scheme 'ftp' is neither https nor http"):
        RegistryClient(registry="ghcr.io", scheme="ftp")
    assert RegistryClient(registry="127.0.0.1:5000", scheme="http").scheme == "http"
    assert RegistryClient(registry="localhost:5000", scheme="http").scheme == "http"
    assert RegistryClient(registry="[::1]:5000", scheme="http").scheme == "http"


def test_a_host_name_that_merely_starts_like_a_loopback_address_gets_no_plain_http() -> None:
    with pytest.raises(ValueError, match="plain http is allowed only for a loopback registry"):
        RegistryClient(registry="127.example.com", scheme="http")


@pytest.mark.parametrize("registry", ["https://ghcr.io", "ghcr.io/owner", "", "gh cr.io"])
def test_a_registry_that_is_not_a_host_is_a_config_error(registry: str) -> None:
    with pytest.raises(ConfigError, match="is not a registry host"):
        RegistryClient(registry=registry)


def test_challenge_parsing() -> None:
    challenge = parse_bearer_challenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="a:b:pull"')
    assert challenge is not None
    assert (challenge.realm, challenge.service, challenge.scope) == ("https://ghcr.io/token", "ghcr.io", "a:b:pull")
    assert parse_bearer_challenge('Basic realm="x"') is None
    assert parse_bearer_challenge("Bearer service=x") is None
    assert scope_for_path("/v2/a/b/c/manifests/latest") == "repository:a/b/c:pull"
    assert scope_for_path("/v2/") is None


def test_an_anonymous_token_the_registry_refuses_is_replaced_by_a_credentialed_one() -> None:
    fake = FakeRegistry(private=True, anonymous_token_for_private=True)
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    client = make_client(fake, credentials=True)

    assert client.head_manifest(NAME, "latest") is not None

    anonymous, basic = token_requests(fake)
    assert "authorization" not in anonymous.headers
    assert basic.headers["authorization"].startswith("Basic ")
    assert [r.method for r in fake.log] == ["HEAD", "GET", "HEAD", "GET", "HEAD"]


def test_an_anonymous_token_refused_without_credentials_is_access_denied() -> None:
    fake = FakeRegistry(private=True, anonymous_token_for_private=True)
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)

    with pytest.raises(RegistryAccessDenied, match=r"^HEAD https://ghcr.io/v2/acme/shop-gateway/manifests/latest "
                                                   r"-> 401: private package or no access"):
        make_client(fake).head_manifest(NAME, "latest")


def test_renewing_a_private_scope_goes_straight_to_credentials() -> None:
    fake = FakeRegistry(private=True)
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    clock = ManualClock(1000.0)
    client = make_client(fake, credentials=True, clock=clock)
    client.head_manifest(NAME, "latest")
    clock.now += 3600

    client.head_manifest(NAME, "latest")

    kinds = ["basic" if "authorization" in r.headers else "anonymous" for r in token_requests(fake)]
    assert kinds == ["anonymous", "basic", "basic"]


def test_a_403_from_the_registry_is_access_denied_with_the_oci_error() -> None:
    fake = FakeRegistry(deny_manifests=True)
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)

    with pytest.raises(RegistryAccessDenied) as caught:
        make_client(fake, credentials=True).get_manifest(NAME, "latest")

    assert str(caught.value) == (
        f"GET https://ghcr.io/v2/{NAME}/manifests/latest -> 403: private package or no access; set GITHUB_TOKEN "
        "with read:packages / packages: read (DENIED: requested access to the resource is denied)")
    assert fake.password not in str(caught.value)


class _FlakyTokenEndpoint:
    """Wraps the fake: the token endpoint answers 503 ``failures`` times before it recovers."""

    def __init__(self, fake: FakeRegistry, failures: int) -> None:
        self.fake = fake
        self.failures = failures

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token" and self.failures > 0:
            self.failures -= 1
            self.fake.log.append(request)
            return httpx.Response(503, json={"errors": [{"code": "UNAVAILABLE", "message": "try later"}]})
        return self.fake(request)


def test_a_5xx_from_the_token_endpoint_is_retried_like_any_transient_answer() -> None:
    fake = FakeRegistry()
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    client = RegistryClient(registry=fake.host,
                            http=HttpSettings(transport=httpx.MockTransport(_FlakyTokenEndpoint(fake, 1)),
                                              sleep=lambda _: None, clock=ManualClock(1000.0)))

    assert client.head_manifest(NAME, "latest") is not None
    assert len(token_requests(fake)) == 2


def test_a_token_endpoint_that_stays_down_is_a_clear_error_not_access_denied() -> None:
    fake = FakeRegistry()
    fake.push_image(NAME, ["latest"], platforms=PLATFORMS)
    client = RegistryClient(registry=fake.host,
                            http=HttpSettings(transport=httpx.MockTransport(_FlakyTokenEndpoint(fake, 99)),
                                              sleep=lambda _: None, clock=ManualClock(1000.0)))

    with pytest.raises(RegistryError, match=r"GET https://ghcr\.io/token.* -> 503") as info:
        client.head_manifest(NAME, "latest")
    assert not isinstance(info.value, RegistryAccessDenied)
