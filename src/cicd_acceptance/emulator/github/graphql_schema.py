"""GitHub's public GraphQL schema, loaded once per file: the emulator's ``/graphql`` parses and validates every
query against it before answering.

The schema comes from the npm package ``@octokit/graphql-schema`` (``schema.graphql``), which
``.ci/install-tools.sh`` installs into ``.tools/``. GitHub's published SDL breaks two rules graphql-core checks
(a field defined twice; deprecated implementations of non-deprecated interface fields), so it is built as GitHub
serves it, without those checks; queries are still validated against it in full.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from graphql import GraphQLSchema, build_schema

from cicd_acceptance.errors import ToolMissing

__all__ = ["DEFAULT_SCHEMA_PATH", "load_schema", "preload_schema"]

DEFAULT_SCHEMA_PATH = (Path(__file__).resolve().parents[4] / ".tools" / "node_modules" / "@octokit"
                       / "graphql-schema" / "schema.graphql")
_MAX_SCHEMA_BYTES = 32 << 20
_PACKAGE = "npm @octokit/graphql-schema"
_BUILDING = threading.Lock()  # one build at a time: a preload and a first query must not both pay for it


def load_schema(path: Path | None = None) -> GraphQLSchema:
    """The schema at ``path`` (default: where ``.ci/install-tools.sh`` puts it). Raises ToolMissing when absent."""
    chosen = (path or DEFAULT_SCHEMA_PATH).resolve()
    if not chosen.is_file():
        raise ToolMissing(f"GitHub's GraphQL schema is not at {chosen} (run .ci/install-tools.sh, which installs "
                          "it into .tools/, or give the emulator --graphql-schema PATH)", tool=_PACKAGE)
    with _BUILDING:
        return _build(chosen, chosen.stat().st_mtime_ns)


def preload_schema(path: Path | None = None) -> threading.Thread:
    """Build the schema in a daemon thread (a server calls this at start, so gh's first query does not wait ~2 s
    for it); a missing schema is left for the first query to report."""
    def build() -> None:
        try:
            load_schema(path)
        except ToolMissing:
            return

    thread = threading.Thread(target=build, name="graphql-schema", daemon=True)
    thread.start()
    return thread


@functools.lru_cache(maxsize=2)
def _build(path: Path, _mtime: int) -> GraphQLSchema:
    if path.stat().st_size > _MAX_SCHEMA_BYTES:
        raise ToolMissing(f"{path} is larger than {_MAX_SCHEMA_BYTES} bytes; not a GraphQL schema", tool=_PACKAGE)
    return build_schema(path.read_text(encoding="utf-8"), assume_valid_sdl=True, assume_valid=True)
