"""A small, deterministic fake of the GitHub Actions REST subset, driven by a ManualClock.

It exists for unit tests of the live logic that need exact control of time (eventual consistency, a foreign
dispatch in the same second, a run that completes at t=600 s); the real emulator (cicd_acceptance.emulator) is
exercised by tests/live/test_github_emulator.py. It honours ETags (304s), ``per_page``/``page`` with ``Link``,
the run filters, and the three dispatch dialects (github.com 200, plain 204, old GHES 400).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import ClassVar
from urllib.parse import urlencode

import httpx

from cicd_acceptance.polling import ManualClock

REPO = "octo/stream-monitor"
API = "https://api.github.com"
EPOCH = datetime(2026, 11, 27, 8, 0, 0, tzinfo=UTC)
SHA = "a" * 40
STORAGE_HOST = "results-receiver.actions.example.net"
OTHER_SHA = "c" * 40


def stamp(seconds: float) -> str:
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeJob:
    name: str
    conclusion: str = "success"
    failed_step: str | None = None


@dataclass
class FakeRun:
    """A run whose status follows ``timeline``: [(seconds after creation, status, conclusion)]."""

    id: int
    workflow_id: int
    path: str
    event: str
    head_sha: str
    branch: str
    actor: str
    created: float
    timeline: list[tuple[float, str, str | None]]
    jobs: list[FakeJob] = field(default_factory=list)
    visible_after: float = 0.0   # eventual consistency: listed/gettable only this long after creation

    def state(self, now: float) -> tuple[str, str | None, float]:
        status, conclusion, changed = "queued", None, self.created
        for offset, new_status, new_conclusion in self.timeline:
            if now >= self.created + offset:
                status, conclusion, changed = new_status, new_conclusion, self.created + offset
        return status, conclusion, changed

    def visible(self, now: float) -> bool:
        return now >= self.created + self.visible_after


def ok_timeline(duration: float = 600.0, conclusion: str = "success") -> list[tuple[float, str, str | None]]:
    return [(0, "queued", None), (5, "in_progress", None), (duration, "completed", conclusion)]


@dataclass
class FakeGitHub:
    clock: ManualClock
    dispatch_mode: str = "details"          # details | 204 | old-ghes | no-trigger | read-only | 502-created
    installed_version: str | None = None
    default_actor: str = "octocat"
    run_timeline: list[tuple[float, str, str | None]] = field(default_factory=ok_timeline)
    run_jobs: list[FakeJob] = field(default_factory=lambda: [FakeJob(f"build ({s})") for s in
                                                                 ("gateway", "worker", "webhook-demo")])
    dispatch_visible_after: float = 3.0
    head_sha: str = SHA
    runs: list[FakeRun] = field(default_factory=list)
    pulls: list[dict[str, object]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    responses: list[int] = field(default_factory=list)
    dispatches: int = 0
    on_dispatch: Callable[[FakeGitHub], None] | None = None
    next_id: int = 1000
    user_login: str | None = "octocat"          # None: an Actions GITHUB_TOKEN, for which GET /user is refused
    job_logs: dict[int, bytes] = field(default_factory=dict)          # job id -> log served from "storage"
    annotations: dict[int, list[dict[str, object]]] = field(default_factory=dict)  # check run id -> annotations
    storage_requests: list[httpx.Request] = field(default_factory=list)

    workflows: ClassVar[dict[str, int]] = {"ci.yml": 1, "build-images.yml": 2}

    @property
    def counted(self) -> int:
        return sum(1 for status in self.responses if status != 304)

    def add_run(self, *, path: str = "build-images.yml", event: str = "workflow_dispatch",
                head_sha: str | None = None, branch: str = "main", actor: str | None = None,
                created: float | None = None, timeline: Sequence[tuple[float, str, str | None]] | None = None,
                jobs: list[FakeJob] | None = None, visible_after: float = 0.0) -> FakeRun:
        self.next_id += 1
        run = FakeRun(id=self.next_id, workflow_id=self.workflows[path], path=f".github/workflows/{path}",
                      event=event, head_sha=head_sha or self.head_sha, branch=branch,
                      actor=actor or self.default_actor, created=self.clock() if created is None else created,
                      timeline=list(timeline or self.run_timeline), jobs=list(jobs or self.run_jobs),
                      visible_after=visible_after)
        self.runs.append(run)
        return run

    # -- payloads ---------------------------------------------------------------------------------------------

    def run_json(self, run: FakeRun) -> dict[str, object]:
        status, conclusion, changed = run.state(self.clock())
        return {
            "id": run.id, "name": run.path.rsplit("/", 1)[-1].removesuffix(".yml"), "path": run.path,
            "workflow_id": run.workflow_id, "event": run.event, "status": status, "conclusion": conclusion,
            "head_sha": run.head_sha, "head_branch": run.branch, "run_number": run.id, "run_attempt": 1,
            "actor": {"login": run.actor}, "triggering_actor": {"login": run.actor},
            "created_at": stamp(run.created), "updated_at": stamp(changed), "run_started_at": stamp(run.created + 5),
            "html_url": f"https://github.com/{REPO}/actions/runs/{run.id}",
            "url": f"{API}/repos/{REPO}/actions/runs/{run.id}",
        }

    def jobs_json(self, run: FakeRun) -> list[dict[str, object]]:
        status, _, changed = run.state(self.clock())
        out: list[dict[str, object]] = []
        for index, job in enumerate(run.jobs):
            done = status == "completed"
            steps = [{"name": "Checkout", "number": 1, "status": "completed", "conclusion": "success"},
                     {"name": job.failed_step or "Build and push", "number": 2, "status": "completed",
                      "conclusion": "failure" if job.failed_step else job.conclusion}]
            out.append({"id": run.id * 10 + index, "run_id": run.id, "name": job.name,
                        "status": "completed" if done else "in_progress",
                        "conclusion": job.conclusion if done else None, "started_at": stamp(run.created + 5),
                        "completed_at": stamp(changed) if done else None, "steps": steps if done else [],
                        "html_url": f"https://github.com/{REPO}/actions/runs/{run.id}/job/{index}"})
        return out

    # -- HTTP -------------------------------------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == STORAGE_HOST:  # where a job log's download redirects to (signed URL, no token)
            self.storage_requests.append(request)
            log = self.job_logs.get(int(request.url.path.rsplit("/", 1)[-1]))
            return httpx.Response(200, content=log) if log is not None else httpx.Response(404)
        self.requests.append(request)
        response = self.route(request)
        if response.status_code == 200 and request.method == "GET":
            etag = '"' + hashlib.sha256(response.content).hexdigest()[:16] + '"'
            if request.headers.get("if-none-match") == etag:
                response = httpx.Response(304)
            response.headers["etag"] = etag
        response.headers["date"] = format_datetime(EPOCH + timedelta(seconds=self.clock()), usegmt=True)
        self.responses.append(response.status_code)
        return response

    def route(self, request: httpx.Request) -> httpx.Response:
        prefix = f"/repos/{REPO}/"
        path = request.url.path.removeprefix("/api/v3")  # GHES base path
        if path == "/meta":
            return httpx.Response(200, json={"verifiable_password_authentication": False,
                                             **({"installed_version": self.installed_version}
                                                if self.installed_version else {})})
        if path == "/user":
            if self.user_login is None:
                return httpx.Response(403, json={"message": "Resource not accessible by integration"})
            return httpx.Response(200, json={"login": self.user_login, "id": 1, "type": "User"})
        if not path.startswith(prefix):
            return httpx.Response(404, json={"message": "Not Found"})
        parts = path.removeprefix(prefix).split("/")
        if parts[:2] == ["actions", "jobs"] and len(parts) == 4 and parts[3] == "logs":
            if int(parts[2]) not in self.job_logs:
                return httpx.Response(404, json={"message": "Not Found"})
            return httpx.Response(302, headers={"location": f"https://{STORAGE_HOST}/logs/{parts[2]}?sig=signed"})
        if parts[:1] == ["check-runs"] and len(parts) == 3 and parts[2] == "annotations":
            return httpx.Response(200, json=self.annotations.get(int(parts[1]), []))
        if parts[:2] == ["actions", "workflows"] and len(parts) >= 3:
            name = self.workflow_name(parts[2])
            if name is None:
                return httpx.Response(404, json={"message": "Not Found"})
            if len(parts) == 3:
                return httpx.Response(200, json={"id": self.workflows[name], "name": name.removesuffix(".yml"),
                                                 "path": f".github/workflows/{name}", "state": "active"})
            if parts[3] == "dispatches":
                return self.dispatch(name, json.loads(request.content))
            if parts[3] == "runs":
                return self.list_runs(request, self.workflows[name])
        if parts[:2] == ["actions", "runs"] and len(parts) == 3:
            return self.get_run(int(parts[2]))
        if parts[:2] == ["actions", "runs"] and len(parts) == 4 and parts[3] == "jobs":
            run = self.find(int(parts[2]))
            return httpx.Response(200, json={"total_count": len(run.jobs), "jobs": self.jobs_json(run)})
        if parts[:1] == ["commits"] and len(parts) == 3 and parts[2] == "pulls":
            return httpx.Response(200, json=[pr for pr in self.pulls if pr.get("_sha") == parts[1]])
        return httpx.Response(404, json={"message": "Not Found"})

    def workflow_name(self, key: str) -> str | None:
        by_id = {str(number): name for name, number in self.workflows.items()}
        return key if key in self.workflows else by_id.get(key)

    def find(self, run_id: int) -> FakeRun:
        return next(run for run in self.runs if run.id == run_id)

    def get_run(self, run_id: int) -> httpx.Response:
        run = next((r for r in self.runs if r.id == run_id and r.visible(self.clock())), None)
        if run is None:
            return httpx.Response(404, json={"message": "Not Found"})
        return httpx.Response(200, json=self.run_json(run))

    def list_runs(self, request: httpx.Request, workflow_id: int) -> httpx.Response:
        params = request.url.params
        runs = [run for run in sorted(self.runs, key=lambda r: (r.created, r.id), reverse=True)
                if run.workflow_id == workflow_id and run.visible(self.clock())]
        for key, attr in (("event", "event"), ("branch", "branch"), ("head_sha", "head_sha"), ("actor", "actor")):
            if key in params:
                runs = [run for run in runs if getattr(run, attr) == params[key]]
        if "created" in params:
            since = datetime.fromisoformat(params["created"].removeprefix(">=").replace("Z", "+00:00"))
            runs = [run for run in runs if EPOCH + timedelta(seconds=run.created) >= since]
        per_page, page = int(params.get("per_page", "30")), int(params.get("page", "1"))
        chunk = runs[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(runs):
            query = urlencode({**dict(params), "page": page + 1})
            headers["link"] = f'<{request.url.copy_with(query=query.encode())}>; rel="next"'
        body = {"total_count": len(runs), "workflow_runs": [self.run_json(run) for run in chunk]}
        return httpx.Response(200, json=body, headers=headers)

    def dispatch(self, workflow: str, body: dict[str, object]) -> httpx.Response:
        if self.dispatch_mode == "no-trigger" or workflow == "ci.yml":
            return httpx.Response(422, json={"message": "Workflow does not have 'workflow_dispatch' trigger"})
        if self.dispatch_mode == "read-only":
            return httpx.Response(403, json={"message": "Resource not accessible by integration"},
                                  headers={"x-accepted-github-permissions": "actions=write"})
        wants_details = body.get("return_run_details") is True
        if self.dispatch_mode == "old-ghes" and "return_run_details" in body:
            return httpx.Response(400, json={"message": 'Invalid request.\n\n"return_run_details" is not a '
                                                        "permitted key."})
        self.dispatches += 1
        if self.on_dispatch:
            self.on_dispatch(self)
        run = self.add_run(path=workflow, branch=str(body["ref"]), visible_after=self.dispatch_visible_after)
        if self.dispatch_mode == "502-created":
            return httpx.Response(502, json={"message": "Server Error"})
        if wants_details and self.dispatch_mode == "details":
            return httpx.Response(200, json={"workflow_run_id": run.id, "run_url": f"{API}/x/{run.id}",
                                             "html_url": f"https://github.com/{REPO}/actions/runs/{run.id}"})
        return httpx.Response(204)
