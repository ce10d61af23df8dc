"""build-cache: every build step uses a build cache (``cache-from`` and ``cache-to``, not ``no-cache: true``), as the
plan asks ("Docker Buildx with cache to speed up rebuilds")."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import BUILD_ACTION, CheckContext, build_jobs
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "build-cache"


def _check(ctx: CheckContext) -> list[Finding]:
    findings: list[Finding] = []
    for workflow, job in ((w, j) for w in ctx.build_workflows() for j in build_jobs(w)):
        for step in job.steps_using(BUILD_ACTION):
            missing = [key for key in ("cache-from", "cache-to") if not (step.with_text(key) or "").strip()]
            if missing:
                found = "no " + " and no ".join(missing)
                findings.append(Finding(workflow.path, step.line, 0, ID,
                                        expected("cache-from and cache-to on the build step", found)))
            elif (step.with_text("no-cache") or "").strip().lower() == "true":
                findings.append(Finding(workflow.path, step.with_["no-cache"].line, 0, ID,
                                        expected("the build cache in use", "no-cache: true")))
    return findings


RULE = Rule(ID, "it builds with a cache", _check)
