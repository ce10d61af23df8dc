"""A small GHCR-like registry as an ``httpx.MockTransport`` handler, for the client's unit tests.

It behaves as ghcr.io is documented by GitHub: a Bearer challenge with the literal placeholder scope, a
token endpoint that is anonymous for public packages and needs HTTP Basic for private ones, content negotiation
on manifests (404 MANIFEST_UNKNOWN when the stored type is not in ``Accept``, as distribution 2.8 does), blobs
redirected to a storage host, and tag pages with ``n``/``last``/``Link``. Every request is logged so tests can
assert exactly what went over the wire.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field

import httpx

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
STORAGE_HOST = "pkg-containers.example.net"


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def canonical(data: object) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def errors_body(code: str, message: str) -> dict[str, object]:
    return {"errors": [{"code": code, "message": message}]}


@dataclass
class FakeRegistry:
    host: str = "ghcr.io"
    realm_host: str | None = None
    realm_scheme: str = "https"
    private: bool = False
    require_auth: bool = True
    username: str = "octocat"
    password: str = "pat-SECRET-123"
    expires_in: int | None = None
    redirect_blobs: bool = True
    log: list[httpx.Request] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    manifests: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    valid_tokens: set[str] = field(default_factory=set)
    tamper_manifests: bool = False
    tamper_blobs: bool = False
    fail_next: list[int] = field(default_factory=list)
    anonymous_token_for_private: bool = False   # hand out anonymous tokens the registry then refuses
    omit_digest_header: bool = False
    deny_manifests: bool = False
    anonymous_tokens: set[str] = field(default_factory=set)

    # ---- seeding -------------------------------------------------------------------------------------------
    def add_blob(self, body: bytes) -> str:
        digest = digest_of(body)
        self.blobs[digest] = body
        return digest

    def add_manifest(self, name: str, body: bytes, media_type: str, tag: str | None = None) -> str:
        digest = digest_of(body)
        self.manifests[digest] = (body, media_type)
        if tag is not None:
            self.tags.setdefault(name, {})[tag] = digest
        return digest

    def platform_manifest(self, name: str, platform: str, labels: dict[str, str], created: str) -> tuple[str, int]:
        os_name, arch = platform.split("/")[:2]
        config = canonical({"architecture": arch, "os": os_name, "created": created,
                            "config": {"Labels": labels}, "rootfs": {"type": "layers", "diff_ids": []}})
        config_digest = self.add_blob(config)
        body = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
                          "layers": []})
        return self.add_manifest(name, body, OCI_MANIFEST), len(body)

    def push_image(self, name: str, tags: list[str], *, platforms: dict[str, dict[str, str]],
                   created: str = "2026-11-27T08:00:00.123456789Z", attestation: bool = True) -> str:
        """Push an OCI index (plus a buildx-style attestation manifest) and point ``tags`` at it."""
        entries = []
        for platform, labels in platforms.items():
            digest, size = self.platform_manifest(name, platform, labels, created)
            os_name, arch = platform.split("/")[:2]
            entries.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
                            "platform": {"os": os_name, "architecture": arch}})
        if attestation:
            digest, size = self.platform_manifest(name, "unknown/unknown", {}, created)
            subject = entries[0]["digest"] if entries else digest
            entries.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
                            "platform": {"os": "unknown", "architecture": "unknown"},
                            "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                                            "vnd.docker.reference.digest": subject}})
        index = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
        digest = self.add_manifest(name, index, OCI_INDEX)
        for tag in tags:
            self.tags.setdefault(name, {})[tag] = digest
        return digest

    # ---- serving -------------------------------------------------------------------------------------------
    def requests_to(self, path_part: str) -> list[httpx.Request]:
        return [r for r in self.log if path_part in str(r.url)]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        if self.fail_next:
            return httpx.Response(self.fail_next.pop(0), json=errors_body("UNAVAILABLE", "try later"))
        if request.url.host == STORAGE_HOST:
            return self._storage(request)
        if request.url.path == "/token":
            return self._token(request)
        if self.require_auth and not self._authorised(request):
            realm = f"{self.realm_scheme}://{self.realm_host or self.host}/token"
            challenge = f'Bearer realm="{realm}",service="ghcr.io",scope="repository:user/image:pull"'
            return httpx.Response(401, headers={"www-authenticate": challenge},
                                  json=errors_body("UNAUTHORIZED", "authentication required"))
        return self._v2(request)

    def _authorised(self, request: httpx.Request) -> bool:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        if token in self.anonymous_tokens and self.private:
            return False
        return token in self.valid_tokens

    def _token(self, request: httpx.Request) -> httpx.Response:
        basic = request.headers.get("authorization", "")
        good = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if basic and basic != good:
            return httpx.Response(401, json=errors_body("UNAUTHORIZED", "bad credentials"))
        if self.private and not basic and not self.anonymous_token_for_private:
            return httpx.Response(401, json=errors_body("UNAUTHORIZED", "authentication required"))
        token = f"bearer-{len(self.valid_tokens)}"
        self.valid_tokens.add(token)
        if not basic:
            self.anonymous_tokens.add(token)
        body: dict[str, object] = {"token": token}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return httpx.Response(200, json=body)

    def _v2(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if "/manifests/" in path:
            name, ref = path[4:].split("/manifests/")
            return self._manifest(request, name, ref)
        if "/blobs/" in path:
            digest = path.rsplit("/", 1)[1]
            if digest not in self.blobs:
                return httpx.Response(404, json=errors_body("BLOB_UNKNOWN", "blob unknown"))
            if self.redirect_blobs:
                return httpx.Response(307, headers={"location": f"https://{STORAGE_HOST}/blob/{digest}"})
            return httpx.Response(200, content=self._blob_body(digest))
        if path.endswith("/tags/list"):
            return self._tags(request, path[4:-len("/tags/list")])
        return httpx.Response(404, json=errors_body("NOT_FOUND", path))

    def _blob_body(self, digest: str) -> bytes:
        return self.blobs[digest] + (b" " if self.tamper_blobs else b"")

    def _storage(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=self._blob_body(request.url.path.rsplit("/", 1)[1]))

    def _manifest(self, request: httpx.Request, name: str, ref: str) -> httpx.Response:
        if name not in self.tags:
            return httpx.Response(404, json=errors_body("NAME_UNKNOWN", "repository name not known"))
        digest = ref if ref.startswith("sha256:") else self.tags[name].get(ref)
        if digest is None or digest not in self.manifests:
            return httpx.Response(404, json=errors_body("MANIFEST_UNKNOWN", "manifest unknown"))
        body, media_type = self.manifests[digest]
        if media_type not in request.headers.get("accept", ""):
            return httpx.Response(404, json=errors_body("MANIFEST_UNKNOWN", "manifest unknown"))
        if self.deny_manifests:
            return httpx.Response(403, json=errors_body("DENIED", "requested access to the resource is denied"))
        if self.tamper_manifests:
            body = body.replace(b"linux", b"LINUX")
        headers = {"docker-content-digest": digest, "content-type": media_type, "content-length": str(len(body))}
        if self.omit_digest_header:
            del headers["docker-content-digest"]
        return httpx.Response(200, headers=headers, content=b"" if request.method == "HEAD" else body)

    def _tags(self, request: httpx.Request, name: str) -> httpx.Response:
        if name not in self.tags:
            return httpx.Response(404, json=errors_body("NAME_UNKNOWN", "repository name not known"))
        every = sorted(self.tags[name])
        n = int(request.url.params.get("n", "100"))
        last = request.url.params.get("last")
        start = every.index(last) + 1 if last in every else 0
        page = every[start : start + n]
        headers = {}
        if start + n < len(every):
            headers["link"] = f'</v2/{name}/tags/list?n={n}&last={page[-1]}>; rel="next"'
        return httpx.Response(200, headers=headers, json={"name": name, "tags": page})
