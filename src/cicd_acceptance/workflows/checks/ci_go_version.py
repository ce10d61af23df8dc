"""ci-go-version: actions/setup-go installs a Go at least as new as go.mod's ``go`` line.

setup-go resolves a spec to the newest release it admits (:mod:`cicd_acceptance.workflows.goversions`), so
``go-version: '1.24'`` with ``go 1.24.0`` is fine, and so are ``1.24.x``, ``^1.24``, ``>=1.22`` and ``stable``.
A red means what setup-go would install is older than the ``go`` line (or the spec or file is invalid):
``go-version: 1.20`` unquoted is the YAML number 1.2, and GitHub passes it on as ``1.2``. ``go-version`` wins over
``go-version-file`` as in setup-go. The file may be ``go.mod``/``go.work`` (its ``toolchain`` line from setup-go v6,
else the ``go`` line), ``.tool-versions`` (the ``golang`` line) or a file holding just the version (``.go-version``).
``${{ matrix.x }}`` and ``${{ env.X }}`` come from the job, also inside text (``${{ matrix.go }}.x``); each matrix
entry installs its own Go, so each is checked (but an entry in which the setup-go step's ``if:`` is false, such as
an experimental ``tip`` entry that installs Go by a script, is not). The same holds for ``go-version-file`` (a
monorepo's ``${{ matrix.module }}/go.mod``): each entry's file is read, and judged against the root go.mod's ``go``
line.
The setup-go step may be inside a local composite action the job calls (``uses: ./.github/actions/setup``): its
``${{ inputs.x }}`` come from the caller's ``with:`` or the input's default.
``oldstable`` above the newest release known offline, a version or file from an expression only GitHub knows
(``${{ vars.GO }}``), and a setup-go with neither input (it installs nothing: the job uses the Go preinstalled on
the runner image, which with Go 1.21 and later also switches to go.mod's toolchain on its own) are undecided: the
live CI check settles them.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from cicd_acceptance.errors import HarnessError, WorkflowLoadError
from cicd_acceptance.targetfiles import read_target_text
from cicd_acceptance.workflows.checks.commands import checkout_root
from cicd_acceptance.workflows.checks.context import ActionStep, CheckContext, GoMod, action_step
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected, undecided
from cicd_acceptance.workflows.event import github_context
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, evaluate_if, resolve, to_text
from cicd_acceptance.workflows.goversions import GoVersion, VersionRange, parse_go_version, parse_setup_go_spec
from cicd_acceptance.workflows.matrix import Combination
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
SETTLED_BY = "live: 'CI is green for the latest commit of the default branch'"


def _as_github_text(node: Node) -> str:
    """The input as GitHub passes it: an unquoted ``1.20`` is the number 1.2, and arrives as ``1.2``."""
    if not node.is_string and isinstance(node.value, float):
        return repr(node.value) if node.value != int(node.value) else str(int(node.value))
    return node.scalar_text()


def _versions(node: Node, workflow: Workflow, job: Job, found: ActionStep, github: dict[str, object]) -> list[str]:
    text = node.scalar_text()
    if match := _MATRIX.match(text.strip()):
        entries = _entries(workflow, job, found, github)
        values = [entry[match["key"]] for entry in entries or [] if match["key"] in entry]
        return list(dict.fromkeys(_number_text(v) for v in values)) if values else [text]
    if match := _ENV.match(text.strip()):
        env = job.env.get(match["key"]) or workflow.env.get(match["key"])
        return [_as_github_text(env)] if env is not None else [text]
    if "${{" in text:
        return _evaluated(node, workflow, job, found, github)
    return [_as_github_text(node)]


def _evaluated(node: Node, workflow: Workflow, job: Job, setup: ActionStep, github: dict[str, object]) -> list[str]:
    """A spec with text around its expressions (``${{ matrix.go }}.x``, ``${{ inputs.go }}`` in a composite
    action), evaluated for each matrix entry; the text as written (undecided) when any entry needs what only a run
    knows."""
    combos = _entries(workflow, job, setup, github)
    step = setup.step
    base = ExprContext(github=github, path=setup.path, line=node.line, inputs=setup.inputs,
                       inputs_complete=setup.inputs is not None)
    found: list[str] = []
    entries: list[Combination | None] = list(combos) if combos is not None else [None]
    for combo in entries:
        try:
            ctx = base.with_matrix(combo, known=combos is not None).with_env_nodes(workflow.env)
            value = resolve(node, ctx.with_env_nodes(job.env).with_env_nodes(step.env))
        except HarnessError:
            return [node.scalar_text()]
        if isinstance(value, Unknown) or "${{" in to_text(value):
            return [node.scalar_text()]
        found.append(to_text(value))
    return list(dict.fromkeys(found))


def _entries(workflow: Workflow, job: Job, setup: ActionStep, github: dict[str, object]) -> list[Combination] | None:
    """The matrix entries in which the setup-go step runs (an entry whose ``if:`` is false, such as an
    experimental ``tip`` entry that installs Go its own way, installs nothing through it); None without a matrix."""
    combos = job.matrix.combinations() if job.matrix is not None else None
    if combos is None:
        return None
    base = ExprContext(github=github, path=workflow.path).with_env_nodes(workflow.env)
    conditions = [step.if_ for step in {id(s): s for s in (setup.caller, setup.step)}.values() if step.if_]
    return [combo for combo in combos
            if not any(evaluate_if(condition, base.with_matrix(combo)) is False for condition in conditions)]


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


def _judge(spec: str, wanted: GoVersion, mod: GoMod, where: str) -> tuple[bool | None, str]:
    """(True, "") when setup-go installs ``wanted`` or newer; (False, why) when it does not; (None, why) when only
    a run can tell (an expression only GitHub knows, ``oldstable`` above the releases known offline)."""
    if "${{" in spec:
        return None, f"{where} '{spec}', which only a run on GitHub knows"
    found: VersionRange | None = parse_setup_go_spec(spec)
    if found is None:
        return False, f"{where} '{spec}', which setup-go cannot resolve to a Go release"
    verdict = found.admits_at_least(wanted)
    if verdict is None:
        return None, (f"{where} '{spec}' ({found.describe()}; whether that reaches go {mod.go} depends on the Go "
                      "releases of the day)")
    return verdict, "" if verdict else f"{where} '{spec}', which installs {found.describe()}"


def _finding(path: str, line: int, goal: str, verdict: bool | None, why: str) -> list[Finding]:
    if verdict is True:
        return []
    if verdict is None:
        return [undecided(path, line, ID, expected(goal, why), SETTLED_BY)]
    return [Finding(path, line, 0, ID, expected(goal, why))]


def _check(ctx: CheckContext) -> list[Finding]:
    workflow, job = ctx.ci(), ctx.test_job()
    found = action_step(ctx, workflow, job, "actions/setup-go") if job is not None else None
    if job is None or found is None:
        return []  # ci-test-job / ci-actions report these
    step, path = found.step, found.path
    mod = ctx.go_mod()
    if mod is None or mod.go is None:
        return [Finding("go.mod", 0, 0, ID, expected("a go.mod with a 'go' line", "none"))]
    wanted = _wanted(mod)
    if wanted is None:
        return [Finding("go.mod", mod.go_line, 0, ID, expected("a valid 'go' line", f"'go {mod.go}'"))]
    goal = f"setup-go to install go.mod's go {mod.go} or newer"
    github = dict(github_context(ctx.event("push")))
    version_node = step.with_.get("go-version")
    specs = _versions(version_node, workflow, job, found, github) if version_node is not None else []
    if version_node is not None and any(spec.strip() for spec in specs):
        # An empty spec (an input left out) is no version: setup-go then reads the file.
        findings = []
        for spec in (spec for spec in specs if spec.strip()):
            findings += _finding(path, version_node.line, goal, *_judge(spec, wanted, mod, "go-version"))
        return findings
    file_node = step.with_.get("go-version-file")
    if file_node is None or not file_node.scalar_text().strip():
        # setup-go then installs nothing and the job uses the Go preinstalled on the runner image of the day.
        return [undecided(path, step.line, ID, expected(
            "go-version-file: go.mod or a go-version", "neither: the job uses the Go preinstalled on the runner, "
            "which only a run on GitHub knows"), SETTLED_BY)]
    findings = []
    root = checkout_root(job, found.caller)  # setup-go reads the file from the workspace, the checkout may be in it
    for name in _versions(file_node, workflow, job, found, github):  # one file per matrix entry
        findings += _from_file(ctx, path, step, file_node, _in_checkout(name.strip(), root), goal, wanted, mod)
    return findings


def _in_checkout(name: str, root: str) -> str:
    """A workspace-relative file name as a path in the repository that actions/checkout put at ``root``."""
    if root == "." or "${{" in name:
        return name
    return posixpath.relpath(posixpath.normpath(name), root)


def _from_file(ctx: CheckContext, path: str, step: Step, node: Node, name: str, goal: str,
               wanted: GoVersion, mod: GoMod) -> list[Finding]:
    """The finding for a ``go-version-file`` named ``name`` (its text as written when only a run knows it)."""
    if "${{" in name:
        return _finding(path, node.line, goal, None, f"go-version-file '{name}', which only a run on GitHub knows")
    text, why_not = _read_inside(ctx.repo_dir, name)
    if text is None:
        return [Finding(path, node.line, 0, ID,
                        expected("a go-version-file in the repository", f"'{name}', {why_not}"))]
    major = _setup_go_major(step)
    from_file = spec_from_file(name, text, toolchain_first=major is None or major >= 6)
    if from_file is None:
        return [Finding(path, node.line, 0, ID,
                        expected("a go-version-file that names a Go version", f"none in '{name}'"))]
    return _finding(path, node.line, goal, *_judge(from_file, wanted, mod, f"go-version-file '{name}' with"))


RULE = Rule(ID, "the Go version follows go.mod", _check)
