"""ci-go-version: actions/setup-go installs a Go at least as new as go.mod's ``go`` line.

setup-go resolves a spec to the newest release it admits (:mod:`cicd_acceptance.workflows.goversions`), so
``go-version: '1.24'`` with ``go 1.24.0`` is fine, and so are ``1.24.x``, ``^1.24``, ``>=1.22`` and ``stable``.
A red means what setup-go would install is older than the ``go`` line (or the spec or file is invalid):
``go-version: 1.20`` unquoted is the YAML number 1.2, and GitHub passes it on as ``1.2``. ``go-version`` wins over
``go-version-file`` as in setup-go. The file may be ``go.mod``/``go.work`` (its ``toolchain`` line from setup-go v6,
else the ``go`` line), ``.tool-versions`` (the ``golang`` line) or a file holding just the version (``.go-version``).
``${{ matrix.x }}`` and ``${{ env.X }}`` come from the job; each matrix entry installs its own Go, so each is checked.
``oldstable`` above the newest release known offline cannot be decided here: it is reported as undecided.
"""

from __future__ import annotations

import re
from pathlib import Path

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.targetfiles import read_target_text
from cicd_acceptance.workflows.checks.context import CheckContext, GoMod, first_step
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.goversions import GoVersion, VersionRange, parse_go_version, parse_setup_go_spec
from cicd_acceptance.workflows.model import Job, Step, Workflow
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["RULE", "spec_from_file"]

ID = "ci-go-version"
_MATRIX = re.compile(r"^\$\{\{\s*matrix\.(?P<key>[\w-]+)\s*\}\}$")
_ENV = re.compile(r"^\$\{\{\s*env\.(?P<key>[\w-]+)\s*\}\}$")
_GO_DIRECTIVE = re.compile(r"^go\s+(?P<version>\S+)\s*(?://.*)?$")
_TOOLCHAIN = re.compile(r"^toolchain\s+go(?P<version>\S+)\s*(?://.*)?$")
_TOOL_VERSIONS = re.compile(r"^golang\s+(?P<version>[^\s#]+)")
_MAX_FILE_BYTES = 256 * 1024


def _as_github_text(node: Node) -> str:
    """The input as GitHub passes it: an unquoted ``1.20`` is the number 1.2, and arrives as ``1.2``."""
    if not node.is_string and isinstance(node.value, float):
        return repr(node.value) if node.value != int(node.value) else str(int(node.value))
    return node.scalar_text()


def _versions(node: Node, workflow: Workflow, job: Job) -> list[str]:
    text = node.scalar_text()
    if match := _MATRIX.match(text.strip()):
        values = job.matrix.values(match["key"]) if job.matrix is not None else None
        return [_number_text(v) for v in values] if values else [text]
    if match := _ENV.match(text.strip()):
        env = job.env.get(match["key"]) or workflow.env.get(match["key"])
        return [_as_github_text(env)] if env is not None else [text]
    return [_as_github_text(node)]


def _number_text(value: object) -> str:
    if isinstance(value, float):
        return repr(value) if value != int(value) else str(int(value))
    return str(value)


def _setup_go_major(step: Step) -> int | None:
    match = re.match(r"^v(\d+)", step.ref or "")
    return int(match[1]) if match else None


def _read_inside(repo_dir: Path, rel: str) -> tuple[str | None, str]:
    """The text of ``rel`` if it is a regular file inside the repository (bounded), else None and why not."""
    try:
        return read_target_text(repo_dir, rel, max_bytes=_MAX_FILE_BYTES), ""
    except WorkflowLoadError as exc:
        return None, exc.reason


def spec_from_file(name: str, text: str, *, toolchain_first: bool) -> str | None:
    """The version spec setup-go reads from a ``go-version-file`` named ``name`` (None: no version in it)."""
    base = Path(name).name
    lines = [line.strip() for line in text.splitlines()]
    if base in ("go.mod", "go.work"):
        found: dict[str, str] = {}
        for line in lines:
            for kind, pattern in (("go", _GO_DIRECTIVE), ("toolchain", _TOOLCHAIN)):
                if (match := pattern.match(line)) and kind not in found:
                    found[kind] = match["version"]
        if toolchain_first and "toolchain" in found:
            return found["toolchain"]
        return found.get("go")
    if base == ".tool-versions":
        return next((m["version"] for line in lines if (m := _TOOL_VERSIONS.match(line))), None)
    return next((line for line in lines if line), None)


def _wanted(mod: GoMod) -> GoVersion | None:
    return parse_go_version(mod.go) if mod.go else None


def _judge(spec: str, wanted: GoVersion, mod: GoMod, where: str) -> str | None:
    """None when setup-go installs ``wanted`` or newer; else why not (as the 'found' half of a message)."""
    found: VersionRange | None = parse_setup_go_spec(spec)
    if found is None:
        return f"{where} '{spec}', which setup-go cannot resolve to a Go release"
    verdict = found.admits_at_least(wanted)
    if verdict is None:
        return (f"{where} '{spec}' ({found.describe()}; whether that reaches go {mod.go} depends on the Go "
                "releases of the day: undecided offline)")
    return None if verdict else f"{where} '{spec}', which installs {found.describe()}"


def _check(ctx: CheckContext) -> list[Finding]:
    workflow, job = ctx.ci(), ctx.test_job()
    step = first_step(job, "actions/setup-go") if job is not None else None
    if job is None or step is None:
        return []  # ci-test-job / ci-actions report these
    mod = ctx.go_mod()
    if mod is None or mod.go is None:
        return [Finding("go.mod", 0, 0, ID, expected("a go.mod with a 'go' line", "none"))]
    wanted = _wanted(mod)
    if wanted is None:
        return [Finding("go.mod", mod.go_line, 0, ID, expected("a valid 'go' line", f"'go {mod.go}'"))]
    goal = f"setup-go to install go.mod's go {mod.go} or newer"
    version_node = step.with_.get("go-version")
    if version_node is not None and version_node.scalar_text().strip():
        findings = []
        for spec in _versions(version_node, workflow, job):
            why = _judge(spec, wanted, mod, "go-version")
            if why is not None:
                findings.append(Finding(workflow.path, version_node.line, 0, ID, expected(goal, why)))
        return findings
    file_node = step.with_.get("go-version-file")
    if file_node is None or not file_node.scalar_text().strip():
        return [Finding(workflow.path, step.line, 0, ID, expected("go-version-file: go.mod or a go-version",
                                                                   "neither"))]
    name = file_node.scalar_text().strip()
    text, why_not = _read_inside(ctx.repo_dir, name)
    if text is None:
        return [Finding(workflow.path, file_node.line, 0, ID,
                        expected("a go-version-file in the repository", f"'{name}', {why_not}"))]
    major = _setup_go_major(step)
    from_file = spec_from_file(name, text, toolchain_first=major is None or major >= 6)
    if from_file is None:
        return [Finding(workflow.path, file_node.line, 0, ID,
                        expected("a go-version-file that names a Go version", f"none in '{name}'"))]
    why = _judge(from_file, wanted, mod, f"go-version-file '{name}' with")
    return [] if why is None else [Finding(workflow.path, file_node.line, 0, ID, expected(goal, why))]


RULE = Rule(ID, "the Go version follows go.mod", _check)
