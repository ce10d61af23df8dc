"""build-cache: the builds that publish use a build cache, as the plan asks ("Docker Buildx with cache to speed up
rebuilds").

A publishing build step reads a cache (``cache-from``) and does not switch it off (``no-cache: true``), and the job
writes one (``cache-to`` on that step or on another build step of the job: a test build that fills the cache the
push then reads is a common shape). A build that only loads an image for a test, or leaves it in the builder, is not
a publication: the plan's cache is about rebuilding the images, so it is not asked for there.
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


def _check(ctx: CheckContext) -> list[Finding]:
    return [finding for workflow in ctx.build_workflows() for job in build_jobs(workflow)
            for finding in _job_findings(workflow.path, job)]


RULE = Rule(ID, "it builds with a cache", _check)
