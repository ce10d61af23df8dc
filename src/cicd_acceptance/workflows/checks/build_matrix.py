"""build-matrix: the image builds cover exactly the plan's services, and every ``Dockerfile.<service>`` is built.

Read from the publication plan of a push to the default branch (matrix expanded, ``file:`` evaluated): each
service of the plan needs an entry building its Dockerfile, no entry may build anything else, every Dockerfile an
entry names must exist, and every ``Dockerfile.<x>`` in the repository must have an entry (a service added to the
repository but forgotten in the workflow is exactly what this catches).
"""

from __future__ import annotations

from cicd_acceptance.targetfiles import is_target_file
from cicd_acceptance.workflows.checks.context import CheckContext, build_jobs
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.checks.undecided import RUN_SCENARIO, could_be
from cicd_acceptance.workflows.expressions import Unknown

__all__ = ["RULE"]

ID = "build-matrix"


def _matrix_line(ctx: CheckContext) -> int:
    jobs = build_jobs(ctx.build())
    if not jobs:
        return ctx.build().node.key_line("jobs")
    job = jobs[0]
    return job.matrix.line if job.matrix is not None else job.line


def _repo_dockerfiles(ctx: CheckContext) -> set[str]:
    pattern = ctx.plan.dockerfile_pattern.format(service="*")
    found = (str(p.relative_to(ctx.repo_dir)) for p in ctx.repo_dir.glob(pattern))
    return {rel for rel in found if is_target_file(ctx.repo_dir, rel)}


def _norm(path: str) -> str:
    return path.strip().removeprefix("./")


def _check(ctx: CheckContext) -> list[Finding]:
    path = ctx.build().path
    plan = ctx.publication("push")
    if not plan.runs:
        plan = ctx.publication("workflow_dispatch")
    entries = plan.entries
    line = _matrix_line(ctx)
    wanted = {ctx.plan.dockerfile_for(service): service for service in ctx.plan.services}
    built = {_norm(entry.dockerfile): entry for entry in entries if isinstance(entry.dockerfile, str)}
    unknown = [entry for entry in entries if isinstance(entry.dockerfile, Unknown)]
    shown = sorted(built) + list(dict.fromkeys(str(entry.dockerfile) for entry in unknown))
    found = f"entries building {', '.join(shown)}" if shown else "no image builds"
    findings: list[Finding] = []
    missing = [(dockerfile, service) for dockerfile, service in wanted.items() if dockerfile not in built]
    certain = [f"{service} ({dockerfile})" for dockerfile, service in missing
               if not any(could_be(entry.dockerfile, dockerfile) for entry in unknown)]
    open_ = [f"{service} ({dockerfile})" for dockerfile, service in missing
             if f"{service} ({dockerfile})" not in certain]
    if certain:
        findings.append(Finding(path, line, 0, ID, expected(f"an entry for {', '.join(certain)}", found)))
    if open_ and not certain:
        entry = unknown[0]
        findings.append(Finding(entry.path or path, entry.line, 0, ID, expected(
            f"an entry for {', '.join(open_)}", found), undecided=True, settled_by=RUN_SCENARIO))
    for dockerfile, entry in sorted(built.items()):
        if not is_target_file(ctx.repo_dir, dockerfile):
            findings.append(Finding(entry.path or path, entry.line, 0, ID, expected(
                f"{dockerfile} to exist in the repository", "no such file")))
        elif dockerfile not in wanted:
            findings.append(Finding(entry.path or path, entry.line, 0, ID, expected(
                f"only the plan's services ({', '.join(ctx.plan.services)})", f"an entry building {dockerfile}")))
    unbuilt = sorted(_repo_dockerfiles(ctx) - set(built) - set(wanted))
    if unbuilt:
        findings.append(Finding(path, line, 0, ID, expected(f"a matrix entry for {', '.join(unbuilt)}", found)))
    return findings


RULE = Rule(ID, "its matrix covers exactly the plan's services and every Dockerfile.<service>", _check)
