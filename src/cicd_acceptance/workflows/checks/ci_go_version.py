"""ci-go-version: actions/setup-go installs the Go that go.mod names.

Accepted: ``go-version-file: go.mod`` (the file must exist), or a ``go-version`` equal to go.mod's ``go`` line or
``toolchain`` line (``1.19``; ``1.19.x`` too when go.mod names no patch release, as setup-go reads both alike).
``${{ matrix.x }}`` and ``${{ env.X }}`` are resolved from the job; with a matrix of versions, go.mod's must be
one of them (newer ones may be tested besides).
"""

from __future__ import annotations

import re

from cicd_acceptance.workflows.checks.context import CheckContext, GoMod, first_step
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.model import Job, Workflow

__all__ = ["RULE"]

ID = "ci-go-version"
_MATRIX = re.compile(r"^\$\{\{\s*matrix\.(?P<key>[\w-]+)\s*\}\}$")
_ENV = re.compile(r"^\$\{\{\s*env\.(?P<key>[\w-]+)\s*\}\}$")


def _versions(text: str, workflow: Workflow, job: Job) -> list[str]:
    if match := _MATRIX.match(text.strip()):
        values = job.matrix.values(match["key"]) if job.matrix is not None else None
        return [str(v) for v in values] if values else [text]
    if match := _ENV.match(text.strip()):
        node = job.env.get(match["key"]) or workflow.env.get(match["key"])
        return [node.scalar_text()] if node is not None else [text]
    return [text]


def _accepted(mod: GoMod) -> set[str]:
    versions = {v for v in (mod.go, mod.toolchain) if v}
    return versions | {f"{v}.x" for v in versions if v.count(".") == 1}


def _wanted(mod: GoMod) -> str:
    parts = [f"go {mod.go}"] if mod.go else []
    parts += [f"toolchain go{mod.toolchain}"] if mod.toolchain else []
    return " / ".join(parts)


def _check(ctx: CheckContext) -> list[Finding]:
    workflow, job = ctx.ci(), ctx.test_job()
    step = first_step(job, "actions/setup-go") if job is not None else None
    if job is None or step is None:
        return []  # ci-test-job / ci-actions report these
    mod = ctx.go_mod()
    if mod is None or mod.go is None:
        return [Finding("go.mod", 0, 0, ID, expected("a go.mod with a 'go' line", "none"))]
    version_file = step.with_text("go-version-file")
    if version_file is not None:
        if version_file.strip().removeprefix("./") == "go.mod":
            return []
        line = step.with_["go-version-file"].line
        return [Finding(workflow.path, line, 0, ID, expected("go-version-file: go.mod", f"'{version_file}'"))]
    version = step.with_text("go-version")
    if version is None:
        return [Finding(workflow.path, step.line, 0, ID,
                        expected(f"go-version-file: go.mod or go-version: {mod.go}", "neither"))]
    versions = _versions(version, workflow, job)
    bad = [v for v in versions if v.strip() not in _accepted(mod)]
    if len(bad) < len(versions):
        return []  # go.mod's version is among those tested (a matrix may add newer ones)
    line = step.with_["go-version"].line
    return [Finding(workflow.path, line, 0, ID,
                    expected(f"go-version equal to go.mod's {_wanted(mod)}", f"go-version: {', '.join(bad)}"))]


RULE = Rule(ID, "the Go version follows go.mod", _check)
