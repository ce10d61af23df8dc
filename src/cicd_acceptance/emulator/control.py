"""The control API under ``/_emulator/`` (JSON), for scripts and demos; the same operations as the Python API.

=================================  =========================================================================
``GET  /_emulator/requests``        ``{"total", "counted", "not_modified", "by_route"}``
``DELETE /_emulator/requests``      forget the request log
``POST /_emulator/reset``           back to the freshly seeded state
``GET  /_emulator/clock``           ``{"now", "speed"}``
``POST /_emulator/clock``           ``{"advance": seconds}``
``GET  /_emulator/faults``          the active faults
``POST /_emulator/faults``          ``{"spec": "GET /repos/*/actions/runs/*:503x2"}`` (or ``{"specs": [...]}``)
``DELETE /_emulator/faults``        remove every fault
``POST /_emulator/outcomes``        next run of a workflow: ``{"workflow", "conclusion", "job"?, "step"?}``
``POST /_emulator/runs/<id>/outcome`` ``{"conclusion", "job"?, "step"?}`` for a run not yet completed
``POST /_emulator/runs/<id>/reattempt`` re-run once after the current attempt completes
``POST /_emulator/dispatch``        ``{"workflow", "ref"?, "actor"?}``: a run as if dispatched (no HTTP faults)
``POST /_emulator/images``          seed an image: ``{"name", "tags", "labels"?, "platforms"?}``
``GET  /_emulator/runs``            every run with status and conclusion (including not yet visible ones)
``POST /_emulator/runs``            seed a run: ``{"workflow", "event"?, "branch"?, "head_sha"?, "actor"?,
                                    "conclusion"?, "job"?, "step"?, "age_seconds"?}`` (default: completed)
=================================  =========================================================================

Bad input answers 400 with ``{"message": ...}`` naming the field, what the state refuses answers its status (404
for an unknown workflow or run, 409 for an outcome set on a completed run, 422 for an unknown conclusion); the
control API needs no token (loopback use).
Outcomes (``outcomes``, ``runs/<id>/outcome`` and the ``conclusion`` of a seeded run) are fault injection for tests:
runs are executed and their conclusions come from the execution unless an outcome is injected, which wins (an
injected job failure fails the job at the named step, or its last, and nothing after it runs).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from cicd_acceptance.emulator.clock import iso
from cicd_acceptance.emulator.errors import EmulatorError
from cicd_acceptance.errors import HarnessError

if TYPE_CHECKING:
    from cicd_acceptance.emulator.state import EmulatorState

__all__ = ["ControlApi"]

Json = dict[str, Any]


def _reply(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class ControlApi:
    """WSGI handler for ``/_emulator/...``."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.url_map = Map([
            Rule("/_emulator/requests", endpoint="requests", methods=["GET", "DELETE"]),
            Rule("/_emulator/reset", endpoint="reset", methods=["POST"]),
            Rule("/_emulator/clock", endpoint="clock", methods=["GET", "POST"]),
            Rule("/_emulator/faults", endpoint="faults", methods=["GET", "POST", "DELETE"]),
            Rule("/_emulator/outcomes", endpoint="outcomes", methods=["POST"]),
            Rule("/_emulator/runs", endpoint="runs", methods=["GET", "POST"]),
            Rule("/_emulator/runs/<int:run_id>/outcome", endpoint="run_outcome", methods=["POST"]),
            Rule("/_emulator/runs/<int:run_id>/reattempt", endpoint="reattempt", methods=["POST"]),
            Rule("/_emulator/runs/<int:run_id>/artifacts", endpoint="artifacts", methods=["POST"]),
            Rule("/_emulator/dispatch", endpoint="dispatch", methods=["POST"]),
            Rule("/_emulator/images", endpoint="images", methods=["POST"]),
        ])

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
        except HTTPException as exc:
            return _reply({"message": f"{request.method} {request.path}: {exc.name}"}, exc.code or 404)(
                environ, start_response)
        body = request.get_json(silent=True) if request.method == "POST" else None
        if request.method == "POST" and request.get_data() and not isinstance(body, dict):
            return _reply({"message": "the body must be a JSON object"}, 400)(environ, start_response)
        try:
            response = getattr(self, f"_{endpoint}")(request, body or {}, **args)
        except EmulatorError as exc:
            response = _reply({"message": str(exc)}, exc.status)
        except HarnessError as exc:
            response = _reply({"message": str(exc)}, 400)
        except (KeyError, TypeError, ValueError) as exc:
            response = _reply({"message": f"bad request body: {exc}"}, 400)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _requests(self, request: Request, body: Json) -> Response:
        if request.method == "DELETE":
            self.state.requests.reset()
        return _reply(self.state.requests.snapshot())

    def _reset(self, request: Request, body: Json) -> Response:
        self.state.reset()
        return _reply({"now": iso(self.state.now())})

    def _clock(self, request: Request, body: Json) -> Response:
        if request.method == "POST":
            self.state.advance(float(body["advance"]))
        return _reply({"now": iso(self.state.now()), "speed": self.state.clock.speed})

    def _faults(self, request: Request, body: Json) -> Response:
        if request.method == "DELETE":
            self.state.faults.clear()
        elif request.method == "POST":
            specs = body.get("specs") or [body["spec"]]
            for spec in specs:
                self.state.add_fault(str(spec))
        return _reply({"faults": [asdict(fault) for fault in self.state.faults.active()]})

    def _outcomes(self, request: Request, body: Json) -> Response:
        self.state.plan_outcome(body["workflow"], str(body["conclusion"]), job=body.get("job"), step=body.get("step"))
        return _reply({"planned": body})

    def _run_outcome(self, request: Request, body: Json, run_id: int) -> Response:
        self.state.set_outcome(run_id, str(body["conclusion"]), job=body.get("job"), step=body.get("step"))
        return self._run_summary(run_id)

    def _reattempt(self, request: Request, body: Json, run_id: int) -> Response:
        self.state.github.request_reattempt(run_id)
        return self._run_summary(run_id)

    def _artifacts(self, request: Request, body: Json, run_id: int) -> Response:
        """Store an artifact for a run, as upload-artifact would: ``{"name": ..., "files": {path: text}}``."""
        run = self.state.github.require_run(run_id)
        files = {str(path): str(text).encode() for path, text in dict(body["files"]).items()}
        artifact = self.state.github.artifacts.add(run.id, str(body["name"]), files, now=self.state.now())
        return _reply({"id": artifact.id, "name": artifact.name, "size_in_bytes": artifact.size_in_bytes}, 201)

    def _dispatch(self, request: Request, body: Json) -> Response:
        run = self.state.dispatch(body["workflow"], ref=body.get("ref"), actor=body.get("actor"))
        return self._run_summary(run.id)

    def _images(self, request: Request, body: Json) -> Response:
        digest = self.state.registry.push_image(str(body["name"]), [str(tag) for tag in body["tags"]],
                                                labels={str(k): str(v) for k, v in (body.get("labels") or {}).items()},
                                                platforms=tuple(body.get("platforms") or ("linux/amd64",)))
        return _reply({"digest": digest})

    def _runs(self, request: Request, body: Json) -> Response:
        if request.method == "POST":
            options = {key: body[key] for key in ("event", "branch", "head_sha", "actor", "conclusion", "job", "step")
                       if key in body}
            run = self.state.seed_run(body["workflow"], age_seconds=float(body.get("age_seconds", 3600)),
                                      **{key: str(value) for key, value in options.items()})
            return self._run_summary(run.id)
        with self.state.github.lock:
            ids = [run.id for run in self.state.github.runs]
        return _reply({"runs": [self._summary(run_id) for run_id in ids]})

    def _run_summary(self, run_id: int) -> Response:
        return _reply(self._summary(run_id))

    def _summary(self, run_id: int) -> Json:
        run = self.state.github.require_run(run_id)
        now = self.state.now()
        return {"id": run.id, "workflow": run.workflow.path, "event": run.event, "branch": run.head_branch,
                "head_sha": run.head_sha, "actor": run.actor, "run_attempt": len(run.attempts),
                "created_at": iso(run.created_at), "visible": run.visible(now), "status": run.status(now),
                "conclusion": run.conclusion(now), "jobs": [job.plan.name for job in run.current.jobs],
                # steps whose action the emulator did not run (treated as passed): a rehearsal cannot vouch for them
                "not_emulated": [f"{job.plan.name}: {step}" for job in run.current.jobs for step in job.not_emulated]}
