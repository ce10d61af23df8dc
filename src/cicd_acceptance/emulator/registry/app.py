"""The emulated ghcr.io: an OCI distribution v2 registry as a werkzeug WSGI app over a :class:`RegistryState`.

Routes (all errors in the OCI envelope ``{"errors": [{"code", "message", "detail"}]}``):

* ``GET /v2/`` and ``GET /token``: the docker token protocol (:mod:`registry_auth`). Anonymous tokens pull
  public repositories; HTTP Basic credentials (``check_basic``) get every requested action.
* ``GET /v2/<name>/tags/list``: lexical order, 100 per page unless ``n`` says otherwise, ``last`` continues,
  ``Link: <...>; rel="next"`` while more remain (ghcr.io pages; distribution 2.8 does not).
* ``HEAD|GET|PUT|DELETE /v2/<name>/manifests/<tag|digest>`` with content negotiation: an OCI manifest or index
  is a 404 ``MANIFEST_UNKNOWN`` unless its media type is in ``Accept`` (distribution 2.8's rule). Docker media
  types are served as stored whatever ``Accept`` says (distribution would convert to schema 1, which no
  current client wants).
* ``HEAD|GET /v2/<name>/blobs/<digest>`` and uploads: ``POST .../blobs/uploads/`` (``?digest=`` monolithic;
  ``?mount=`` answers 202 and starts a normal upload, as ghcr.io often does), ``PATCH`` (``Content-Range``
  checked), ``PUT ...?digest=`` (digest verified), ``GET`` (status) and ``DELETE`` (cancel). A blob ``GET`` with
  ``Range: bytes=...`` answers as distribution (Go's ``http.ServeContent``) does: 206 with ``Content-Range`` for
  one range, 206 ``multipart/byteranges`` for several, 416 when unsatisfiable, 200 when the ranges ask for more
  than the blob (:mod:`.ranges`); every blob answer but a 304/412 carries ``Accept-Ranges: bytes``.
* ``GET /v2/<name>/referrers/<digest>``: 404, as on ghcr.io, which has no referrers API; clients use the referrers
  tag schema (``sha256-<hex>`` tags), stored like any tag.

Choices where ghcr.io and distribution differ, and what is done here:

* The challenge on ``/v2/<name>/...`` names the real scope, ``repository:<name>:pull`` (``:pull,push`` for
  writes), as distribution does; ghcr.io sends a literal placeholder ``repository:user/image:pull``. Clients
  must build the scope from the name anyway, so the precise one is the more useful emulation.
* A token got at ``/token`` with credentials that may push grants pull and push on the repositories it names,
  whatever actions were asked for: ghcr.io authorizes by the credentials behind a token (its challenge's scope is a
  placeholder), and clients that reuse a first pull token for a push (oras-py) depend on it. Anonymous tokens and
  read-only credentials get exactly what they may have, as in distribution.
* ``Location`` headers are relative (``/v2/...``) like ghcr.io's unless ``absolute_locations=True``, which
  builds them from the request's scheme and host as distribution does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from cicd_acceptance.emulator.errors import OciRefused
from cicd_acceptance.emulator.registry.auth import TokenIssuer
from cicd_acceptance.emulator.registry.handlers import RegistryHandlers, oci_error
from cicd_acceptance.emulator.registry.state import RegistryState

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

__all__ = ["make_registry_app"]


def _url_map() -> Map:
    return Map([
        Rule("/v2/", endpoint="root", methods=["GET"]),
        Rule("/token", endpoint="token", methods=["GET"]),
        Rule("/v2/<path:name>/tags/list", endpoint="tags_list", methods=["GET"]),
        Rule("/v2/<path:name>/manifests/<reference>", endpoint="manifest",
             methods=["GET", "HEAD", "PUT", "DELETE"]),
        Rule("/v2/<path:name>/blobs/uploads/", endpoint="upload_start", methods=["POST"]),
        Rule("/v2/<path:name>/blobs/uploads/<upload_id>", endpoint="upload",
             methods=["GET", "PATCH", "PUT", "DELETE"]),
        Rule("/v2/<path:name>/blobs/<digest>", endpoint="blob", methods=["GET", "HEAD", "DELETE"]),
        Rule("/v2/<path:name>/referrers/<digest>", endpoint="referrers", methods=["GET"]),
    ], strict_slashes=False, merge_slashes=False)


def make_registry_app(registry: RegistryState, *, check_basic: Callable[[str, str], bool],
                      now: Callable[[], datetime], token_ttl_s: int = 300,
                      absolute_locations: bool = False,
                      can_push: Callable[[str, str], bool] | None = None) -> WSGIApplication:
    """The registry's WSGI app; mount it for ``/v2/...`` and ``/token``.

    Parameters: ``registry`` the state it serves; ``check_basic(user, password)`` says whether HTTP Basic
    credentials sent to ``/token`` are good; ``now`` the emulator clock (token expiry); ``token_ttl_s`` how long
    a bearer token lives; ``absolute_locations`` whether upload ``Location`` headers carry scheme and host;
    ``can_push(user, password)`` whether good credentials may also push and delete (default: all may), so a
    read-only token gets a pull-only bearer token, as a token without ``write:packages`` does on ghcr.io.
    """
    handlers = RegistryHandlers(registry, TokenIssuer(now=now, ttl_s=token_ttl_s), check_basic=check_basic,
                                can_push=can_push or check_basic, now=now, absolute_locations=absolute_locations)
    url_map = _url_map()

    @Request.application
    def app(request: Request) -> Response:
        try:
            endpoint, args = url_map.bind_to_environ(request.environ).match()
        except MethodNotAllowed:
            return oci_error(405, "UNSUPPORTED", f"{request.method} is not supported on {request.path}")
        except HTTPException:
            return oci_error(404, "NOT_FOUND", f"no registry route for {request.path}")
        try:
            response: Response = getattr(handlers, endpoint)(request, **args)
        except OciRefused as exc:
            return oci_error(exc.status_code, exc.code, exc.message, exc.detail)
        except Exception as exc:  # an emulator bug: answer like distribution (500 UNKNOWN), not with a traceback
            return oci_error(500, "UNKNOWN", f"emulated registry failed: {type(exc).__name__}: {exc}")
        return response

    wsgi_app: WSGIApplication = app
    return wsgi_app
