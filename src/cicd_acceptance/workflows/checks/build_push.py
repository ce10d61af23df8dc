"""build-push: on a push to the default branch every build of a plan image pushes (``push:`` evaluates to true);
a local build of another image (a test image loaded with ``load: true``) is not a publication. A boolean input the
action refuses (``push: yes``, ``load: on``: not a YAML 1.2 core-schema boolean) fails the step: it pushes nothing,
and the finding names that value at its line."""

from __future__ import annotations

from cicd_acceptance.workflows.actioninputs import BOOLEAN_SPELLINGS
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.checks.undecided import could_be, could_be_in, images_scenario

__all__ = ["RULE"]

ID = "build-push"


def _check(ctx: CheckContext) -> list[Finding]:
    path = ctx.build().path
    branch = ctx.plan.default_branch
    findings: list[Finding] = []
    for event in ("push", "workflow_dispatch"):
        entries = ctx.publication(event).entries
        # A local build (push false) is fine when a later step of the run pushes that image (docker push).
        pushed = {str(entry.image) for entry in entries if entry.push is True}
        wanted = [ctx.plan.image_for(service, ctx.target.repository) for service in ctx.plan.services]
        for entry in entries:
            if not could_be_in(entry.image, ctx.plan.registry):
                continue  # a copy in another registry is not the plan's concern
            if str(entry.image) in pushed and entry.push is not True:
                continue
            if entry.push is False and not any(could_be(entry.image, image) for image in wanted):
                continue  # a local image for a test (load: true), not one the plan publishes
            if entry.refused:
                findings.append(Finding(entry.path or path, entry.line, 0, ID, expected(
                    f"push: true for {event} on '{branch}'",
                    f"{entry.refused}, which {entry.via} refuses (it reads {BOOLEAN_SPELLINGS}): the step fails "
                    f"and pushes nothing")))
            elif entry.push is False:
                findings.append(Finding(entry.path or path, entry.line, 0, ID,
                                        expected(f"push: true for {event} on '{branch}'", "push: false")))
            elif entry.push is not True:
                findings.append(Finding(entry.path or path, entry.line, 0, ID, expected(
                    f"push: true for {event} on '{branch}'", f"push: {entry.push}"), undecided=True,
                    settled_by=images_scenario(ctx, entry.image)))
    return findings


RULE = Rule(ID, "it pushes on the default branch", _check)
