"""``GET /user`` (who the token belongs to) and the API root (``GET /``, ``/api/v3/`` on GHES, which gh reads
the token's scopes from)."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from cicd_acceptance.emulator.github.payloads_actions import actor_id
from cicd_acceptance.emulator.github.payloads_repo import api_root_body, private_user_body
from cicd_acceptance.emulator.responses import Ctx, error, json_response

__all__ = ["USER_ROUTES"]


def get_user(ctx: Ctx) -> Response:
    if ctx.token.kind == "anonymous":
        return error(401, "Requires authentication", docs="https://docs.github.com/rest/users/users#get-the-authenticated-user")
    if ctx.token.kind == "github_token":  # an installation token is not a user
        return error(403, "Resource not accessible by integration",
                     docs="https://docs.github.com/rest/users/users#get-the-authenticated-user")
    identity = ctx.state.identity
    login = ctx.token.login
    user_id = identity.owner_id if login == identity.owner else actor_id(login)
    return json_response(private_user_body(ctx.urls, login, user_id, created_at=identity.created_at))


def api_root(ctx: Ctx) -> Response:
    return json_response(api_root_body(ctx.urls))


USER_ROUTES: dict[str, tuple[str, Callable[..., Response]]] = {
    "/": ("GET", api_root),
    "/user": ("GET", get_user),
}
