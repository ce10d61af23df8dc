"""``POST /graphql`` (``/api/graphql`` on GHES): queries parsed and validated against GitHub's public schema with
graphql-core, then answered from the emulator's state (:mod:`.graphql_resolvers`).

As on GitHub, a query that does not parse or validate answers 200 with ``errors`` only, and a field that cannot be
resolved is ``null`` with an error naming it (``type: NOT_FOUND`` for a missing repository or pull request).
When the schema is not installed every query answers 501 with a message saying how to install it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLSchema, execute_sync, parse, validate
from werkzeug.wrappers import Request, Response

from cicd_acceptance.emulator.auth import TokenInfo
from cicd_acceptance.emulator.github.graphql_resolvers import GraphObjects, resolve_field, resolve_type
from cicd_acceptance.emulator.github.graphql_schema import load_schema
from cicd_acceptance.emulator.github.payloads_repo import Urls
from cicd_acceptance.emulator.responses import Ctx, error, json_response
from cicd_acceptance.errors import ToolMissing

if TYPE_CHECKING:
    from cicd_acceptance.emulator.state import EmulatorState

__all__ = ["GRAPHQL_PATHS", "answer_graphql"]

GRAPHQL_PATHS = frozenset({"/graphql", "/api/graphql"})
_DOCS = "https://docs.github.com/graphql"
_MAX_ERRORS = 20


def _error_body(exc: GraphQLError) -> dict[str, Any]:
    body: dict[str, Any] = dict(exc.formatted)
    extensions = body.pop("extensions", None) or {}
    if "type" in extensions:  # GitHub puts the error's type beside the message
        body["type"] = extensions["type"]
    return body


def _errors(errors: list[GraphQLError]) -> Response:
    return json_response({"errors": [_error_body(exc) for exc in errors]})


def answer_graphql(state: EmulatorState, request: Request, token: TokenInfo) -> Response:
    """Answer one GraphQL request for ``token`` (already known to be accepted)."""
    if request.method != "POST":
        return error(404, "Not Found", docs=_DOCS)
    if token.kind == "anonymous":
        return error(401, "This endpoint requires you to be authenticated.", docs=_DOCS)
    try:
        schema = load_schema(state.config.graphql_schema)
    except ToolMissing as exc:
        return error(501, str(exc), docs=_DOCS)
    host = request.host_url.rstrip("/")
    prefix = "/api/v3" if request.path.startswith("/api/") else ""
    ctx = Ctx(state=state, request=request, urls=Urls(api=host + prefix, html=host), token=token, now=state.now())
    body = ctx.json_body()
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return json_response({"errors": [{"message": "A query attribute must be specified and must be a string."}]})
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        return json_response({"errors": [{"message": "Variables are invalid JSON."}]})
    with state.github.lock:
        return _execute(schema, ctx, body["query"], variables, body.get("operationName"))


def _execute(schema: GraphQLSchema, ctx: Ctx, query: str, variables: dict[str, Any], operation: object) -> Response:
    try:
        document = parse(query, max_tokens=50_000)
    except GraphQLError as exc:
        return _errors([exc])
    problems = validate(schema, document, max_errors=_MAX_ERRORS)
    if problems:
        return _errors(problems)
    objects = GraphObjects(ctx.state, ctx.urls, ctx.token.login or ctx.state.identity.owner, ctx.now)
    result = execute_sync(schema, document, root_value=objects.root(), variable_values=variables,
                          operation_name=operation if isinstance(operation, str) else None,
                          field_resolver=resolve_field, type_resolver=resolve_type)
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [_error_body(exc) for exc in result.errors]
    return json_response(answer)
