"""build-cache: the builds that publish use a build cache, as the plan asks ("Docker Buildx with cache to speed up
rebuilds").

A publishing build step reads a cache (``cache-from``) and does not switch it off (``no-cache: true``), and the job
writes one (``cache-to`` on that step or on another build step of the job: a test build that fills the cache the
push then reads is a common shape). A bake target that pushes (docker/bake-action, ``docker buildx bake``) is read
the same way from the publication plan: its ``cache-from``, and a ``cache-to`` on a target of its job. A build
that only loads an image for a test, or leaves it in the builder, is not a publication: the plan's cache is about
rebuilding the images, so it is not asked for there.
"""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import BUILD_ACTION, CheckContext, build_jobs, may_push
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.model import Job, Step

__all__ = ["RULE"]

ID = "build-cache"


def _given(step: Step, key: str) -> bool:
    return bool((step.with_text(key) or "").strip())



def _job_findings(path: str, job: Job) -> list[Finding]:
    builds = job.steps_using(BUILD_ACTION)
    writes = any(_given(step, "cache-to") for step in builds)
    findings: list[Finding] = []
    for step in (step for step in builds if may_push(step)):
        missing = [text for text, present in (("no cache-from", _given(step, "cache-from")),
                                              ("no cache-to in the job", writes)) if not present]
        if missing:
            found = " and ".join(missing)
            findings.append(Finding(path, step.line, 0, ID, expected(
                "cache-from on the publishing build step and cache-to in its job", found)))
        elif (step.with_text("no-cache") or "").strip().lower() == "true":
            findings.append(Finding(path, step.with_["no-cache"].line, 0, ID,
                                    expected("the build cache in use", "no-cache: true")))
    return findings


_BAKES = ("docker/bake-action", "run: docker buildx bake")


def _bake_findings(ctx: CheckContext) -> list[Finding]:
    plan = ctx.publication("push") if ctx.publication("push").runs else ctx.publication("workflow_dispatch")
    bakes = [entry for entry in plan.entries if entry.via.startswith(_BAKES) and not entry.uncomputed]
    findings: dict[tuple[str, int, str], None] = {}
    for entry in (entry for entry in bakes if entry.push is not False):
        job = [other for other in bakes if (other.path, other.job_id) == (entry.path, entry.job_id)]
        missing = [text for text, present in (("no cache-from", bool(entry.cache_from)),
                                              ("no cache-to in the job", any(other.cache_to for other in job)))
                   if not present]
        if missing:
            message = expected("cache-from on the bake target and cache-to in its job",
                               f"{' and '.join(missing)} for {entry.image}")
        elif entry.no_cache is True:
            message = expected("the build cache in use", f"no-cache for {entry.image}")
        else:
            continue
        findings[(entry.path, entry.line, message)] = None
    return [Finding(path, line, 0, ID, message) for path, line, message in findings]


def _check(ctx: CheckContext) -> list[Finding]:
    found = [finding for workflow in ctx.build_workflows() for job in build_jobs(workflow)
             for finding in _job_findings(workflow.path, job)]
    return found + _bake_findings(ctx)



RULE = Rule(ID, "it builds with a cache", _check)
