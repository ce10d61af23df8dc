"""The files a ``run:`` command hands its work to: a Makefile target (``make test``), a Taskfile task (``task test``)
or a script (``./scripts/test.sh``, ``bash scripts/test.sh``), read so that
:mod:`~cicd_acceptance.workflows.checks.commands` can look for the test command in them as it does in the step.

Only what the checkout states is followed: a file the step names, inside the repository (read through
:func:`~cicd_acceptance.targetfiles.read_target_text`: bounded, regular files, no link out of the repository).
Makefiles are read as GNU make reads them, as far as a recipe needs: ``GNUmakefile``, ``makefile`` or ``Makefile``
(or ``-f``) in the folder (or ``-C``), the goals given or the first target, each target's prerequisites before
its recipe, ``$(VAR)``/``${VAR}`` from the file's plain assignments (``=``, ``:=``, ``?=``, ``+=``), ``$(MAKE)``,
and the recipe prefixes ``@``, ``+`` and ``-`` (a ``-`` line's failure is ignored, as with ``make -i``). Each
recipe line runs in a shell of its own, so a ``cd`` does not carry over to the next line and every line's status
counts. A script's lines run in one shell: a failing line stops it only under ``set -e`` (from that line on, or
``bash -e`` / a ``-e`` in its ``#!`` line); without it only the last line's status is the script's. A Taskfile
(go-task, ``Taskfile.yml``) is read as task runs it: the task named (``default`` when none), its ``deps`` and the
tasks its ``cmds`` call first, each command in a shell of its own (``ignore_error: true`` ignores its failure),
``{{.VAR}}`` from the plain ``vars:`` of the file and the task.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.targetfiles import read_target_text
from cicd_acceptance.workflows.yamlnode import Node, load_yaml_text

__all__ = ["Delegate", "delegate"]

MAX_FILE_BYTES = 256 * 1024
_MAX_TARGETS = 64
_MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
_ASSIGN = re.compile(r"^(?:export\s+|override\s+)?(?P<name>[A-Za-z_][\w.-]*)\s*(?P<op>\?=|::?=|\+=|=)\s*(?P<value>.*)$")
_RULE = re.compile(r"^(?P<targets>[^:=#\t][^:=#]*?)\s*::?(?!=)\s*(?P<prereqs>[^;#]*)(?:;(?P<recipe>.*))?$")
_VARIABLE = re.compile(r"\$(?:\((?P<paren>[A-Za-z_][\w.-]*)\)|\{(?P<brace>[A-Za-z_][\w.-]*)\})")
_SHELLS = {"bash", "sh", "dash", "zsh"}
_SHEBANG_ERREXIT = re.compile(r"^#!.*\s-\w*e")
_MAX_NESTING = 8
_MAX_EXPANDED = 16 * 1024
_TASKFILES = ("Taskfile.yml", "taskfile.yml", "Taskfile.yaml", "taskfile.yaml", "Taskfile.dist.yml")
_TEMPLATE = re.compile(r"\{\{\s*\.(?P<name>\w+)\s*\}\}")


@dataclass(frozen=True)
class Delegate:
    """The lines a command hands its work to, with how they run.

    ``lines`` are (line number, text, failure ignored); ``folder`` is where they start, repository-relative;
    ``independent`` is make's way (each line its own shell: every line's status counts, no ``cd`` carries over);
    ``errexit`` is a script started with ``-e``.
    """

    path: str
    lines: tuple[tuple[int, str, bool], ...]
    folder: str
    independent: bool
    errexit: bool = False


def delegate(words: list[str], folder: str, repo_dir: Path) -> Delegate | None:
    """What ``words`` (one simple command, run in the repository-relative ``folder``) hands its work to, or None
    when it is neither make nor a script of the repository (or the file cannot be read)."""
    if not words:
        return None
    if posixpath.basename(words[0]) in ("make", "gmake", "$(MAKE)", "${MAKE}"):
        return _make(words[1:], folder, repo_dir)
    if words[0] in ("task", "go-task"):
        return _task(words[1:], folder, repo_dir)
    errexit = False
    if posixpath.basename(words[0]) in _SHELLS:
        options = [w for w in words[1:] if w.startswith("-")]
        rest = [w for w in words[1:] if not w.startswith("-")]
        if not rest or any(o in ("-c", "-s") or o.startswith("--") for o in options):
            return None
        errexit = any("e" in o.lstrip("-") for o in options if not o.startswith("--"))
        words = rest
    if "/" not in words[0] and not words[0].endswith(".sh"):
        return None  # a command on PATH, not a file of the repository
    return _script(_inside(folder, words[0]), folder, errexit, repo_dir)


def _inside(folder: str, name: str) -> str:
    return posixpath.normpath(posixpath.join(folder, name))


def _read(repo_dir: Path, rel: str) -> str | None:
    if rel.startswith(("..", "/")):
        return None
    try:
        return read_target_text(repo_dir, rel, max_bytes=MAX_FILE_BYTES)
    except WorkflowLoadError:
        return None


def _script(rel: str, folder: str, errexit: bool, repo_dir: Path) -> Delegate | None:
    """A script of the repository; it runs in the caller's folder, not its own."""
    text = _read(repo_dir, rel)
    if text is None:
        return None
    lines = text.splitlines()
    errexit = errexit or bool(lines and _SHEBANG_ERREXIT.match(lines[0]))
    numbered = tuple((n, line, False) for n, line in enumerate(lines, start=1) if not line.startswith("#!"))
    return Delegate(rel, numbered, folder, independent=False, errexit=errexit)


def _make_options(args: list[str], folder: str) -> tuple[str, str | None, list[str], bool]:
    """(folder, makefile, goals, ignore errors) from make's command line."""
    makefile, goals, ignore = None, [], False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-C", "--directory", "-f", "--file", "--makefile") and i + 1 < len(args):
            if arg in ("-C", "--directory"):
                folder = _inside(folder, args[i + 1])
            else:
                makefile = args[i + 1]
            i += 2
            continue
        if arg.startswith("-C") and len(arg) > 2:
            folder = _inside(folder, arg[2:])
        elif arg.startswith("-") and not arg.startswith("--") and "i" in arg.lstrip("-"):
            ignore = True
        elif not arg.startswith("-") and "=" not in arg:
            goals.append(arg)
        i += 1
    return folder, makefile, goals, ignore


def _make(args: list[str], folder: str, repo_dir: Path) -> Delegate | None:
    folder, makefile, goals, ignore = _make_options(args, folder)
    names = [makefile] if makefile else list(_MAKEFILES)
    for name in names:
        rel = _inside(folder, name)
        text = _read(repo_dir, rel)
        if text is not None:
            variables, rules, first = _parse_makefile(text)
            lines = _recipes(goals or ([first] if first else []), rules, variables)
            return Delegate(rel, tuple((n, line, skip or ignore) for n, line, skip in lines), folder,
                            independent=True)
    return None


def _logical(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with its first line number."""
    found: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        start, joined = pending if pending is not None else (number, "")
        joined += line
        pending = (start, joined[:-1] + " ") if joined.endswith("\\") else None
        if pending is None:
            found.append((start, joined))
    return found + ([pending] if pending is not None else [])


Rules = dict[str, list[tuple[list[str], list[tuple[int, str]]]]]
"""Each target's rules, as written: (prerequisites, recipe lines); make merges the prerequisites, and the recipe
is the last one written."""


def _parse_makefile(text: str) -> tuple[dict[str, str], Rules, str | None]:
    """(variables, {target: (prerequisites, recipe lines)}, the first target)."""
    variables: dict[str, str] = {"MAKE": "make"}
    rules: Rules = {}
    first: str | None = None
    current: list[tuple[int, str]] | None = None
    for number, line in _logical(text):
        if line.startswith("\t"):
            if current is not None:
                current.append((number, line[1:]))
            continue
        stripped = line.split("#", 1)[0].rstrip()
        if not stripped.strip():
            continue
        current = None
        if (assign := _ASSIGN.match(stripped)) is not None:
            value = assign["value"].strip()
            old = variables.get(assign["name"])
            if assign["op"] == "+=" and old:
                value = f"{old} {value}"
            if assign["op"] != "?=" or old is None:
                variables[assign["name"]] = value
        elif (rule := _RULE.match(stripped)) is not None and "=" not in rule["prereqs"]:
            current = [(number, rule["recipe"])] if rule["recipe"] else []
            for target in rule["targets"].split():
                rules.setdefault(target, []).append((rule["prereqs"].split("|")[0].split(), current))
                if first is None and not target.startswith("."):
                    first = target
    return variables, rules, variables.get(".DEFAULT_GOAL") or first


def _expand(text: str, variables: dict[str, str]) -> str:
    """``$(VAR)`` and ``${VAR}`` from the Makefile's own variables (others stay as written); ``$$`` is ``$``. A
    hostile file's expansion (nesting, or a value that doubles at each level) stops at a bound: the text as
    written."""
    for _ in range(_MAX_NESTING):
        if len(text) > _MAX_EXPANDED or not _VARIABLE.search(text):
            break
        text = _expand_once(text, variables)
    return text.replace("$$", "$")


def _expand_once(text: str, variables: dict[str, str]) -> str:
    """One level of :func:`_expand`, adding at most :data:`_MAX_EXPANDED` characters (the rest stays as written)."""
    budget = _MAX_EXPANDED

    def value(match: re.Match[str]) -> str:
        nonlocal budget
        found = variables.get(match["paren"] or match["brace"], match[0])
        budget -= len(found)
        return found if budget >= 0 else match[0]

    return _VARIABLE.sub(value, text)


def _recipes(goals: list[str], rules: Rules, variables: dict[str, str]) -> list[tuple[int, str, bool]]:
    """The recipe lines make runs for ``goals``, prerequisites first, each target once: (line, text, ignored)."""
    done: set[str] = set()
    found: list[tuple[int, str, bool]] = []

    def visit(target: str) -> None:
        if target in done or target not in rules or len(done) >= _MAX_TARGETS:
            return
        done.add(target)
        for prerequisite in [p for prerequisites, _ in rules[target] for p in prerequisites]:
            visit(_expand(prerequisite, variables))
        recipe = next((lines for _, lines in reversed(rules[target]) if lines), [])
        for number, line in recipe:
            command = _expand(line.strip(), variables)
            prefix = len(command) - len(command.lstrip("@+-"))
            found.append((number, command[prefix:].strip(), "-" in command[:prefix]))

    for goal in goals:
        visit(goal)
    return found


def _task(args: list[str], folder: str, repo_dir: Path) -> Delegate | None:
    """``task [-d dir] [-t file] [task...] [-- args]`` (go-task): the commands of the tasks named (``default``
    when none), their ``deps`` and the tasks they call (``- task: x``) first, ``{{.VAR}}`` from ``vars:``."""
    folder, taskfile, names = _task_options(args, folder)
    for name in [taskfile] if taskfile else list(_TASKFILES):
        rel = _inside(folder, name)
        text = _read(repo_dir, rel)
        if text is None:
            continue
        try:
            root = load_yaml_text(text, display_path=rel)
        except WorkflowLoadError:
            return None
        tasks = root.get("tasks")
        if tasks is None or not tasks.is_mapping:
            return None
        variables = _task_vars(root)
        lines: list[tuple[int, str, bool]] = []
        for task in names or ["default"]:
            _task_lines(tasks, task, variables, lines, set())
        return Delegate(rel, tuple(lines), folder, independent=True)
    return None


def _task_options(args: list[str], folder: str) -> tuple[str, str | None, list[str]]:
    """(folder, Taskfile, task names) from task's command line; the arguments after ``--`` go to the tasks."""
    taskfile, names = None, []
    args = args[:args.index("--")] if "--" in args else args
    i = 0
    while i < len(args):
        if args[i] in ("-d", "--dir", "-t", "--taskfile") and i + 1 < len(args):
            folder, taskfile = ((_inside(folder, args[i + 1]), taskfile) if args[i] in ("-d", "--dir")
                                else (folder, args[i + 1]))
            i += 2
            continue
        if not args[i].startswith("-") and "=" not in args[i]:
            names.append(args[i])
        i += 1
    return folder, taskfile, names


def _task_vars(node: Node) -> dict[str, str]:
    """The plain ``vars:`` of a Taskfile or task (``sh:`` ones are computed at run time: left out)."""
    found = node.get("vars")
    if found is None or not found.is_mapping:
        return {}
    return {name: value.scalar_text() for name, value in found.items() if value.is_scalar and not value.is_null}


def _task_text(text: str, variables: dict[str, str]) -> str:
    """``{{.VAR}}`` replaced from ``variables`` (others stay as written)."""
    return _TEMPLATE.sub(lambda m: variables.get(m["name"], m[0]), text)


def _elements(node: Node | None) -> list[Node]:
    """A Taskfile list (``cmds``, ``deps``), a lone command standing for a list of one."""
    if node is None or node.is_null:
        return []
    return list(node.elements()) if node.is_sequence else [node]


def _called(node: Node) -> str | None:
    """The task a ``deps`` entry or a ``- task: x`` command calls (None: a shell command)."""
    called = node.get("task") if node.is_mapping else node
    return called.scalar_text() if called is not None and called.is_scalar else None


def _task_lines(tasks: Node, name: str, variables: dict[str, str], lines: list[tuple[int, str, bool]],
                seen: set[str]) -> None:
    """Append the commands task ``name`` runs (its deps and called tasks first) to ``lines``."""
    task = tasks.get(name)
    if task is None or name in seen or len(seen) >= _MAX_TARGETS:
        return
    seen.add(name)
    own = task if task.is_mapping else None  # `test: go test ./...` is a task of one command
    variables = {**variables, **(_task_vars(own) if own is not None else {})}
    for dep in _elements(own.get("deps") if own is not None else None):
        if (called := _called(dep)) is not None:
            _task_lines(tasks, called, variables, lines, seen)
    for cmd in _elements(own.get("cmds") if own is not None else task):
        if cmd.is_mapping and cmd.get("task") is not None:
            if (called := _called(cmd)) is not None:
                _task_lines(tasks, called, variables, lines, seen)
            continue
        text = cmd.get("cmd") if cmd.is_mapping else cmd
        ignore = cmd.get("ignore_error") if cmd.is_mapping else None
        if text is not None and text.is_scalar and not text.is_null:
            lines += [(text.line + n, _task_text(line, variables), ignore is not None and ignore.value is True)
                      for n, line in enumerate(text.scalar_text().splitlines())]
