"""Route handlers of the emulated registry: HTTP in, :class:`RegistryState` calls, OCI-shaped HTTP out.

Kept thin on purpose (the moto ``responses.py`` shape): grammar, storage and digests live in the state; token
signing in :mod:`registry_auth`; this module maps requests and answers. See :mod:`registry_app` for the
behaviour each route emulates.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from werkzeug.http import parse_etags
from werkzeug.wrappers import Request, Response

from cicd_acceptance.emulator.registry.auth import Grant, TokenIssuer, parse_basic, parse_scopes
from cicd_acceptance.emulator.registry.content import rfc3339
from cicd_acceptance.emulator.registry.grammar import OCI_INDEX, OCI_TYPES, is_valid_digest, is_valid_name
from cicd_acceptance.emulator.registry.ranges import RangeNotSatisfiable, multipart_byteranges, parse_ranges
from cicd_acceptance.emulator.registry.state import RegistryState, StoredManifest

__all__ = ["DEFAULT_PAGE_SIZE", "RegistryHandlers", "oci_error"]

# ghcr.io answers 100 tags per page when the client does not send n (argocd-image-updater#1660).
DEFAULT_PAGE_SIZE = 100
_API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}


def oci_error(status: int, code: str, message: str, detail: object = None,
              headers: dict[str, str] | None = None) -> Response:
    """An error in the OCI distribution envelope."""
    body = {"errors": [{"code": code, "message": message, "detail": detail}]}
    return _json(body, status, headers)


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8",
                    headers={**_API_VERSION, **(headers or {})})


def _empty(status: int, headers: dict[str, str]) -> Response:
    return Response(b"", status=status, headers={**_API_VERSION, **headers, "Content-Length": "0"})


class RegistryHandlers:
    """One method per route endpoint (names match the rules in :func:`registry_app._url_map`)."""

    def __init__(self, registry: RegistryState, issuer: TokenIssuer, *, check_basic: Callable[[str, str], bool],
                 can_push: Callable[[str, str], bool], now: Callable[[], datetime], absolute_locations: bool) -> None:
        self._registry = registry
        self._issuer = issuer
        self._check_basic = check_basic
        self._can_push = can_push
        self._now = now
        self._absolute = absolute_locations

    # -- auth -----------------------------------------------------------------------------------------------
    def root(self, request: Request) -> Response:
        """``GET /v2/``: 200 ``{}`` with any valid token, else the Bearer challenge."""
        if self._grant(request) is None:
            return self._challenge(request, None, "authentication required")
        return _json({})

    def token(self, request: Request) -> Response:
        """``GET /token``: anonymous pull of public repositories, everything with good Basic credentials."""
        scopes = parse_scopes(request.args.getlist("scope"))
        if scopes is None:
            return oci_error(400, "UNSUPPORTED", f"malformed scope {request.args.getlist('scope')!r}")
        credentials = parse_basic(request.headers.get("Authorization"))
        if request.headers.get("Authorization") and (credentials is None or not self._check_basic(*credentials)):
            return oci_error(401, "UNAUTHORIZED", "bad credentials for the token endpoint")
        granted = [(s.name, a) for s in scopes for a in s.actions]
        if credentials is not None and self._can_push(*credentials):
            # ghcr.io authorizes by the credentials behind a token, not by the actions asked for (its challenge
            # names a placeholder scope, yet tokens got for it work on real repositories): a token got with
            # write credentials may pull and push the repositories it names. Clients that keep the token of a
            # first pull for a later push (oras-py) rely on it.
            granted += [(s.name, a) for s in scopes for a in ("pull", "push") if a not in s.actions]
        elif credentials is not None:
            # The token protocol grants the permitted subset; the push itself then meets insufficient_scope.
            granted = [(n, a) for n, a in granted if a == "pull"]
        if credentials is None:
            refused = [(n, a) for n, a in granted if a != "pull" or not self._anonymous_pull(n)]
            if refused:
                return oci_error(401, "UNAUTHORIZED", "authentication required (private, unknown or push)",
                                 [{"Type": "repository", "Name": n, "Action": a} for n, a in refused])
        token = self._issuer.issue(granted)
        return _json({"token": token, "access_token": token, "expires_in": self._issuer.ttl_s,
                      "issued_at": rfc3339(self._now())})

    # -- tags and manifests ----------------------------------------------------------------------------
    def tags_list(self, request: Request, name: str) -> Response:
        """``GET /v2/<name>/tags/list`` paged with ``n``/``last`` and a ``Link`` to the next page."""
        if (denied := self._require(request, name, "pull")) is not None:
            return denied
        if not self._registry.has_repository(name):
            return oci_error(404, "NAME_UNKNOWN", "repository name not known to registry", {"name": name})
        raw_n = request.args.get("n")
        if raw_n is not None and not raw_n.isdigit():
            return oci_error(400, "PAGINATION_NUMBER_INVALID", f"invalid number of results requested: {raw_n!r}")
        size = int(raw_n) if raw_n is not None else DEFAULT_PAGE_SIZE
        last = request.args.get("last", "")
        remaining = [t for t in self._registry.tags(name) if t > last]
        page = remaining[:size]
        headers = {}
        if page and len(remaining) > size:
            query = urlencode({"last": page[-1], "n": size})
            headers["Link"] = f'</v2/{name}/tags/list?{query}>; rel="next"'
        return _json({"name": name, "tags": page}, headers=headers)

    def manifest(self, request: Request, name: str, reference: str) -> Response:
        """``HEAD|GET|PUT|DELETE /v2/<name>/manifests/<reference>``."""
        action = {"PUT": "push", "DELETE": "delete"}.get(request.method, "pull")
        if (denied := self._require(request, name, action)) is not None:
            return denied
        if request.method == "PUT":
            stored = self._registry.put_manifest(name, reference, request.get_data(), request.content_type)
            return _empty(201, {"Location": self._location(request, f"/v2/{name}/manifests/{stored.digest}"),
                                "Docker-Content-Digest": stored.digest})
        if request.method == "DELETE":
            if self._registry.delete_manifest(name, reference):
                return _empty(202, {})
            return oci_error(404, "MANIFEST_UNKNOWN", "manifest unknown", _reference_detail(reference))
        return self._get_manifest(request, name, reference)

    def _get_manifest(self, request: Request, name: str, reference: str) -> Response:
        if ":" in reference and not is_valid_digest(reference):
            return oci_error(400, "DIGEST_INVALID", f"invalid digest {reference!r}")
        stored = self._registry.manifest(name, reference)
        if stored is None:
            # Distribution says MANIFEST_UNKNOWN for an unknown repository too (checked against 2.8.2).
            return oci_error(404, "MANIFEST_UNKNOWN", "manifest unknown", _reference_detail(reference))
        if stored.media_type in OCI_TYPES and stored.media_type not in _accepted(request):
            kind, plural = ("index", "indexes") if stored.media_type == OCI_INDEX else ("manifest", "manifests")
            return oci_error(404, "MANIFEST_UNKNOWN",
                             f"OCI {kind} found, but accept header does not support OCI {plural}")
        return _manifest_response(stored)

    # -- blobs and uploads ------------------------------------------------------------------------------
    def blob(self, request: Request, name: str, digest: str) -> Response:
        """``HEAD|GET /v2/<name>/blobs/<digest>``; DELETE is unsupported, as in a default distribution."""
        if (denied := self._require(request, name, "delete" if request.method == "DELETE" else "pull")) is not None:
            return denied
        if request.method == "DELETE":
            return oci_error(405, "UNSUPPORTED", "blob deletion is not supported")
        if not is_valid_digest(digest):
            return oci_error(400, "DIGEST_INVALID", f"invalid digest {digest!r}")
        data = self._registry.blob(name, digest)
        if data is None:
            return oci_error(404, "BLOB_UNKNOWN", "blob unknown to registry", digest)
        response = Response(data, content_type="application/octet-stream",
                            headers={**_API_VERSION, "Docker-Content-Digest": digest, "ETag": f'"{digest}"'})
        response.make_conditional(request)  # If-None-Match: 304, If-Match: 412 (neither says Accept-Ranges)
        if response.status_code != 200:
            return response
        response.headers["Accept-Ranges"] = "bytes"
        if not _range_applies(request, digest):
            return response
        # Byte ranges as distribution serves them (resumed pulls rely on them): see registry/ranges.py.
        try:
            ranges = parse_ranges(request.headers.get("Range", ""), len(data))
        except RangeNotSatisfiable as exc:
            size = {"Content-Range": f"bytes */{len(data)}"} if exc.no_overlap else {}
            return Response(f"{exc}\n", status=416, content_type="text/plain; charset=utf-8",
                            headers={**_API_VERSION, **size})
        if len(ranges) == 1:
            part = ranges[0]
            response.set_data(data[part.start:part.start + part.length])
            response.status_code = 206
            response.headers["Content-Range"] = part.content_range(len(data))
        elif ranges:
            content_type, body = multipart_byteranges(data, ranges, "application/octet-stream")
            response.set_data(body)
            response.status_code = 206
            response.headers["Content-Type"] = content_type
        return response

    def referrers(self, request: Request, name: str, digest: str) -> Response:
        """``GET /v2/<name>/referrers/<digest>``: ghcr.io does not implement the OCI 1.1 referrers API and answers
        404, so clients fall back to the referrers tag schema (an index tagged ``sha256-<hex>``), which the
        manifest routes store like any other tag. A manifest with a ``subject`` is accepted without the
        ``OCI-Subject`` header, which is how a client learns it must maintain that tag itself."""
        if (denied := self._require(request, name, "pull")) is not None:
            return denied
        return oci_error(404, "NOT_FOUND", "404 page not found", {"name": name, "digest": digest})

    def upload_start(self, request: Request, name: str) -> Response:
        """``POST /v2/<name>/blobs/uploads/``: monolithic with ``?digest=``, otherwise open a session (202)."""
        if (denied := self._require(request, name, "push")) is not None:
            return denied
        digest = request.args.get("digest")
        if digest is not None:
            self._registry.put_blob(name, digest, request.get_data())
            return self._blob_created(request, name, digest)
        # ?mount= is deliberately not honoured: ghcr.io often answers a mount with 202 too, and clients must cope.
        upload_id = self._registry.start_upload(name)
        return self._upload_status(request, name, upload_id, 0, 202)

    def upload(self, request: Request, name: str, upload_id: str) -> Response:
        """``GET|PATCH|PUT|DELETE /v2/<name>/blobs/uploads/<id>``."""
        if (denied := self._require(request, name, "pull" if request.method == "GET" else "push")) is not None:
            return denied
        if request.method == "PATCH":
            size = self._registry.append_upload(name, upload_id, request.get_data(),
                                                start=_range_start(request.headers.get("Content-Range")))
            return self._upload_status(request, name, upload_id, size, 202)
        if request.method == "PUT":
            digest = request.args.get("digest", "")
            self._registry.finish_upload(name, upload_id, digest, request.get_data())
            return self._blob_created(request, name, digest)
        if request.method == "DELETE":
            if self._registry.cancel_upload(name, upload_id):
                return _empty(204, {})
        elif (size_now := self._registry.upload_size(name, upload_id)) is not None:
            return self._upload_status(request, name, upload_id, size_now, 204)
        return oci_error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", {"upload": upload_id})

    def _upload_status(self, request: Request, name: str, upload_id: str, size: int, status: int) -> Response:
        # Distribution reports an empty session as "0-0", not "0--1".
        return _empty(status, {"Location": self._location(request, f"/v2/{name}/blobs/uploads/{upload_id}"),
                               "Range": f"0-{max(size - 1, 0)}", "Docker-Upload-UUID": upload_id})

    def _blob_created(self, request: Request, name: str, digest: str) -> Response:
        return _empty(201, {"Location": self._location(request, f"/v2/{name}/blobs/{digest}"),
                            "Docker-Content-Digest": digest})

    # -- helpers ------------------------------------------------------------------------------------
    def _grant(self, request: Request) -> Grant | None:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        return self._issuer.verify(header[7:].strip())

    def _require(self, request: Request, name: str, action: str) -> Response | None:
        """None when the bearer token allows ``action`` on ``name``; else the 401 challenge (or NAME_INVALID)."""
        grant = self._grant(request)
        if grant is None or not grant.allows(name, action):
            actions = "pull" if action == "pull" else f"pull,{action}"
            scope = f"repository:{name}:{actions}"
            return self._challenge(request, scope, "authentication required",
                                   [{"Type": "repository", "Name": name, "Action": action}],
                                   insufficient=grant is not None)
        if not is_valid_name(name):
            return oci_error(400, "NAME_INVALID", f"invalid repository name {name!r}", {"name": name})
        return None

    def _challenge(self, request: Request, scope: str | None, message: str, detail: object = None, *,
                   insufficient: bool = False) -> Response:
        host = request.host
        value = f'Bearer realm="{request.scheme}://{host}/token",service="{host}"'
        if scope:
            value += f',scope="{scope}"'
        if insufficient:
            value += ',error="insufficient_scope"'
        return oci_error(401, "UNAUTHORIZED", message, detail, {"WWW-Authenticate": value})

    def _location(self, request: Request, path: str) -> str:
        return f"{request.scheme}://{request.host}{path}" if self._absolute else path

    def _anonymous_pull(self, name: str) -> bool:
        return self._registry.has_repository(name) and self._registry.is_public(name)


def _manifest_response(stored: StoredManifest) -> Response:
    return Response(stored.body, content_type=stored.media_type,
                    headers={**_API_VERSION, "Docker-Content-Digest": stored.digest, "ETag": f'"{stored.digest}"'})


def _reference_detail(reference: str) -> dict[str, str]:
    """Distribution's detail for MANIFEST_UNKNOWN: ``{"Tag": ...}`` or ``{"Digest": ...}``."""
    return {"Digest": reference} if is_valid_digest(reference) else {"Tag": reference}


def _accepted(request: Request) -> set[str]:
    """Media types the client lists in its (possibly repeated) Accept headers, parameters stripped."""
    return {part.split(";")[0].strip() for header in request.headers.getlist("Accept") for part in header.split(",")}


def _range_applies(request: Request, digest: str) -> bool:
    """False when ``If-Range`` names another version than this blob's ETag (the whole blob is sent then); a date
    never matches, as distribution serves blobs without a modification time."""
    condition = request.headers.get("If-Range")
    if not condition:
        return True
    return condition.startswith('"') and parse_etags(condition).contains(digest)


def _range_start(content_range: str | None) -> int | None:
    """The start of ``Content-Range: <start>-<end>`` (distribution's form, no ``bytes`` unit); None if absent."""
    if not content_range:
        return None
    start = content_range.removeprefix("bytes ").split("-")[0].strip()
    return int(start) if start.isdigit() else None
