"""local-test-run: the ``run:`` steps of the test job succeed in the target, run as a GitHub runner would run them.

The steps run through :mod:`cicd_acceptance.runner`: isolated from the harness (no credential of ours can be
reached), in a copy of the target's working tree (:mod:`cicd_acceptance.runner.workcopy`: what they delete or write
never touches the user's checkout), each bounded in time and output, with what a runner gives them (``CI``,
``GITHUB_*`` files and variables, ``RUNNER_TEMP``, the runner's shells), ``defaults.run`` (shell, working-directory)
of workflow and job, ``working-directory``, the ``env:`` of workflow, job and step, and step ``if:`` (``success()``
unless the condition names a status function). Expressions are evaluated for a push to the default branch; earlier
steps' outputs are known. A matrix job runs once per entry whose run: steps differ
(:mod:`~cicd_acceptance.workflows.checks.runentries`: a monorepo's ``${{ matrix.module }}``), once for all when
they do not (a matrix of Go versions). The run is a job that succeeds so far: after a failed step the job is red,
and what ``if: always()`` or ``failure()`` steps would still do cannot change that, so they are not run.

Offline some values cannot be known (secrets, vars, other jobs' outputs): a script, working directory or ``if:``
that needs one is reported as undecided, with the expression, and the step is not run; an ``env:`` value that
needs one is left unset, and if the step then fails, the failure is reported as undecided too.

A machine that cannot do the run is a tool problem, never a red of the target: no isolation available, no Go as
new as go.mod's ``go`` line, or a go.mod/go.work with a ``toolchain`` line (a Go before 1.21 cannot read it) and
a Go older than 1.21 here (nothing is downloaded: ``GOTOOLCHAIN=local``, ``GOPROXY=off``), or module
dependencies missing from the module cache (the harness's own, shown read-only, else the run's). Those raise
:class:`~cicd_acceptance.errors.ToolMissing`.

The job's ``services:`` (a database, a cache) and ``container:`` are not emulated: the steps run on this machine,
with nothing listening on the services' ports. A step that passes passes; a step that fails in such a job is
undecided (it may need what a service or the container image gives it), named with the services or the image,
and settled by the live CI check. Actions other than checkout and setup-go are not run either: a step that fails
because a command is missing here (exit 127, ``gotestsum: command not found``) is undecided too, naming the
command and the actions before it that may install it (or the runner image, which has more tools than this
machine).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from cicd_acceptance.errors import ToolError, ToolMissing, WorkflowLoadError
from cicd_acceptance.runner import JobWorkspace, Limits, Sandbox, ShellError, StepResult, StepSpec, default_sandbox
from cicd_acceptance.runner.workcopy import work_copy
from cicd_acceptance.tools import find_tool, run_command
from cicd_acceptance.workflows.checks.commands import checkout_root
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected, undecided
from cicd_acceptance.workflows.checks.runentries import MAX_RUNS, entries_to_run, linux_labels
from cicd_acceptance.workflows.event import github_context
from cicd_acceptance.workflows.expr_values import PartialObject
from cicd_acceptance.workflows.expressions import (
    ExprContext,
    Unknown,
    evaluate_if,
    interpolate,
    resolve,
    to_text,
    truthy,
)
from cicd_acceptance.workflows.goversions import GoVersion, parse_go_version
from cicd_acceptance.workflows.model import Job, Step, Workflow
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["LOCAL_RUN_LIMITS", "RULE", "local_go_version", "sandbox_cache_dir", "work_folder"]

ID = "local-test-run"
LOCAL_RUN_LIMITS = Limits(timeout_s=600.0, output_bytes=256 * 1024)
"""The bounds of each step of the local run (``ACCEPTANCE_LOCAL_RUN_TIMEOUT`` overrides the time, in seconds)."""
TIMEOUT_ENV = "ACCEPTANCE_LOCAL_RUN_TIMEOUT"
_OUTPUT_LINES = 8
_LINE_CHARS = 400
_QUIET = re.compile(r"^(\?|ok)\s+\S+\s")
_STATUS_CALL = re.compile(r"\b(success|always|failure|cancelled)\s*\(", re.IGNORECASE)
_MISSING_MODULES = re.compile(r"module lookup disabled by GOPROXY=off|GOPROXY=off|cannot find module providing")
_NOT_FOUND = re.compile(r"(?:^|[\s:])(?P<name>[^\s:]+): (?:command )?not found\s*$", re.MULTILINE)
_STOOD_IN_FOR = ("actions/checkout", "actions/setup-go", "actions/cache")
"""Actions whose work the local run stands in for (the checkout, the machine's Go) or that only save time."""
_READS_TOOLCHAIN = GoVersion(1, 21, 0, 0, "1.21")
"""The first Go that reads go.mod's ``toolchain`` line (an older one stops at 'unknown directive: toolchain')."""
_PASSED_THROUGH = ("GOFLAGS",)
"""Harness settings the steps inherit (Go build flags, no credentials); everything else is the runner's."""


@dataclass
class _Job:
    """The state of the job as the steps run: the expression context and the findings so far."""

    ctx: ExprContext
    findings: list[Finding] = field(default_factory=list)
    unknown_env: dict[str, str] = field(default_factory=dict)


def limits_from_env(environ: Mapping[str, str] | None = None) -> Limits:
    """:data:`LOCAL_RUN_LIMITS`, with the time bound from ``ACCEPTANCE_LOCAL_RUN_TIMEOUT`` when set."""
    raw = (os.environ if environ is None else environ).get(TIMEOUT_ENV, "").strip()
    if not raw:
        return LOCAL_RUN_LIMITS
    try:
        seconds = float(raw)
    except ValueError:
        raise ToolError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds", tool="local-run") from None
    if not 0 < seconds <= 86400:
        raise ToolError(f"{TIMEOUT_ENV}={raw!r} must be between 0 and 86400 seconds", tool="local-run")
    return Limits(timeout_s=seconds, output_bytes=LOCAL_RUN_LIMITS.output_bytes)


@lru_cache(maxsize=4)
def _go_env(go: str) -> tuple[str, str]:
    """``GOVERSION`` and ``GOMODCACHE`` of the Go at ``go`` (one run, outside any module)."""
    with tempfile.TemporaryDirectory(prefix="cicd-go-env-") as folder:
        result = run_command([go, "env", "GOVERSION", "GOMODCACHE"], cwd=Path(folder), timeout=60,
                             env={"GOTOOLCHAIN": "local", "GOFLAGS": None, "GO111MODULE": None})
    lines = result.stdout.splitlines()
    if not result.ok or len(lines) != 2:
        raise ToolError(f"`{go} env GOVERSION GOMODCACHE` exited {result.returncode}: "
                        f"{(result.stderr or result.stdout).strip()[-300:]}", tool="go")
    return lines[0].strip(), lines[1].strip()


def local_go_version(go: str) -> str:
    """``go env GOVERSION`` of the Go at ``go`` (``go1.19.8``)."""
    version = _go_env(go)[0]
    if not version:
        raise ToolError(f"`{go} env GOVERSION` printed nothing", tool="go")
    return version


def harness_module_cache() -> Path | None:
    """The harness's own Go module cache, when it has one: the steps may read it (never write it), so modules
    already downloaded on this machine build without a download."""
    go = find_tool("go")
    if go is None:
        return None
    folder = _go_env(go)[1]
    return Path(folder) if folder and Path(folder).is_dir() else None


def sandbox_cache_dir(repository: str) -> Path:
    """Where the steps' Go caches live: the harness's cache folder, one per repository being accepted.

    Shared between runs of the same repository (a warm build cache), never with another repository's steps, nor
    with the harness's own Go caches (a hostile target may write there).
    """
    key = hashlib.sha256((repository or "unknown").encode()).hexdigest()[:16]
    bases = [Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cicd-acceptance" / "local-run",
             Path(tempfile.gettempdir()) / f"cicd-acceptance-local-run-{os.getuid()}"]
    for base in bases:  # a read-only or missing home falls back to the temp folder
        folder = base / key
        try:
            (folder / "gopath").mkdir(parents=True, exist_ok=True)
            (folder / "go-build").mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        return folder
    raise ToolError(f"no writable folder for the local run's Go caches (tried {', '.join(map(str, bases))})",
                    tool="go")


def _require_go_for(ctx: CheckContext) -> None:
    """Raise ToolMissing when this machine's Go is older than go.mod's ``go`` line (nothing may be downloaded)."""
    mod = ctx.go_mod()
    if mod is None or mod.go is None:
        return
    wanted = parse_go_version(mod.go)
    go = find_tool("go")
    if wanted is None or go is None:
        return  # ci-go-version reports a bad go line; the rule's tool check reports a missing go
    local_text = local_go_version(go)
    local = parse_go_version(local_text.removeprefix("go").split()[0].split("-")[0])
    if local is None:
        return
    why = None
    if local.key < wanted.key:
        why = f"go.mod needs Go {mod.go} and this machine has {local_text}"
    elif mod.toolchain is not None and local.key < _READS_TOOLCHAIN.key:
        why = (f"go.mod has a 'toolchain' line (line {mod.toolchain_line}), which Go reads from 1.21 on, and this "
               f"machine has {local_text}")
    if why is not None:
        raise ToolMissing(f"{why}; no newer toolchain can be downloaded here, so the test job cannot build the "
                          "module (a machine problem, not the target's)", tool="go")


def _runner_env(ctx: CheckContext, job: Job, workspace: Path, cache: Path, modcache: Path) -> dict[str, str]:
    event = ctx.event("push")
    owner = event.repository.split("/", 1)[0]
    env = {
        "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace), "GITHUB_SHA": event.sha,
        "GITHUB_REF": event.ref, "GITHUB_REF_NAME": event.ref_name, "GITHUB_REF_TYPE": "branch",
        "GITHUB_REPOSITORY": event.repository, "GITHUB_REPOSITORY_OWNER": owner, "GITHUB_EVENT_NAME": "push",
        "GITHUB_JOB": job.id, "GITHUB_RUN_ID": "1", "GITHUB_RUN_NUMBER": "1", "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_ACTOR": owner, "GITHUB_SERVER_URL": "https://github.com", "GITHUB_WORKFLOW": ctx.plan.ci_workflow,
        "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_NAME": "cicd-acceptance", "RUNNER_ENVIRONMENT":
        "github-hosted", "PATH": os.environ.get("PATH", ""),
        # Go: caches the sandbox may write, and nothing downloaded (no toolchain, no module).
        "GOPATH": str(cache / "gopath"), "GOMODCACHE": str(modcache),
        "GOCACHE": str(cache / "go-build"), "GOTOOLCHAIN": "local", "GOPROXY": "off", "GOSUMDB": "off",
    }
    env.update({k: os.environ[k] for k in _PASSED_THROUGH if k in os.environ})
    return env


def _defaults(node: Node, key: str) -> Node | None:
    defaults = node.get("defaults")
    run = defaults.get("run") if defaults is not None else None
    return run.get(key) if run is not None else None


def _setting(workflow: Workflow, job: Job, step: Step, key: str) -> Node | None:
    """The step's ``key`` (shell, working-directory), else the job's ``defaults.run``, else the workflow's."""
    own = step.node.get(key)
    return own if own is not None else (_defaults(job.node, key) or _defaults(workflow.node, key))


def _tail(text: str) -> str:
    # go test prints one line per passing or test-less package; only the failing part explains the failure.
    lines = [line for line in text.strip().splitlines() if line.strip() and not _QUIET.match(line)]
    kept = [line if len(line) <= _LINE_CHARS else line[:_LINE_CHARS] + "..." for line in lines[-_OUTPUT_LINES:]]
    return " | ".join(kept) or "no output"


SETTLED_BY = "live: 'CI is green for the latest commit of the default branch'"
"""The live scenario that settles what the local run cannot decide offline."""


def _undecided(workflow: Workflow, line: int, what: str, value: Unknown) -> Finding:
    return undecided(workflow.path, line, ID, expected(f"{what} known offline",
                                                       f"{value.display()}, which only a run on GitHub knows"),
                     SETTLED_BY)


def _text(value: Any) -> str | Unknown:
    return value if isinstance(value, Unknown) else to_text(value)


def _step_env(state: _Job, step: Step) -> tuple[dict[str, str], frozenset[str], dict[str, str]]:
    """The step's env (workflow, job and step levels), the keys of its own level, and the unknown values."""
    env: dict[str, str] = {}
    unknown: dict[str, str] = {}
    for name, value in state.ctx.env.items():
        text = _text(value)
        if isinstance(text, Unknown):
            unknown[name] = text.display()
        else:
            env[name] = text
    return env, frozenset(step.env), unknown


def _run_step(workflow: Workflow, job: Job, step: Step, state: _Job, runner: JobWorkspace) -> StepResult | None:
    """Run one ``run:`` step; None when it was not run (skipped, or undecided and reported)."""
    step_ctx = state.ctx.with_env_nodes(step.env).at(step.line)
    condition = step.if_
    if condition is not None:
        decided = evaluate_if(condition, step_ctx)
        if isinstance(decided, Unknown):
            node = step.node.get("if")
            state.findings.append(_undecided(workflow, node.line if node else step.line, "a step condition",
                                             decided))
            return None
        if not decided:
            return None
    assert step.run is not None
    script = interpolate(step.run, step_ctx)
    if isinstance(script, Unknown):
        state.findings.append(_undecided(workflow, step.line, "a script", script))
        return None
    directory_node = _setting(workflow, job, step, "working-directory")
    directory = _text(resolve(directory_node, step_ctx)) if directory_node is not None else "."
    if isinstance(directory, Unknown):
        state.findings.append(_undecided(workflow, directory_node.line if directory_node else step.line,
                                         "a working-directory", directory))
        return None
    cwd = (runner.workspace / directory).resolve()
    if not cwd.is_relative_to(runner.workspace) or not cwd.is_dir():
        state.findings.append(Finding(workflow.path, step.line, 0, ID, expected(
            "a working-directory inside the repository", f"'{directory}'")))
        return None
    shell_node = _setting(workflow, job, step, "shell")
    shell = _text(resolve(shell_node, step_ctx)) if shell_node is not None else None
    if isinstance(shell, Unknown):
        state.findings.append(_undecided(workflow, step.line, "a shell", shell))
        return None
    env, own, unknown = _step_env(_Job(step_ctx), step)
    state.unknown_env = unknown
    minutes = _number(step.node.get("timeout-minutes"), step_ctx)
    spec = StepSpec(script, shell, cwd, env, name=step.label, step_env_keys=own,
                    timeout_s=minutes * 60 if minutes else None)
    try:
        return runner.run(spec)
    except ShellError as exc:
        state.findings.append(Finding(workflow.path, step.line, 0, ID, expected("a shell the runner knows",
                                                                                str(exc))))
        return None


def _number(node: Node | None, ctx: ExprContext) -> float | None:
    """A positive number from ``timeout-minutes`` (None when absent, unknown or not a positive number)."""
    value = resolve(node, ctx) if node is not None else None
    try:
        number = float(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else None
    except ValueError:
        return None
    return number if number is not None and 0 < number < 1e6 else None


def _continues(step: Step, ctx: ExprContext) -> bool | Unknown:
    """``continue-on-error`` of the step: a failure then leaves the job green."""
    node = step.node.get("continue-on-error")
    if node is None:
        return False
    value = resolve(node, ctx)
    return value if isinstance(value, Unknown) else truthy(value)


def _failure(workflow: Workflow, step: Step, result: StepResult, unknown_env: dict[str, str]) -> Finding:
    if result.timed_out:
        found = f"no end within the local run's time bound: {_tail(result.output)}"
    elif result.errors:
        found = f"file commands the runner would refuse: {'; '.join(result.errors)}"
    else:
        found = f"exit code {result.exit_code}: {_tail(result.output)}"
    first_line = (step.run or "").strip().splitlines()[0] if (step.run or "").strip() else ""
    what = f"'{first_line[:120]}' to succeed"
    if unknown_env:
        names = ", ".join(f"{k}={v}" for k, v in sorted(unknown_env.items()))
        found += f" (the step's env has values only a run on GitHub knows: {names})"
        return undecided(workflow.path, step.line, ID, expected(what, found), SETTLED_BY)
    return Finding(workflow.path, step.line, 0, ID, expected(what, found))


def _not_emulated(job: Job) -> str | None:
    """What the job gets on GitHub that the local run does not start (its services, its container), or None."""
    parts = []
    services = job.node.get("services")
    names = [name for name, _ in services.items()] if services is not None and services.is_mapping else []
    if names:
        parts.append(f"services ({', '.join(names)})")
    container = job.node.get("container")
    if container is not None and not container.is_null:
        image = container.get("image") if container.is_mapping else container
        text = image.scalar_text().strip() if image is not None and image.is_scalar else ""
        parts.append(f"container ({text[:_LINE_CHARS]})" if text else "container")
    return " and ".join(parts) or None


def _job_failure(workflow: Workflow, job: Job, step: Step, result: StepResult, unknown_env: dict[str, str]) -> Finding:
    """The failure of ``step`` as a finding: undecided when the job has services or a container the local run
    does not start (the step may need them), or when a command is missing here (exit 127) that the runner image
    or an action before the step may provide; else what :func:`_failure` says."""
    finding = _failure(workflow, step, result, unknown_env)
    if finding.undecided:
        return finding
    missing = _not_emulated(job)
    if missing is not None:
        why = f"the local run does not start the job's {missing}, and the step may need them"
    elif (command := _missing_command(result)) is not None:
        actions = [s.action for s in job.steps[:step.index] if s.action and s.action.lower() not in _STOOD_IN_FOR]
        given = f"the runner image or an action before it ({', '.join(actions)})" if actions else "the runner image"
        why = f"'{command}' is not on this machine; on GitHub {given} may provide it"
    else:
        return finding
    return undecided(workflow.path, step.line, ID, f"{finding.message} ({why})", SETTLED_BY)


def _missing_command(result: StepResult) -> str | None:
    """The command a shell could not find (exit status 127, ``x: command not found``), else None."""
    found = _NOT_FOUND.search(result.output) if result.exit_code == 127 else None
    return found["name"][:_LINE_CHARS] if found else None


def _missing_modules(result: StepResult) -> bool:
    return not result.ok and bool(_MISSING_MODULES.search(result.output))


def _check(ctx: CheckContext) -> list[Finding]:
    workflow, job = ctx.ci(), ctx.test_job()
    if job is None:
        return []  # ci-test-job reports the missing job
    if not any(step.run is not None for step in job.steps):
        return []
    entries, left_out = entries_to_run(workflow, job)
    if not entries or not linux_labels(job.runs_on):
        raise ToolMissing(f"the test job runs on {', '.join(job.runs_on)}; this harness runs steps as a Linux "
                          "runner only", tool="runner")
    first_run = next(step for step in job.steps if step.run is not None)
    root = checkout_root(job, first_run)
    if root != ".":  # the steps expect the repository in a folder of the workspace; the copy is the workspace
        raise ToolMissing(f"the test job checks the repository out into '{root}'; the local run gives the steps "
                          "the repository as the workspace itself only", tool="runner")
    # The sandbox probe (one isolated shell) runs while `go env` reads the local Go: both are waits on a child.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="acceptance-sandbox-probe") as pool:
        probe = pool.submit(default_sandbox)
        _require_go_for(ctx)
        sandbox = probe.result()  # ToolMissing when this machine cannot isolate the target's commands
    cache = sandbox_cache_dir(ctx.target.repository)
    findings = [] if not left_out else [undecided(workflow.path, job.line, ID, expected(
        f"at most {MAX_RUNS} distinct matrix entries to run locally", f"{left_out} more, not run here"), SETTLED_BY)]
    for entry in entries:  # each matrix entry is a job of its own, in a fresh copy of the checkout
        with work_copy(ctx.repo_dir, work_folder(cache, ctx.repo_dir)) as workspace:
            found = _run_job(ctx, workflow, job, sandbox, workspace, cache, entry)
        findings += [_in_entry(f, entry) for f in found] if len(entries) > 1 else found
    return findings


def _in_entry(finding: Finding, entry: dict[str, Any] | None) -> Finding:
    """``finding`` naming the matrix entry it happened in."""
    shown = ", ".join(f"{key}={value}" for key, value in (entry or {}).items())
    return replace(finding, message=f"{finding.message} [matrix entry {shown}]") if shown else finding


def work_folder(cache: Path, repo_dir: Path) -> Path:
    """The stable folder the steps run in: beside the repository's cache folder ``cache`` (which steps may write,
    so not inside it), named as the checkout is."""
    return cache.parent / f"{cache.name}-work" / (repo_dir.resolve().name or "target")


def _show_history(ctx: CheckContext, workspace: Path) -> Path | None:
    """Point the copy's ``.git`` at the checkout's git folder (shown read-only: ``git rev-parse HEAD``, ``git
    describe`` and Go's VCS stamping work, nothing can be committed into it); that folder, or None when the checkout
    has no plain ``.git`` folder (a linked worktree): git then finds no repository in the copy."""
    git_dir = ctx.target.git_root.resolve() / ".git"
    if git_dir.is_symlink() or not git_dir.is_dir():
        return None
    (workspace / ".git").write_text(f"gitdir: {git_dir}\n", encoding="utf-8")
    return git_dir


def _run_job(ctx: CheckContext, workflow: Workflow, job: Job, sandbox: Sandbox, workspace: Path,
             cache: Path, entry: dict[str, Any] | None = None) -> list[Finding]:
    github = github_context(ctx.event("push"))
    github_known = PartialObject({**github, "workspace": str(workspace), "job": job.id, "run_attempt": "1"},
                                 "github")
    base = ExprContext(github=github_known, path=workflow.path, matrix=entry,
                       matrix_known=job.matrix is None or entry is not None)
    try:
        state = _Job(base.with_env_nodes(workflow.env).with_env_nodes(job.env))
    except WorkflowLoadError as exc:
        return [Finding(workflow.path, exc.line or job.line, 0, ID, expected("env values that evaluate",
                                                                             exc.reason))]
    shared = harness_module_cache()
    modcache = shared or cache / "gopath" / "pkg" / "mod"
    git_dir = _show_history(ctx, workspace)
    readable = [p for p in (shared, git_dir) if p is not None]
    with JobWorkspace(workspace, runner_env=_runner_env(ctx, job, workspace, cache, modcache),
                      limits=limits_from_env(), sandbox=sandbox, writable=[cache], readable=readable,
                      git_dirs=[git_dir] if git_dir else []) as runner:
        for step in job.steps:
            if step.run is None:
                continue  # actions (checkout, setup-go) are what the local checkout and Go stand in for
            try:
                result = _run_step(workflow, job, step, state, runner)
            except WorkflowLoadError as exc:
                state.findings.append(Finding(workflow.path, exc.line or step.line, 0, ID,
                                              expected("expressions that evaluate", exc.reason)))
                continue
            if result is None:
                continue
            if _missing_modules(result):
                raise ToolMissing("the module's dependencies are not in the local run's module cache and cannot "
                                  f"be downloaded here: {_tail(result.output)}", tool="go")
            if not result.ok:
                tolerated = _continues(step, state.ctx.with_env_nodes(step.env))
                if tolerated is True:
                    continue  # continue-on-error: the step failed, the job goes on green
                finding = _job_failure(workflow, job, step, result, state.unknown_env)
                if isinstance(tolerated, Unknown):
                    finding = undecided(workflow.path, step.line, ID, f"{finding.message}; whether that fails the "
                                        f"job depends on continue-on-error: {tolerated.display()}", SETTLED_BY)
                state.findings.append(finding)
                break  # the job is red; steps that run after a failure cannot make it green
            if step.id:
                state.ctx = state.ctx.with_step_outputs(step.id, {
                    "outputs": dict(result.outputs), "outcome": "success", "conclusion": "success"})
            state.ctx = state.ctx.with_env(dict(result.env_added))
    return state.findings


RULE = Rule(ID, "the test job's commands succeed in the target", _check, tool="go")
