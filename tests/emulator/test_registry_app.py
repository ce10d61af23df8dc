"""The registry app in-process (httpx.WSGITransport): every route, the token protocol and every error envelope."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from cicd_acceptance.emulator.clock import EmulatedClock
from cicd_acceptance.emulator.registry.app import make_registry_app
from cicd_acceptance.emulator.registry.auth import TokenIssuer
from cicd_acceptance.emulator.registry.grammar import (
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER_GZIP,
    OCI_MANIFEST,
    compute_digest,
)
from cicd_acceptance.emulator.registry.state import RegistryState

NAME = "octo-org/stream-monitor/gateway"
TOKEN = "ghp_emulatorTestToken0123456789"
ALL_TYPES = ", ".join([OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST])


@pytest.fixture
def clock() -> EmulatedClock:
    return EmulatedClock(speed=0)


@pytest.fixture
def state(clock: EmulatedClock) -> RegistryState:
    registry = RegistryState(now=clock.now)
    registry.push_image(NAME, ["main", "sha-0123456"], labels={"a": "b"})
    return registry


def _client(state: RegistryState, clock: EmulatedClock, base_url: str = "http://ghcr.test", *,
            absolute_locations: bool = False) -> httpx.Client:
    app = make_registry_app(state, check_basic=lambda user, password: password == TOKEN, now=clock.now, token_ttl_s=60,
                            absolute_locations=absolute_locations)
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url=base_url)


@pytest.fixture
def client(state: RegistryState, clock: EmulatedClock) -> Iterator[httpx.Client]:
    with _client(state, clock) as c:
        yield c


def _token(client: httpx.Client, *scopes: str, creds: tuple[str, str] | None = None) -> httpx.Response:
    return client.get("/token", params=[("service", "ghcr.test"), *(("scope", s) for s in scopes)], auth=creds)


def _bearer(client: httpx.Client, name: str = NAME, actions: str = "pull,push,delete") -> dict[str, str]:
    response = _token(client, f"repository:{name}:{actions}", creds=("octocat", TOKEN))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    (error,) = response.json()["errors"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "detail"}
    return dict(error)


# -- /v2/ and /token ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("base_url", ["http://ghcr.test", "https://registry.local:5443"])
def test_v2_challenges_with_a_realm_built_from_the_request(state: RegistryState, clock: EmulatedClock,
                                                           base_url: str) -> None:
    with _client(state, clock, base_url) as client:
        response = client.get("/v2/")

    _error(response, 401, "UNAUTHORIZED")
    host = base_url.split("://")[1]
    assert response.headers["www-authenticate"] == f'Bearer realm="{base_url}/token",service="{host}"'
    assert response.headers["docker-distribution-api-version"] == "registry/2.0"


def test_v2_answers_200_with_any_valid_token(client: httpx.Client) -> None:
    token = _token(client).json()["token"]

    response = client.get("/v2/", headers={"Authorization": f"Bearer {token}"})

    assert (response.status_code, response.json()) == (200, {})


def test_anonymous_pull_token_for_a_public_package(client: httpx.Client, clock: EmulatedClock) -> None:
    response = _token(client, f"repository:{NAME}:pull")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "access_token", "expires_in", "issued_at"}
    assert body["token"] == body["access_token"]
    assert (body["expires_in"], body["issued_at"]) == (60, "2026-03-02T09:00:00Z")


@pytest.mark.parametrize("scope", [f"repository:{NAME}:pull,push", "repository:octo-org/unknown:pull",
                                   "repository:octo-org/private:pull"])
def test_anonymous_tokens_are_refused_for_push_unknown_and_private(client: httpx.Client, state: RegistryState,
                                                                   scope: str) -> None:
    state.push_image("octo-org/private", ["v1"], labels={})
    state.set_public("octo-org/private", False)

    error = _error(_token(client, scope), 401, "UNAUTHORIZED")
    _, name, actions = scope.split(":")
    refused = "push" if "push" in actions else "pull"   # a public repository's pull is granted even so
    assert error["detail"] == [{"Type": "repository", "Name": name, "Action": refused}]


def test_basic_credentials_get_private_pull_and_push(client: httpx.Client, state: RegistryState) -> None:
    state.set_public(NAME, False)
    headers = _bearer(client, actions="pull,push")

    assert client.get(f"/v2/{NAME}/tags/list", headers=headers).status_code == 200
    assert client.post(f"/v2/{NAME}/blobs/uploads/", headers=headers).status_code == 202


def test_bad_credentials_are_refused_without_echoing_them(client: httpx.Client) -> None:
    response = _token(client, f"repository:{NAME}:pull", creds=("octocat", "wrong-secret-value"))

    _error(response, 401, "UNAUTHORIZED")
    assert "wrong-secret-value" not in response.text
    garbled = client.get("/token", headers={"Authorization": "Basic !!!"})
    _error(garbled, 401, "UNAUTHORIZED")


def test_malformed_scope_is_a_400(client: httpx.Client) -> None:
    _error(_token(client, f"repository:{NAME}:fly"), 400, "UNSUPPORTED")


def test_unauthenticated_repository_request_names_the_scope(client: httpx.Client) -> None:
    response = client.get(f"/v2/{NAME}/tags/list")

    error = _error(response, 401, "UNAUTHORIZED")
    assert error["detail"] == [{"Type": "repository", "Name": NAME, "Action": "pull"}]
    assert response.headers["www-authenticate"] == (
        f'Bearer realm="http://ghcr.test/token",service="ghcr.test",scope="repository:{NAME}:pull"')


def test_under_scoped_token_is_challenged_for_the_missing_action(client: httpx.Client) -> None:
    pull_only = {"Authorization": f"Bearer {_token(client, f'repository:{NAME}:pull').json()['token']}"}

    response = client.post(f"/v2/{NAME}/blobs/uploads/", headers=pull_only)
    other_repo = client.get("/v2/octo-org/other/tags/list", headers=pull_only)

    _error(response, 401, "UNAUTHORIZED")
    assert f'scope="repository:{NAME}:pull,push",error="insufficient_scope"' in response.headers["www-authenticate"]
    _error(other_repo, 401, "UNAUTHORIZED")


def test_a_token_got_with_write_credentials_pushes_the_repositories_it_names(client: httpx.Client) -> None:
    token = _token(client, f"repository:{NAME}:pull", creds=("octocat", TOKEN)).json()["token"]
    asked_pull = {"Authorization": f"Bearer {token}"}

    response = client.post(f"/v2/{NAME}/blobs/uploads/", headers=asked_pull)
    other_repo = client.get("/v2/octo-org/other/tags/list", headers=asked_pull)

    assert response.status_code == 202  # as on ghcr.io, the credentials decide, not the actions asked for
    _error(other_repo, 401, "UNAUTHORIZED")


def test_tokens_expire_on_the_emulated_clock(client: httpx.Client, clock: EmulatedClock) -> None:
    headers = _bearer(client)
    clock.advance(59)
    assert client.get(f"/v2/{NAME}/tags/list", headers=headers).status_code == 200

    clock.advance(1)

    _error(client.get(f"/v2/{NAME}/tags/list", headers=headers), 401, "UNAUTHORIZED")


def test_tampered_tokens_are_refused(client: httpx.Client) -> None:
    token = _token(client, f"repository:{NAME}:pull").json()["token"]
    body, signature = token.split(".")
    widened = base64.urlsafe_b64encode(
        base64.urlsafe_b64decode(body + "==").replace(b'"pull"', b'"push"')).decode().rstrip("=")

    for forged in (f"{widened}.{signature}", f"{body}.{'0' * 64}", "garbage"):
        response = client.post(f"/v2/{NAME}/blobs/uploads/", headers={"Authorization": f"Bearer {forged}"})
        _error(response, 401, "UNAUTHORIZED")


# -- tags ---------------------------------------------------------------------------------------------------
def _many_tags(state: RegistryState, count: int) -> list[str]:
    tags = [f"sha-{i:07x}" for i in range(count)]
    state.push_image("octo-org/many", tags, labels={})
    return sorted(tags)


def test_tags_page_at_100_by_default_and_links_to_the_rest(client: httpx.Client, state: RegistryState) -> None:
    expected = _many_tags(state, 250)
    headers = _bearer(client, "octo-org/many", "pull")
    seen: list[str] = []
    url: str | None = "/v2/octo-org/many/tags/list"
    pages = 0

    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert response.json()["name"] == "octo-org/many"
        seen += response.json()["tags"]
        pages += 1
        link = response.headers.get("link")
        url = link.split(">")[0].lstrip("<") if link else None

    assert pages == 3
    assert seen == expected


def test_tags_n_and_last(client: httpx.Client, state: RegistryState) -> None:
    tags = _many_tags(state, 5)
    headers = _bearer(client, "octo-org/many", "pull")

    page = client.get("/v2/octo-org/many/tags/list", params={"n": 2, "last": tags[0]}, headers=headers)
    tail = client.get("/v2/octo-org/many/tags/list", params={"n": 10, "last": tags[2]}, headers=headers)

    assert page.json()["tags"] == tags[1:3]
    assert page.headers["link"] == f'</v2/octo-org/many/tags/list?last={tags[2]}&n=2>; rel="next"'
    assert tail.json()["tags"] == tags[3:]
    assert "link" not in tail.headers
    assert client.get("/v2/octo-org/many/tags/list?n=0", headers=headers).json()["tags"] == []


def test_tags_errors(client: httpx.Client) -> None:
    headers = _bearer(client, "octo-org/unknown", "pull")

    _error(client.get("/v2/octo-org/unknown/tags/list", headers=headers), 404, "NAME_UNKNOWN")
    _error(client.get(f"/v2/{NAME}/tags/list?n=-1", headers=_bearer(client)), 400, "PAGINATION_NUMBER_INVALID")


# -- manifests ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_manifest_by_tag_and_digest(client: httpx.Client, state: RegistryState, method: str) -> None:
    stored = state.manifest(NAME, "main")
    assert stored is not None
    headers = {**_bearer(client), "Accept": ALL_TYPES}

    for reference in ("main", stored.digest):
        response = client.request(method, f"/v2/{NAME}/manifests/{reference}", headers=headers)
        assert response.status_code == 200
        assert response.headers["docker-content-digest"] == stored.digest
        assert response.headers["content-type"] == OCI_INDEX
        assert response.headers["content-length"] == str(len(stored.body))
        assert response.content == (stored.body if method == "GET" else b"")


def test_oci_manifest_is_not_served_when_accept_lacks_its_type(client: httpx.Client) -> None:
    headers = _bearer(client)

    missing = client.get(f"/v2/{NAME}/manifests/main", headers={**headers, "Accept": DOCKER_MANIFEST})
    repeated = client.get(f"/v2/{NAME}/manifests/main",
                          headers=[*headers.items(), ("Accept", DOCKER_MANIFEST), ("Accept", f"{OCI_INDEX};q=0.5")])

    assert "accept header does not support OCI indexes" in str(_error(missing, 404, "MANIFEST_UNKNOWN")["message"])
    assert repeated.status_code == 200


def test_manifest_errors(client: httpx.Client) -> None:
    headers = {**_bearer(client), "Accept": ALL_TYPES}

    assert _error(client.get(f"/v2/{NAME}/manifests/nope", headers=headers), 404, "MANIFEST_UNKNOWN")["detail"] == {
        "Tag": "nope"}
    _error(client.get(f"/v2/{NAME}/manifests/sha256:beef", headers=headers), 400, "DIGEST_INVALID")
    unknown = {**_bearer(client, "octo-org/unknown"), "Accept": ALL_TYPES}
    _error(client.get("/v2/octo-org/unknown/manifests/main", headers=unknown), 404, "MANIFEST_UNKNOWN")
    upper = {**_bearer(client, "Octo-Org/gateway"), "Accept": ALL_TYPES}
    _error(client.get("/v2/Octo-Org/gateway/manifests/main", headers=upper), 400, "NAME_INVALID")


def _upload(client: httpx.Client, headers: dict[str, str], data: bytes, name: str = NAME) -> str:
    digest = compute_digest(data)
    response = client.post(f"/v2/{name}/blobs/uploads/", params={"digest": digest}, content=data, headers=headers)
    assert response.status_code == 201, response.text
    return digest


def _image_manifest(client: httpx.Client, headers: dict[str, str], media_type: str = OCI_MANIFEST) -> bytes:
    config = _upload(client, headers, b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}}')
    layer = _upload(client, headers, b"not really gzip")
    return json.dumps({"schemaVersion": 2, "mediaType": media_type,
                       "config": {"mediaType": OCI_CONFIG, "digest": config, "size": 1},
                       "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": layer, "size": 1}]}).encode()


def test_put_manifest_by_tag_then_read_it_back(client: httpx.Client, state: RegistryState) -> None:
    headers = _bearer(client)
    body = _image_manifest(client, headers)

    response = client.put(f"/v2/{NAME}/manifests/v2", content=body, headers={**headers, "Content-Type": OCI_MANIFEST})

    digest = compute_digest(body)
    assert response.status_code == 201
    assert response.headers["docker-content-digest"] == digest
    assert response.headers["location"] == f"/v2/{NAME}/manifests/{digest}"
    read = client.get(f"/v2/{NAME}/manifests/v2", headers={**headers, "Accept": OCI_MANIFEST})
    assert read.content == body
    assert state.versions(NAME)[0].digest == digest


def test_docker_manifest_is_served_whatever_accept_says(client: httpx.Client) -> None:
    headers = _bearer(client)
    body = _image_manifest(client, headers, DOCKER_MANIFEST)
    digest = compute_digest(body)
    put = client.put(f"/v2/{NAME}/manifests/{digest}", content=body,
                     headers={**headers, "Content-Type": DOCKER_MANIFEST})
    assert put.status_code == 201

    response = client.get(f"/v2/{NAME}/manifests/{digest}", headers=headers)

    assert (response.status_code, response.headers["content-type"]) == (200, DOCKER_MANIFEST)


def test_put_manifest_refusals(client: httpx.Client) -> None:
    headers = {**_bearer(client), "Content-Type": OCI_MANIFEST}
    body = _image_manifest(client, headers)
    missing = body.replace(compute_digest(b"not really gzip").encode(), compute_digest(b"absent").encode())
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": compute_digest(b"nothing"), "size": 7}]}).encode()

    blob = _error(client.put(f"/v2/{NAME}/manifests/x", content=missing, headers=headers), 400, "MANIFEST_BLOB_UNKNOWN")
    assert blob["detail"] == compute_digest(b"absent")
    _error(client.put(f"/v2/{NAME}/manifests/x", content=index, headers={**headers, "Content-Type": OCI_INDEX}),
           400, "MANIFEST_BLOB_UNKNOWN")
    _error(client.put(f"/v2/{NAME}/manifests/{compute_digest(b'other')}", content=body, headers=headers),
           400, "DIGEST_INVALID")
    _error(client.put(f"/v2/{NAME}/manifests/.bad", content=body, headers=headers), 400, "TAG_INVALID")
    _error(client.put(f"/v2/{NAME}/manifests/x", content=b"{", headers=headers), 400, "MANIFEST_INVALID")
    _error(client.put(f"/v2/{NAME}/manifests/x", content=body, headers={**headers, "Content-Type": OCI_INDEX}),
           400, "MANIFEST_INVALID")
    upper = {**_bearer(client, "Octo/x"), "Content-Type": OCI_MANIFEST}
    _error(client.put("/v2/Octo/x/manifests/x", content=body, headers=upper), 400, "NAME_INVALID")


def test_delete_manifest_by_digest_and_tag(client: httpx.Client, state: RegistryState) -> None:
    headers = {**_bearer(client), "Accept": ALL_TYPES}
    stored = state.manifest(NAME, "main")
    assert stored is not None

    assert client.delete(f"/v2/{NAME}/manifests/sha-0123456", headers=headers).status_code == 202
    assert state.tags(NAME) == ["main"]
    assert client.delete(f"/v2/{NAME}/manifests/{stored.digest}", headers=headers).status_code == 202

    assert state.tags(NAME) == []
    _error(client.get(f"/v2/{NAME}/manifests/{stored.digest}", headers=headers), 404, "MANIFEST_UNKNOWN")
    _error(client.delete(f"/v2/{NAME}/manifests/{stored.digest}", headers=headers), 404, "MANIFEST_UNKNOWN")


# -- blobs and uploads --------------------------------------------------------------------------------------
def test_blob_get_head_and_errors(client: httpx.Client) -> None:
    headers = _bearer(client)
    digest = _upload(client, headers, b"hello")

    got = client.get(f"/v2/{NAME}/blobs/{digest}", headers=headers)
    head = client.head(f"/v2/{NAME}/blobs/{digest}", headers=headers)

    assert (got.status_code, got.content, got.headers["docker-content-digest"]) == (200, b"hello", digest)
    assert (head.status_code, head.headers["content-length"], head.content) == (200, "5", b"")
    _error(client.get(f"/v2/{NAME}/blobs/{compute_digest(b'x')}", headers=headers), 404, "BLOB_UNKNOWN")
    _error(client.get(f"/v2/{NAME}/blobs/sha256:zz", headers=headers), 400, "DIGEST_INVALID")
    _error(client.delete(f"/v2/{NAME}/blobs/{digest}", headers=headers), 405, "UNSUPPORTED")


# Byte ranges: each expected answer is what distribution 2.8.2 (Go's http.ServeContent) gave for a 10-byte blob on
# 127.0.0.1; tests/emulator/test_registry_real.py asks both registries the same and compares.
@pytest.mark.parametrize(("wanted", "status", "content_range", "body"), [
    ("bytes=0-1", 206, "bytes 0-1/10", b"ab"),
    ("bytes=-20", 206, "bytes 0-9/10", b"abcdefghij"),  # a suffix longer than the blob is the whole blob
    ("bytes=-0", 206, "bytes 10-9/10", b""),
    ("bytes=0-1,20-30", 206, "bytes 0-1/10", b"ab"),  # a range past the end is dropped, one remains
    ("bytes=0-1,", 206, "bytes 0-1/10", b"ab"),
    ("bytes=0-9,0-9", 200, None, b"abcdefghij"),  # more bytes than the blob has: the range is ignored
    ("bytes=", 200, None, b"abcdefghij"),
    ("bytes=20-30,40-50", 416, "bytes */10", None),  # nothing overlaps: the size is named
    ("bytes=5-1", 416, None, None),  # malformed: the whole header fails, no size
    ("bytes=0-1,a", 416, None, None),
    ("BYTES=0-1", 416, None, None),
    ("bytes = 0-1", 416, None, None),
])
def test_a_blob_answers_byte_ranges_as_distribution_does(client: httpx.Client, wanted: str, status: int,
                                                         content_range: str | None, body: bytes | None) -> None:
    headers = _bearer(client)
    digest = _upload(client, headers, b"abcdefghij")
    got = client.get(f"/v2/{NAME}/blobs/{digest}", headers={**headers, "Range": wanted})
    assert (got.status_code, got.headers.get("content-range")) == (status, content_range)
    if body is not None:
        assert (got.content, got.headers["accept-ranges"], got.headers["content-type"]) == (
            body, "bytes", "application/octet-stream")


def _parts(response: httpx.Response) -> list[tuple[str, str, bytes]]:
    """(Content-Range, Content-Type, data) of each part of a multipart/byteranges body."""
    kind, _, boundary = response.headers["content-type"].partition("; boundary=")
    assert kind == "multipart/byteranges"
    body = response.content
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert body.endswith(f"\r\n--{boundary}--\r\n".encode())
    chunks = body[len(boundary) + 4:-len(boundary) - 8].split(f"\r\n--{boundary}\r\n".encode())
    parts = []
    for chunk in chunks:
        head, _, data = chunk.partition(b"\r\n\r\n")
        fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        assert list(fields) == ["Content-Range", "Content-Type"]
        parts.append((fields["Content-Range"], fields["Content-Type"], data))
    return parts


def test_several_ranges_answer_206_multipart_byteranges_in_the_order_asked(client: httpx.Client) -> None:
    """Not 200 nor 416: distribution answers ``bytes=0-1,4-5`` with a multipart/byteranges 206, overlaps kept."""
    headers = _bearer(client)
    digest = _upload(client, headers, b"abcdefghij")
    blob = f"/v2/{NAME}/blobs/{digest}"
    got = client.get(blob, headers={**headers, "Range": "bytes=4-5, 0-1,1-2"})
    assert (got.status_code, got.headers.get("content-range"), got.headers["content-length"]) == (
        206, None, str(len(got.content)))
    octets = "application/octet-stream"
    assert _parts(got) == [("bytes 4-5/10", octets, b"ef"), ("bytes 0-1/10", octets, b"ab"),
                           ("bytes 1-2/10", octets, b"bc")]
    head = client.head(blob, headers={**headers, "Range": "bytes=0-1,4-5"})
    assert (head.status_code, head.headers["content-type"].startswith("multipart/byteranges; boundary="),
            head.content) == (206, True, b"")
    stale = client.get(blob, headers={**headers, "Range": "bytes=0-1,4-5", "If-Range": '"sha256:0"'})
    assert (stale.status_code, stale.content) == (200, b"abcdefghij")  # If-Range names another version
    fresh = client.get(blob, headers={**headers, "Range": "bytes=0-1,4-5", "If-Range": f'"{digest}"'})
    assert len(_parts(fresh)) == 2


def test_chunked_upload_with_ranges(client: httpx.Client) -> None:
    headers = _bearer(client)
    start = client.post(f"/v2/{NAME}/blobs/uploads/", headers=headers)
    assert (start.status_code, start.headers["range"]) == (202, "0-0")
    location = start.headers["location"]
    assert location == f"/v2/{NAME}/blobs/uploads/{start.headers['docker-upload-uuid']}"

    first = client.patch(location, content=b"abc", headers={**headers, "Content-Range": "0-2"})
    second = client.patch(first.headers["location"], content=b"def", headers=headers)
    status = client.get(location, headers=headers)
    wrong = client.patch(location, content=b"zz", headers={**headers, "Content-Range": "2-3"})
    done = client.put(location, params={"digest": compute_digest(b"abcdefg")}, content=b"g", headers=headers)

    assert (first.status_code, first.headers["range"]) == (202, "0-2")
    assert second.headers["range"] == "0-5"
    assert (status.status_code, status.headers["range"]) == (204, "0-5")
    _error(wrong, 416, "RANGE_INVALID")
    assert done.status_code == 201
    assert done.headers["location"] == f"/v2/{NAME}/blobs/{compute_digest(b'abcdefg')}"
    assert client.get(done.headers["location"], headers=headers).content == b"abcdefg"
    _error(client.get(location, headers=headers), 404, "BLOB_UPLOAD_UNKNOWN")


def test_upload_digest_mismatch_cancel_and_mount(client: httpx.Client) -> None:
    headers = _bearer(client)
    location = client.post(f"/v2/{NAME}/blobs/uploads/", headers=headers).headers["location"]

    _error(client.put(location, params={"digest": compute_digest(b"other")}, content=b"x", headers=headers),
           400, "DIGEST_INVALID")
    _error(client.put(location, content=b"x", headers=headers), 400, "DIGEST_INVALID")
    assert client.delete(location, headers=headers).status_code == 204
    _error(client.delete(location, headers=headers), 404, "BLOB_UPLOAD_UNKNOWN")
    _error(client.patch(location, content=b"x", headers=headers), 404, "BLOB_UPLOAD_UNKNOWN")
    mount = client.post(f"/v2/{NAME}/blobs/uploads/",
                        params={"mount": compute_digest(b"x"), "from": "octo-org/other"}, headers=headers)
    assert (mount.status_code, mount.headers["range"]) == (202, "0-0")
    monolithic = client.post(f"/v2/{NAME}/blobs/uploads/", params={"digest": compute_digest(b"y")}, content=b"z",
                             headers=headers)
    _error(monolithic, 400, "DIGEST_INVALID")


def test_absolute_locations_follow_the_request(state: RegistryState, clock: EmulatedClock) -> None:
    with _client(state, clock, "https://reg.example:8443", absolute_locations=True) as client:
        response = client.post(f"/v2/{NAME}/blobs/uploads/", headers=_bearer(client))

    assert response.headers["location"].startswith(f"https://reg.example:8443/v2/{NAME}/blobs/uploads/")


def test_unknown_routes_and_methods_answer_in_the_oci_envelope(client: httpx.Client) -> None:
    _error(client.get("/v2/_catalog/x"), 404, "NOT_FOUND")
    _error(client.post(f"/v2/{NAME}/tags/list"), 405, "UNSUPPORTED")


def test_a_generic_content_type_defers_to_the_body_media_type(client: httpx.Client) -> None:
    headers = _bearer(client)
    body = _image_manifest(client, headers)

    response = client.put(f"/v2/{NAME}/manifests/generic", content=body,
                          headers={**headers, "Content-Type": "application/json"})
    read = client.head(f"/v2/{NAME}/manifests/generic", headers={**headers, "Accept": OCI_MANIFEST})

    assert response.status_code == 201
    assert read.headers["content-type"] == OCI_MANIFEST


def test_odd_authorization_headers_get_a_challenge_not_a_crash(client: httpx.Client, clock: EmulatedClock) -> None:
    for value in ("Bearer ", "Bearer a.b.c", "Bearer .", "Basic Zm9vOmJhcg==", "Token x"):
        response = client.get(f"/v2/{NAME}/tags/list", headers={"Authorization": value})
        _error(response, 401, "UNAUTHORIZED")
    # A real server hands over latin-1 decoded headers (WSGITransport cannot send them): no TypeError either.
    assert TokenIssuer(now=clock.now, ttl_s=60).verify("caf\u00e9.\u00e9t\u00e9") is None


def test_a_failure_inside_the_app_is_an_oci_500_not_a_traceback(state: RegistryState, clock: EmulatedClock) -> None:
    def broken(user: str, password: str) -> bool:
        raise RuntimeError("credential store unavailable")

    app = make_registry_app(state, check_basic=broken, now=clock.now)
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://ghcr.test") as client:
        response = client.get("/token", auth=("octocat", TOKEN))

    error = _error(response, 500, "UNKNOWN")
    assert "RuntimeError: credential store unavailable" in str(error["message"])
    assert TOKEN not in response.text


def test_read_only_credentials_get_a_pull_only_token(state: RegistryState, clock: EmulatedClock) -> None:
    app = make_registry_app(state, check_basic=lambda user, password: password in (TOKEN, "read-only"), now=clock.now,
                            can_push=lambda user, password: password == TOKEN)
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://ghcr.test") as client:
        state.set_public(NAME, False)
        token = _token(client, f"repository:{NAME}:pull,push", creds=("octocat", "read-only")).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        assert client.get(f"/v2/{NAME}/tags/list", headers=headers).status_code == 200
        push = client.post(f"/v2/{NAME}/blobs/uploads/", headers=headers)
        writer = _bearer(client, actions="pull,push")
        assert client.post(f"/v2/{NAME}/blobs/uploads/", headers=writer).status_code == 202

    _error(push, 401, "UNAUTHORIZED")
    assert 'error="insufficient_scope"' in push.headers["www-authenticate"]
