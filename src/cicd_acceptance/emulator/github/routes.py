"""The GitHub REST API as a WSGI app: routing, authentication, rate limits, ETags and GitHub's headers.

Served at the root (api.github.com style) and under ``/api/v3`` (GHES style); absolute URLs in bodies and
``Link`` headers use the request's scheme, host and prefix. Order per request: route -> token (401 for an
unknown one) -> primary limit (403 when used up) -> handler -> conditional request (a 304 is not charged) ->
charge and ``x-ratelimit-*`` headers.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from email.utils import format_datetime
from typing import TYPE_CHECKING

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from cicd_acceptance.emulator.auth import ANONYMOUS, TokenInfo, parse_authorization
from cicd_acceptance.emulator.github.payloads_repo import Urls
from cicd_acceptance.emulator.github.routes_actions import ACTIONS_ROUTES
from cicd_acceptance.emulator.github.routes_commits import COMMIT_ROUTES
from cicd_acceptance.emulator.github.routes_repos import REPO_ROUTES
from cicd_acceptance.emulator.github.routes_run_control import RUN_CONTROL_ROUTES
from cicd_acceptance.emulator.github.routes_run_files import RUN_FILE_ROUTES
from cicd_acceptance.emulator.github.routes_user import USER_ROUTES
from cicd_acceptance.emulator.responses import DOCS, Ctx, error, split_api_prefix

if TYPE_CHECKING:
    from cicd_acceptance.emulator.state import EmulatorState

__all__ = ["GitHubApi", "route_template"]

_UNCHARGED = frozenset({"/rate_limit"})
_PAT_SCOPES = "read:org, repo, workflow, write:packages"  # what gh needs (repo, read:org) and more
_READ_ONLY_SCOPES = "read:packages"


def route_template(rule: str) -> str:
    """``/repos/<owner>/<int:run_id>`` -> ``/repos/{owner}/{run_id}`` (how the request log names routes)."""
    out, rest = [], rule
    while "<" in rest:
        head, _, tail = rest.partition("<")
        inner, _, rest = tail.partition(">")
        out.append(head + "{" + inner.split(":")[-1] + "}")
    return "".join(out) + rest


class GitHubApi:
    """Answers one GitHub API request; ``handle`` returns the response and the route template matched."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.handlers: dict[str, Callable[..., Response]] = {}
        rules = []
        routes = {**USER_ROUTES, **REPO_ROUTES, **COMMIT_ROUTES, **ACTIONS_ROUTES, **RUN_CONTROL_ROUTES,
                  **RUN_FILE_ROUTES}
        for path, (method, handler) in routes.items():
            self.handlers[path] = handler
            rules.append(Rule(path, endpoint=path, methods=[method], strict_slashes=False))
        self.url_map = Map(rules, merge_slashes=False)

    def route_for(self, request: Request) -> str:
        """The request log's name for the route ``request`` matches (``GET (unknown)`` when none)."""
        try:
            endpoint, _ = self.url_map.bind("emulator").match(split_api_prefix(request.path)[1],
                                                              method=request.method)
        except HTTPException:
            return f"{request.method} (unknown)"
        return f"{request.method} {route_template(str(endpoint))}"

    def handle(self, request: Request) -> tuple[Response, str, bool]:
        """(response, route, counted)."""
        prefix, path = split_api_prefix(request.path)
        host = request.host_url.rstrip("/")
        urls = Urls(api=host + prefix, html=host)
        adapter = self.url_map.bind(request.host, script_name=prefix or None, url_scheme=request.scheme)
        try:
            endpoint, args = adapter.match(path, method=request.method)
        except HTTPException:  # no such route, or a method it does not take: GitHub answers 404 for both
            return self.finish(request, error(404, "Not Found", docs=DOCS), None), f"{request.method} (unknown)", False
        route = f"{request.method} {route_template(str(endpoint))}"
        token = self.token_for(request)
        if token is None:
            return self.finish(request, error(401, "Bad credentials", docs=DOCS), None), route, False
        response, counted = self._serve(request, urls, token, str(endpoint), args)
        return response, route, counted

    def token_for(self, request: Request) -> TokenInfo | None:
        value = parse_authorization(request.headers.get("Authorization"))
        if value is None:
            return ANONYMOUS
        return self.state.tokens.lookup(value)

    def _serve(self, request: Request, urls: Urls, token: TokenInfo, endpoint: str,
               args: Mapping[str, object]) -> tuple[Response, bool]:
        state = self.state
        if state.rate.peek(token).remaining == 0 and endpoint not in _UNCHARGED:
            message = f"API rate limit exceeded for user ID {token.user_id}."
            docs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
            return self.finish(request, error(403, message, docs=docs), token), False
        if "owner" in args and "repo" in args and f"{args['owner']}/{args['repo']}".lower() != state.repository.lower():
            response = error(404, "Not Found", docs=DOCS)
        else:
            ctx = Ctx(state=state, request=request, urls=urls, token=token, now=state.now())
            with state.github.lock:
                response = self.handlers[endpoint](ctx, **args)
        if request.method == "GET" and response.status_code == 200:
            etag = 'W/"' + hashlib.sha256(response.get_data()).hexdigest() + '"'
            response.headers["ETag"] = etag
            if etag in _if_none_match(request):
                return self.finish(request, Response(status=304, headers={"ETag": etag}), token), False
        counted = endpoint not in _UNCHARGED
        if counted:
            state.rate.charge(token)
        return self.finish(request, response, token), counted

    def finish(self, request: Request, response: Response, token: TokenInfo | None) -> Response:
        headers = response.headers
        headers["Date"] = format_datetime(self.state.now(), usegmt=True)
        headers["x-github-request-id"] = uuid.uuid4().hex[:8].upper() + ":" + uuid.uuid4().hex[:8].upper()
        headers["x-github-api-version-selected"] = _api_version(request)
        headers["x-github-media-type"] = "github.v3; format=json"
        if token is not None:
            for key, value in self.state.rate.peek(token).headers().items():
                headers[key] = value
            if token.kind == "pat":  # a classic token's scopes, which gh auth status reads (from GET /)
                headers["X-OAuth-Scopes"] = _PAT_SCOPES if token.write else _READ_ONLY_SCOPES
        return response


_API_VERSIONS = ("2022-11-28", "2026-03-10")   # the versions GitHub serves (default first)


def _api_version(request: Request) -> str:
    """The API version GitHub would select: the requested one when it is served, else the default."""
    asked = request.headers.get("X-GitHub-Api-Version", "").strip()
    return asked if asked in _API_VERSIONS else _API_VERSIONS[0]


def _if_none_match(request: Request) -> set[str]:
    raw = request.headers.get("If-None-Match", "")
    tags = {part.strip() for part in raw.split(",") if part.strip()}
    # Weak comparison, as GitHub does: a strong form of our weak tag matches too.
    return tags | {f"W/{tag}" for tag in tags if not tag.startswith("W/")}
