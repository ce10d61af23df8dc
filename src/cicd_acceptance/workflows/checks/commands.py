"""Finding a shell command (the plan's ``go test ./...``) in the ``run:`` scripts of a job, and where it runs.

A script line matches when it starts with the plan command's first two words (``go test``; assignments such as
``CGO_ENABLED=1`` and ``env``/``time`` before them only set up its environment) and contains every other word
(``./...``): flags such as ``-race`` or ``-v`` are allowed, a different package pattern is not, and neither are
flags that run only some tests or none (``-run``, ``-skip``, ``-list``, ``-n``, ``-c``). gotestsum runs ``go test``
as its own code does: ``gotestsum --format testname`` is ``go test ./...``, ``gotestsum -- -race ./...`` is
``go test -race ./...``.
A command in a ``cd elsewhere && ...`` line, after a ``cd elsewhere`` line, or in a step with a
``working-directory`` (step, job ``defaults`` or workflow ``defaults``) runs somewhere other than the root; a
``working-directory`` from the matrix (a monorepo's ``${{ matrix.module }}`` over ``[., tools]``) runs at the root in
the entries where it evaluates to the root. A
command continued over several lines (a ``\\`` at the end of a line) is one command, at its first line.
The repository root is where actions/checkout put the repository: the workspace, or its ``path:`` input
(``path: src`` then ``working-directory: src`` runs at the root; no directory at all then does not).

Each command of a list (``a && b``, ``a; b``) is looked at, not only the last: ``go test ./... && go vet ./...``
runs the tests. A failing command before ``&&`` fails the step only when its list ends the script (``bash -e``
does not stop on it, so a later line would hide the failure); one before ``||`` does only when what follows exits
non-zero (``|| exit 1``, ``|| { echo failed; exit 1; }``), not ``|| true``. A pipeline's status is its last
command's unless ``pipefail`` is on (``shell: bash``, or ``set -o pipefail`` in the script): ``go test ./... | tee
out.txt`` under the default ``bash -e`` passes whatever the tests do (a reporter that fails on failed tests
itself, ``| go-junit-report -set-exit-code``, does not hide them). PowerShell (a Windows runner's default) and
``cmd`` go on after a failing native command and end with the last one's status: a ``go test`` on any line but
the last is hidden, unless ``$PSNativeCommandUseErrorActionPreference = $true`` or the script reads
``$LASTEXITCODE`` itself.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.checks.scriptfiles import delegate
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, interpolate
from cicd_acceptance.workflows.model import Job, Step, Workflow
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["CommandSite", "checkout_root", "find_command", "may_hide_command", "root_in_an_entry", "scripts_per_entry",
           "working_directory"]

# The runner's workspace (the checkout) however it is written: ${{github.workspace}}, "$GITHUB_WORKSPACE/"...
_WORKSPACE = re.compile(r"^(?:\$\{\{\s*github\.workspace\s*\}\}|\$GITHUB_WORKSPACE|\$\{GITHUB_WORKSPACE\})")
_SUBSET_FLAGS = {"run", "skip", "list", "n", "c"}
_CD = re.compile(r"^\s*cd\s+(?P<dir>.+)$")
_LIST = re.compile(r"(&&|\|\||;)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WRAPPERS = {"env", "time", "exec", "command"}
_OPTION_WRAPPERS = {"timeout": {"-k", "-s", "--kill-after", "--signal"}, "nice": {"-n"}, "xvfb-run": {"-s", "-n"},
                    "sudo": {"-u", "-g"}}
"""Commands that run the command after their options (and ``timeout``'s duration) with its status; the options
that take a value."""
_EXITS_NONZERO = re.compile(r"\bexit\s+(?:[1-9]|\$\?|\"?\$\{?\?)|^\s*false\b")
_PASS_THROUGH = {"tee", "cat", "head", "tail", "sed", "awk", "sort", "column"}
_GOTESTSUM = re.compile(r"^gotest\.tools/gotestsum(?:@\S+)?$")
_SET_ERREXIT = re.compile(r"^\s*set\s+(?:.*\s)?(?:-[a-zA-Z]*e|-o\s+errexit)")
_SCRIPT_DIR = re.compile(r"\$\(\s*dirname\s+\$(?:0|\{0\}|\{BASH_SOURCE(?:\[0\])?\})\s*\)"  # $(dirname "$0")
                         r"|\$\{(?:0|BASH_SOURCE(?:\[0\])?)%/\*\}")  # ${0%/*}
_TOPLEVEL = re.compile(r"\$\(\s*git\s+rev-parse\s+--show-toplevel\s*\)")
_PS_NATIVE_ERRORS = re.compile(r"\$PSNativeCommandUseErrorActionPreference\s*=\s*\$true", re.IGNORECASE)
_HANDS_OVER = {"make", "gmake", "task", "bash", "sh", "gotestsum"}
_MAX_DEPTH = 3  # make calling make calling a script
_SET_PIPEFAIL = re.compile(r"^\s*set\s+(?:.*\s)?-\w*o\s+pipefail")


@dataclass(frozen=True)
class CommandSite:
    """Where a command appears: the step, the absolute line in the file, and the directory it runs in."""

    step: Step
    line: int
    text: str
    directory: str | None
    fails_step: bool = True  # False: the script goes on whatever the command returns (``|| true``, a pipe)


def _normalized(directory: str) -> str:
    """A workspace-relative spelling of a directory (``./``, ``${{ github.workspace }}/x``, ``"x/"``)."""
    return posixpath.normpath(_WORKSPACE.sub(".", directory.strip().strip("'\"")) or ".")


def _is_root(directory: str, root: str = ".") -> bool:
    """Whether a ``working-directory`` or ``cd`` target is the repository root (``root``, workspace-relative)."""
    return bool(directory.strip().strip("'\"")) and _normalized(directory) == root


def checkout_root(job: Job, before: Step) -> str:
    """Where the job's last actions/checkout before ``before`` put the repository, workspace-relative (``.``
    when it names no ``path``, or when a ``path`` only a run knows is written with an expression)."""
    root = "."
    for step in job.steps:
        if step is before:
            break
        if step.uses_action("actions/checkout"):
            path = step.with_text("path") or ""
            root = "." if not path.strip() or "${{" in path else _normalized(path)
    return root


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return text.split()


def _command_words(text: str) -> list[str]:
    """The words of a simple command without what only sets up its environment (``CGO_ENABLED=1``, ``env``,
    ``time``, ``timeout 10m``, ``xvfb-run -a``): ``CGO_ENABLED=1 go test -race ./...`` runs ``go test``."""
    words = _words(text)
    while words and (_ASSIGNMENT.match(words[0]) or words[0] in _WRAPPERS or words[0] in _OPTION_WRAPPERS):
        wrapper, words = words[0], words[1:]
        while wrapper in _OPTION_WRAPPERS and words and words[0].startswith("-"):
            words = words[2:] if words[0] in _OPTION_WRAPPERS[wrapper] else words[1:]
        if wrapper == "timeout" and words:
            words = words[1:]  # its duration; the status is the command's (124 when the time runs out)
    return words


def _gotestsum_as_go_test(words: list[str]) -> list[str]:
    """What gotestsum runs (``gotestsum [flags] [-- go test args]``, also as ``go run gotest.tools/gotestsum@v``):
    ``go test`` with the args after ``--``, plus ``--packages``; with no args, ``go test ./...`` (or the packages).
    ``--raw-command`` runs the args after ``--`` as they are. Other words are returned unchanged."""
    if words[:2] == ["go", "run"] and len(words) > 2 and _GOTESTSUM.match(words[2]):
        words = ["gotestsum", *words[3:]]
    if not words or posixpath.basename(words[0]) != "gotestsum":
        return words
    own, args = (words[1:words.index("--")], words[words.index("--") + 1:]) if "--" in words else (words[1:], [])
    if "--raw-command" in own:
        return args
    packages: list[str] = []
    for i, word in enumerate(own):
        if word.startswith("--packages="):
            packages = word.split("=", 1)[1].split()
        elif word == "--packages" and i + 1 < len(own):
            packages = own[i + 1].split()
    return ["go", "test", *args, *packages] if args else ["go", "test", *(packages or ["./..."])]


def _matches(line: str, command: str) -> bool:
    want, have = _words(command), _gotestsum_as_go_test(_command_words(line))
    if len(have) < 2 or have[:2] != want[:2] or not all(word in have[2:] for word in want[2:]):
        return False
    # Flags that run a subset of the tests, or none at all, do not run "the tests".
    return not any(word.split("=")[0].lstrip("-") in _SUBSET_FLAGS for word in have[2:] if word.startswith("-"))


def _defaults_run(node: Node, key: str) -> str | None:
    defaults = node.get("defaults")
    run = defaults.get("run") if defaults is not None else None
    value = run.get(key) if run is not None else None
    return value.scalar_text() if value is not None else None


def _defaults_dir(node: Node) -> str | None:
    return _defaults_run(node, "working-directory")


def _shell(workflow: Workflow, job: Job, step: Step) -> str:
    """The step's shell as written (step, job or workflow ``defaults.run``); ``pwsh`` on a Windows runner that
    names none; empty for the runner's default ``bash -e``."""
    written = step.node.get("shell")
    shell = written.scalar_text() if written is not None else None
    shell = (shell or _defaults_run(job.node, "shell") or _defaults_run(workflow.node, "shell") or "").strip()
    if not shell and any("windows" in label.lower() for label in job.runs_on):
        shell = "pwsh"
    return shell


def _pipefail(shell: str) -> bool:
    """Whether a failing command inside a pipeline fails the step: the shell starts with ``pipefail`` (GitHub's
    ``bash`` is ``bash -eo pipefail {0}``), or it is PowerShell (Windows' default), whose step ends with the exit
    code of the last native command, ``go`` itself when ``tee`` is ``Tee-Object``."""
    return shell == "bash" or "pipefail" in shell or _native_status_shell(shell)


def _native_status_shell(shell: str) -> bool:
    """PowerShell and cmd: a failing native command does not stop the script; the step ends with the status of
    the last one (GitHub appends ``exit $LASTEXITCODE``), so only the last line's ``go test`` decides."""
    return shell.split(" ")[0] in ("pwsh", "powershell", "cmd")


def _errexit(shell: str, script: str) -> bool:
    """Whether a failing command on any line fails the step: every POSIX shell the runner starts with ``-e``;
    PowerShell only with ``$PSNativeCommandUseErrorActionPreference = $true`` (or a script that reads
    ``$LASTEXITCODE`` itself, as ``${PIPESTATUS[0]}`` is read for bash)."""
    return not _native_status_shell(shell) or bool(_PS_NATIVE_ERRORS.search(script)) or "LASTEXITCODE" in script


def working_directory(workflow: Workflow, job: Job, step: Step, root: str = ".") -> str | None:
    """The directory a ``run:`` step runs in, as written (None: the repository root, ``root``)."""
    for candidate in (step.working_directory, _defaults_dir(job.node), _defaults_dir(workflow.node)):
        if candidate is not None:
            at_root = _is_root(candidate, root) or root_in_an_entry(workflow, job, candidate, root) is True
            return None if at_root else candidate
    return None if root == "." else "."


def root_in_an_entry(workflow: Workflow, job: Job, directory: str, root: str = ".") -> bool | None:
    """Whether a directory with expressions (a monorepo's ``${{ matrix.module }}``) is the root in some matrix
    entry (that entry's job runs the command at the root); None when it is not known in every entry (a value only
    a run knows, ``${{ vars.DIR }}``). False for a directory without expressions."""
    if "${{" not in _normalized(directory):
        return False
    combos = job.matrix.combinations() if job.matrix is not None else None
    base = ExprContext(path=workflow.path).with_env_nodes(workflow.env).with_env_nodes(job.env)
    known = True
    for combo in combos or [None]:
        try:
            value = interpolate(_normalized(directory), base.with_matrix(combo, known=combos is not None))
        except HarnessError:
            value = None  # an expression that does not evaluate: unknown here
        if isinstance(value, str) and _is_root(value, root):
            return True
        known = known and isinstance(value, str)
    return False if known else None


def _script_line(step: Step, offset: int) -> int:
    # A block scalar (``run: |``) starts on the line after its indicator; a plain one starts where it stands.
    run = step.node.get("run")
    if run is None:
        return step.line
    block = "\n" in (run.text or "")
    return run.line + (1 if block else 0) + offset


def _passes_through(command: str) -> bool:
    """Whether a pipeline ending in ``command`` succeeds whatever came before it (``tee``, ``cat``...); a reporter
    such as ``go-junit-report -set-exit-code`` or ``tparse`` fails on failed tests itself, so it is not one."""
    words = _words(command)
    return bool(words) and words[0] in _PASS_THROUGH


def _commands(line: str) -> list[tuple[str, str | None, str]]:
    """The commands of a list on one line, each with the operator after it (None at the end) and the rest of the
    line after that operator."""
    parts = _LIST.split(line)
    return [(parts[i], parts[i + 1] if i + 1 < len(parts) else None, "".join(parts[i + 2:]))
            for i in range(0, len(parts), 2)]


def _fails_step(operator: str | None, rest: str, last_line: bool) -> bool:
    """Whether a failure of the command before ``operator`` fails the step (see the module's docstring)."""
    if operator == "||":
        return bool(_EXITS_NONZERO.search(rest))  # `|| exit 1` fails it again; `|| true` does not
    return operator in (None, ";") or (operator == "&&" and last_line)


def _logical_lines(script: str) -> list[tuple[int, str]]:
    """The script's lines with backslash continuations joined, each with the offset of its first line."""
    lines: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for offset, line in enumerate(script.splitlines()):
        start, text = pending if pending is not None else (offset, "")
        text += line
        continued = text.rstrip().endswith("\\")
        pending = (start, text.rstrip()[:-1] + " ") if continued else None
        if not continued:
            lines.append((start, text))
    if pending is not None:
        lines.append(pending)
    return lines


@dataclass(frozen=True)
class _Hit:
    """The command found at ``offset`` of the lines scanned (a line number in a file the step delegates to)."""

    offset: int
    text: str
    directory: str | None
    fails: bool


@dataclass(frozen=True)
class _Shell:
    """How the scanned lines run: ``errexit`` (a failing line stops them: ``bash -e``, ``set -e``), ``independent``
    (make: each line its own shell), ``pipefail``; ``root`` is the repository root, workspace-relative."""

    errexit: bool
    independent: bool
    pipefail: bool
    root: str = "."


def _repo_folder(directory: str | None, root: str) -> str | None:
    """A run directory (None: the root) as a repository-relative folder, None when only a run knows it."""
    if directory is None:
        return "."
    folder = _normalized(directory)
    if "$" in folder or folder.startswith("/"):
        return None
    relative = posixpath.relpath(folder, root) if root != "." else folder
    return None if relative.startswith("..") else relative


def _cd_in_file(target: str, folder: str | None, path: str) -> str | None:
    """Where ``cd target`` in the file ``path`` (run from ``folder``) goes, repository-relative (None: unknown).
    The idioms for the script's own folder (``$(dirname "$0")``, ``${BASH_SOURCE[0]%/*}``...) and the checkout's
    top (``$(git rev-parse --show-toplevel)``) are read."""
    text = target.strip().strip("'\"")
    text = _SCRIPT_DIR.sub(posixpath.dirname(path) or ".", text.replace('"', ""))
    text = _TOPLEVEL.sub(".", text)
    if "$" in text or text.startswith(("/", "~")) or folder is None:
        return None
    moved = posixpath.normpath(posixpath.join(folder, text))
    return None if moved.startswith("..") else moved


def _scan(lines: list[tuple[int, str, bool]], command: str, shell: _Shell, directory: str | None,
          repo_dir: Path | None, path: str = "", depth: int = 0) -> list[_Hit]:
    """Where ``lines`` run ``command`` (directly, or in a Makefile target or script they hand over to)."""
    hits: list[_Hit] = []
    last = max((offset for offset, line, _ in lines if line.strip()), default=-1)
    start, pipefail, errexit = directory, shell.pipefail, shell.errexit
    for offset, line, ignored in lines:
        pipefail = pipefail or bool(_SET_PIPEFAIL.match(line))
        errexit = errexit or bool(_SET_ERREXIT.match(line))
        if shell.independent:
            directory = start  # make runs each recipe line in a shell of its own
        for segment, operator, rest in _commands(line):
            if (cd := _CD.match(segment)) is not None:
                directory = _cd(cd["dir"].strip(), directory, shell.root, path)
            final = shell.independent or offset == last
            fails = not ignored and _fails_step(operator, rest, final) and (errexit or final or operator == "||")
            pipeline = segment.split("|")
            deciding = pipeline if pipefail or not _passes_through(pipeline[-1]) else pipeline[-1:]
            if any(_matches(part, command) for part in pipeline):
                decides = fails and any(_matches(part, command) for part in deciding)
                hits.append(_Hit(offset, line.strip(), directory, decides))
            elif repo_dir is not None and depth < _MAX_DEPTH:
                hits += _delegated(_command_words(pipeline[0]), command, directory, shell.root, repo_dir, depth,
                                   _Hit(offset, line.strip(), directory, fails and pipeline[0] in deciding))
    return hits


def _cd(target: str, directory: str | None, root: str, path: str) -> str | None:
    """The directory after ``cd target``: as written in a workflow step; resolved in a file the step hands over to
    (``path``), where the repository-relative folder is known."""
    if not path:
        return None if _is_root(target, root) else target
    moved = _cd_in_file(target, _repo_folder(directory, "."), path)
    return target if moved is None else (None if moved == "." else moved)


def _delegated(words: list[str], command: str, directory: str | None, root: str, repo_dir: Path, depth: int,
               caller: _Hit) -> list[_Hit]:
    """The hits in the Makefile target or script ``words`` hands its work to, seen from the calling line."""
    folder = _repo_folder(directory, root if depth == 0 else ".")
    target = delegate(words, folder, repo_dir) if folder is not None else None
    if target is None:
        return []
    shell = _Shell(errexit=target.errexit, independent=target.independent, pipefail=False)
    start = None if target.folder == "." else target.folder
    return [_Hit(caller.offset, f"{caller.text}: {hit.text} ({target.path}:{hit.offset})", hit.directory,
                 caller.fails and hit.fails)
            for hit in _scan(list(target.lines), command, shell, start, repo_dir, target.path, depth + 1)]


def find_command(workflow: Workflow, job: Job, command: str, repo_dir: Path | None = None,
                 github: Mapping[str, Any] | None = None) -> list[CommandSite]:
    """Every place ``job`` runs ``command``, with the directory it runs in (None = the repository root) and whether
    its failure fails the step. With ``repo_dir``, the Makefile targets and scripts of the repository that a step
    hands over to are looked into too (:mod:`~cicd_acceptance.workflows.checks.scriptfiles`); ``github`` is the
    context a script's ``${{ github.* }}`` reads."""
    sites: list[CommandSite] = []
    for step in job.steps:
        if step.run is None:
            continue
        root = checkout_root(job, step)
        # ${PIPESTATUS[0]} is the script reading the test command's own status after the pipe.
        name = _shell(workflow, job, step)
        shell = _Shell(errexit=_errexit(name, step.run), independent=False, root=root,
                       pipefail=_pipefail(name) or "PIPESTATUS" in step.run)
        directory = working_directory(workflow, job, step, root)
        for script in scripts_per_entry(workflow, job, step.run, github):
            lines = [(offset, line, False) for offset, line in _logical_lines(script)]
            for hit in _scan(lines, command, shell, directory, repo_dir):
                site = CommandSite(step, _script_line(step, hit.offset), hit.text, hit.directory, hit.fails)
                sites += [site] if site not in sites else []
    return sites


def scripts_per_entry(workflow: Workflow, job: Job, script: str,
                      github: Mapping[str, Any] | None = None) -> list[str]:
    """The distinct texts of a ``run:`` script in the job's matrix entries (``run: ${{ matrix.cmd }}``); what only
    a run knows stays written as ``${{ ... }}``."""
    if "${{" not in script:
        return [script]
    combos = job.matrix.combinations() if job.matrix is not None else None
    found: list[str] = []
    for combo in combos or [None]:
        try:
            base = ExprContext(github=github or {}, path=workflow.path).with_matrix(combo, known=combos is not None)
            value = interpolate(script, base.with_env_nodes(workflow.env).with_env_nodes(job.env))
        except HarnessError:
            value = script
        found.append(value.display() if isinstance(value, Unknown) else value)
    return list(dict.fromkeys(found))


def may_hide_command(script: str, command: str) -> bool:
    """Whether an expression left unknown in ``script`` (still written ``${{ ... }}``) may stand for ``command``:
    it is the command itself, an argument of the command's own words (``go test ${{ x }}``), or an argument of a
    command that hands over to a file (``make ${{ inputs.target }}``). ``test "${{ x }}" = y`` runs no tests."""
    want = _words(command)
    for _, line in _logical_lines(script):
        for segment, _, _ in _commands(line):
            for part in segment.split("|") if "${{" in segment else []:
                words = _command_words(part)
                if not words or "${{" not in part:
                    continue
                if (words[0].startswith("${{") or words[:len(want) - 1] == want[:-1]
                        or posixpath.basename(words[0]) in _HANDS_OVER or "/" in words[0]):
                    return True
    return False

