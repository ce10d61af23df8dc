"""The short-lived download URLs the API redirects to: job logs, run log archives and artifact zips.

Like GitHub's signed storage URLs they need no token but expire (``expires`` is a Unix time); an expired or
unknown one answers 403 in the storage service's XML shape. They live outside the API (``/_logs/``,
``/_artifacts/``), so they are not rate limited.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from cicd_acceptance.emulator.github.run_logs import job_log, run_log_archive

if TYPE_CHECKING:
    from cicd_acceptance.emulator.state import EmulatorState

__all__ = ["download_route", "serve_download", "signed_url"]

_TTL_SECONDS = 60
_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/_logs/jobs/(\d+)$"), "/_logs/jobs/{job_id}"),
    (re.compile(r"^/_logs/runs/(\d+)/attempts/(\d+)$"), "/_logs/runs/{run_id}/attempts/{attempt_number}"),
    (re.compile(r"^/_artifacts/(\d+)$"), "/_artifacts/{artifact_id}"),
)


def signed_url(html_base: str, path: str, now: datetime) -> str:
    """``path`` under the host, valid for a minute of emulated time."""
    return f"{html_base}{path}?expires={int(now.timestamp()) + _TTL_SECONDS}"


def download_route(path: str) -> str | None:
    """The request log's name for a download path (None when ``path`` is not one)."""
    return next((name for pattern, name in _ROUTES if pattern.match(path)), None)


def _denied() -> Response:
    return Response(b"<Error><Code>AuthenticationFailed</Code></Error>", status=403, content_type="application/xml")


def serve_download(state: EmulatorState, request: Request) -> Response:
    """Answer a download URL (403 when expired, unknown or not ready)."""
    now = state.now()
    expires = request.args.get("expires", "0")
    if not expires.isdigit() or int(expires) < int(now.timestamp()):
        return _denied()
    for pattern, name in _ROUTES:
        match = pattern.match(request.path)
        if match is not None:
            numbers = [int(group) for group in match.groups()]
            with state.github.lock:
                return _HANDLERS[name](state, now, *numbers) or _denied()
    return _denied()


def _job_log(state: EmulatorState, now: datetime, job_id: int) -> Response | None:
    found = state.github.job(job_id, now)
    if found is None:
        return None
    run, attempt, job = found
    return Response(job_log(run, attempt, job, now).encode(), content_type="text/plain; charset=utf-8")


def _run_archive(state: EmulatorState, now: datetime, run_id: int, attempt_number: int) -> Response | None:
    run = state.github.run(run_id, now=now)
    if run is None or not 1 <= attempt_number <= len(run.attempts):
        return None
    return Response(run_log_archive(run, run.attempts[attempt_number - 1], now), content_type="application/zip",
                    headers={"Content-Disposition": f"attachment; filename=logs_{run_id}.zip"})


def _artifact(state: EmulatorState, now: datetime, artifact_id: int) -> Response | None:
    artifact = state.github.artifacts.get(artifact_id)
    if artifact is None or artifact.expired:
        return None
    return Response(artifact.content, content_type="application/zip",
                    headers={"Content-Disposition": f"attachment; filename={artifact.name}.zip"})


_HANDLERS: dict[str, Callable[..., Response | None]] = {
    "/_logs/jobs/{job_id}": _job_log,
    "/_logs/runs/{run_id}/attempts/{attempt_number}": _run_archive,
    "/_artifacts/{artifact_id}": _artifact,
}
