"""Evidence quoted from the job logs (evidence kind ``log``): what a reviewer would paste into the ExecPlan.

* ``go test``: for a green CI run, the test job's result lines (``ok``, ``FAIL``, ``--- FAIL/PASS/SKIP``);
* ``push``: for the dispatched build, per service, the lines naming ``<image path>:<sha tag>`` or the digest the
  registry reports for that tag, beside that digest and whether the log shows it;
* ``failure``: for a red run, each failing job (at most :data:`MAX_FAILING_JOBS`) with its failing step, the tail of
  its log, its ``##[error]`` lines and the check run's annotations.

For a rehearsal, :func:`not_emulated_steps` lists the steps the emulator did not run (evidence kind
``not_emulated``), read from the check runs' annotations as from GitHub: the run is judged through the API only.

Each function reads each log once, within :class:`~cicd_acceptance.live.logs.LogLimits`, and never raises: a log or
annotation list that cannot be read shows as ``error`` in the entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cicd_acceptance.errors import GitHubAPIError
from cicd_acceptance.github.client import GitHubClient
from cicd_acceptance.github.models import Job
from cicd_acceptance.live.logs import LogLimits, LogQuote, read_job_log

__all__ = ["MAX_FAILING_JOBS", "MAX_JOBS", "NOT_EMULATED_TITLE", "PushTarget", "failure_quotes", "go_test_quotes",
           "is_go_test_result", "not_emulated_steps", "push_quotes"]

MAX_FAILING_JOBS = 3
MAX_JOBS = 20          # logs read per run at most (a matrix of more services shows the first 20 jobs' lines)
_GO_RESULT = re.compile(r"^\s*(?:ok\s+\S|FAIL(?:\s|$)|--- (?:FAIL|PASS|SKIP): )")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_GREEN = ("success", "skipped", None)
# The title of the warning the bundled emulator puts on a step whose action it does not emulate (it was not run).
NOT_EMULATED_TITLE = "Not emulated"


def is_go_test_result(line: str) -> bool:
    """A ``go test`` result line: ``ok  <pkg>``, ``FAIL <pkg>``/``FAIL``, ``--- FAIL|PASS|SKIP: TestX``."""
    return bool(_GO_RESULT.match(line))


def _quote(purpose: str, run_id: int, quote: LogQuote, **extra: object) -> dict[str, object]:
    return {"purpose": purpose, "run_id": run_id, **quote.as_dict(), **extra}


def _test_jobs(jobs: Sequence[Job], test_job: str) -> list[Job]:
    """The plan's test job, or its matrix entries (``test (1.22)``)."""
    return [job for job in jobs if job.name == test_job or job.name.startswith(f"{test_job} (")][:MAX_JOBS]


def go_test_quotes(github: GitHubClient, repo: str, run_id: int, jobs: Sequence[Job], test_job: str,
                   limits: LogLimits | None = None) -> list[dict[str, object]]:
    """The ``go test`` result lines of the run's test job(s), one entry per job."""
    quotes = []
    for job in _test_jobs(jobs, test_job):
        quote = read_job_log(github, repo, job.id, job.name, is_go_test_result, limits)
        quotes.append(_quote("go test", run_id, quote, tail=[]))
    return quotes


def _annotations(github: GitHubClient, repo: str, job: Job) -> dict[str, object]:
    try:
        found = github.list_annotations(repo, job.id)
    except GitHubAPIError as exc:
        return {"annotations": [], "annotations_error": f"cannot read the annotations: {exc}"}
    return {"annotations": [{"path": a.path, "line": a.start_line, "level": a.level, "title": a.title,
                             "message": a.message} for a in found], "annotations_error": None}


def failure_quotes(github: GitHubClient, repo: str, run_id: int, jobs: Sequence[Job],
                   limits: LogLimits | None = None) -> list[dict[str, object]]:
    """For each failing job: its failing step, its log's tail and ``##[error]`` lines, its annotations."""
    failing = [job for job in jobs if job.conclusion not in _GREEN][:MAX_FAILING_JOBS]
    quotes = []
    for job in failing:
        step = job.failed_step()
        quote = read_job_log(github, repo, job.id, job.name, lambda _line: False, limits)
        quotes.append(_quote("failure", run_id, quote, conclusion=job.conclusion,
                             step=step.name if step else None, **_annotations(github, repo, job)))
    return quotes


def not_emulated_steps(github: GitHubClient, repo: str, run_id: int, jobs: Sequence[Job]) -> list[dict[str, object]]:
    """The steps of a rehearsal's run that the emulator did not run: one entry per warning annotation titled
    :data:`NOT_EMULATED_TITLE` (its message names the action and the step), or per job whose annotations could
    not be read (``error``: the rehearsal cannot say whether every step ran). One request per job, at most
    :data:`MAX_JOBS`; skipped jobs ran no step."""
    found: list[dict[str, object]] = []
    for job in [job for job in jobs if job.conclusion != "skipped"][:MAX_JOBS]:
        try:
            notes = github.list_annotations(repo, job.id)
        except GitHubAPIError as exc:
            found.append({"run_id": run_id, "job": job.name, "message": None,
                          "error": f"cannot read the annotations: {exc}"})
            continue
        found += [{"run_id": run_id, "job": job.name, "message": note.message, "error": None}
                  for note in notes if note.title == NOT_EMULATED_TITLE and note.level == "warning"]
    return found


@dataclass(frozen=True)
class PushTarget:
    """One service's pushed image: its path in the registry (``owner/repo-service``), tag and registry digest."""

    service: str
    image_path: str
    tag: str
    digest: str | None

    @property
    def needle(self) -> str:
        return f"{self.image_path}:{self.tag}".lower()

    def shows(self, line: str) -> bool:
        # A push line names the reference with a push word; a real log also lists the tags where nothing is pushed
        # (docker/metadata-action's output, the build step's inputs), which must not count as pushed.
        lowered = line.lower()
        pushing = self.needle in lowered and ("push" in lowered or "naming to" in lowered)
        return pushing or bool(self.digest and self.digest in lowered)


def push_quotes(github: GitHubClient, repo: str, run_id: int, jobs: Sequence[Job], targets: Iterable[PushTarget],
                limits: LogLimits | None = None) -> dict[str, dict[str, object]]:
    """Per service, the push lines of the build's jobs (each log read once) beside the registry's digest."""
    wanted = list(targets)
    found: dict[str, list[str]] = {t.service: [] for t in wanted}
    where: dict[str, list[str]] = {t.service: [] for t in wanted}
    errors: list[str] = []
    incomplete = False
    for job in list(jobs)[:MAX_JOBS]:
        quote = read_job_log(github, repo, job.id, job.name, lambda line: any(t.shows(line) for t in wanted),
                             limits)
        if quote.error:
            errors.append(f"{job.name}: {quote.error}")
        incomplete = incomplete or not quote.complete
        for target in wanted:
            lines = [line for line in quote.lines if target.shows(line)]
            found[target.service] += lines
            where[target.service] += [job.name] if lines else []
    return {t.service: _push_entry(run_id, t, found[t.service], where[t.service], errors, incomplete)
            for t in wanted}


def _push_entry(run_id: int, target: PushTarget, lines: list[str], jobs: list[str], errors: list[str],
                incomplete: bool) -> dict[str, object]:
    digests = sorted({d for line in lines for d in _DIGEST.findall(line.lower())})
    return {"purpose": "push", "run_id": run_id, "service": target.service, "image": target.image_path,
            "tag": target.tag, "registry_digest": target.digest, "lines": lines, "jobs": jobs,
            "log_digests": digests, "digest_in_log": bool(target.digest and target.digest in digests),
            "pushed_in_log": any(target.needle in line.lower() for line in lines), "complete": not incomplete,
            "error": "; ".join(errors) or None}
