"""The workflow executor: when an attempt of a run completes, perform the effects its YAML describes.

For each job that succeeded, the static publication plan of the workflow for the run's event
(:func:`cicd_acceptance.workflows.publication.publication_plan`) says which images and tags that matrix entry pushes;
the executor pushes exactly those to the emulator's registry, with the labels docker/metadata-action sets
(``org.opencontainers.image.revision`` = head sha, ``.created`` = emulated build time, ``.source`` = repository
URL), one manifest per platform and a provenance attestation (the registry half builds the OCI index). So a wrong
workflow produces the wrong effect: a service missing from the matrix publishes nothing, ``latest`` not enabled
publishes no ``latest``, a failed job pushes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_acceptance.emulator.clock import iso
from cicd_acceptance.emulator.runs import Attempt, JobRecord, RunRecord
from cicd_acceptance.emulator.workflow_view import WorkflowInfo
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.publication import ImagePublication, publication_plan

if TYPE_CHECKING:
    from cicd_acceptance.emulator.state import EmulatorState

__all__ = ["Executor", "registry_name"]


def registry_name(image: str) -> str:
    """``ghcr.io/acme/app`` -> ``acme/app``: the repository path without the registry host."""
    first, sep, rest = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return rest
    return image


def _ref_for(run: RunRecord) -> str:
    if run.event == "pull_request" and run.pull_requests:
        return f"refs/pull/{run.pull_requests[0]}/merge"
    return f"refs/heads/{run.head_branch}"


class Executor:
    """Performs run effects against ``state.registry``; ``errors`` keeps what could not be performed."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.errors: list[str] = []

    def event_for(self, run: RunRecord) -> BuildEvent:
        """The :class:`BuildEvent` a run stands for."""
        identity = self.state.identity
        return BuildEvent(event_name=run.event, ref=_ref_for(run), sha=run.head_sha,
                          default_branch=identity.default_branch, repository=identity.full_name, actor=run.actor)

    def publications(self, info: WorkflowInfo, event: BuildEvent) -> list[ImagePublication]:
        """What the workflow would push for ``event`` (empty when it publishes nothing or cannot be read)."""
        if info.workflow is None:
            return []
        try:
            return list(publication_plan(info.workflow, event).entries)
        except HarnessError as exc:
            self.errors.append(f"{info.path}: {exc}")
            return []

    def publishes(self, info: WorkflowInfo) -> bool:
        """Whether a push to the default branch of this workflow pushes any image."""
        identity = self.state.identity
        sha = self.state.snapshot.head
        event = BuildEvent("push", f"refs/heads/{identity.default_branch}", sha, identity.default_branch,
                           identity.full_name)
        return any(publication.push is True for publication in self.publications(info, event))

    def on_complete(self, run: RunRecord, attempt: Attempt) -> None:
        """Push the images of every job of ``attempt`` that succeeded."""
        publications = self.publications(run.workflow, self.event_for(run))
        if not publications:
            return
        for job in attempt.jobs:
            if run.job_conclusion(job, attempt.completed_at, attempt) != "success":
                continue
            for publication in publications:
                if _belongs(publication, job) and publication.push is True:
                    self._push(run, attempt, job, publication)

    def _push(self, run: RunRecord, attempt: Attempt, job: JobRecord, publication: ImagePublication) -> None:
        image, tags = publication.image, [tag for tag in publication.tags if isinstance(tag, str)]
        if not isinstance(image, str) or not tags or publication.condition is not None:
            # Unknown statically (an expression we cannot evaluate): the executor never guesses a value.
            self.errors.append(f"run {run.id} job {job.plan.name!r}: not pushed, image or tags unknown offline")
            return
        source = f"{self.state.config.html_base.rstrip('/')}/{self.state.identity.full_name}"
        labels = {key: value for key, value in publication.labels.items() if isinstance(value, str)}
        labels.update({"org.opencontainers.image.revision": run.head_sha,
                       "org.opencontainers.image.created": iso(attempt.completed_at),
                       "org.opencontainers.image.source": source})
        platforms = tuple(p for p in publication.platforms if isinstance(p, str)) or ("linux/amd64",)
        try:
            digest = self.state.registry.push_image(registry_name(image), tags, labels=labels, platforms=platforms)
        except HarnessError as exc:
            self.errors.append(f"run {run.id} job {job.plan.name!r}: push of {image} failed: {exc}")
            return
        lines = run.pushed.setdefault(job.id, [])
        lines.append("pushing layers")
        lines += [f"pushed {image}:{tag}" for tag in tags]
        lines.append(f"digest: {digest}")


def _belongs(publication: ImagePublication, job: JobRecord) -> bool:
    if publication.job_id != job.plan.job_id:
        return False
    return all(job.plan.matrix.get(key) == value for key, value in publication.matrix.items())
