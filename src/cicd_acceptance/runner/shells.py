"""How a GitHub Linux runner starts a ``run:`` step's shell, and the name of the script file it writes.

Without ``shell:`` the runner uses ``bash -e {0}`` (``sh -e {0}`` when there is no bash); the named shells have
fixed templates; anything else is a custom template that must contain ``{0}``, the path of the script file.
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass

from cicd_acceptance.errors import ToolMissing

__all__ = ["MAX_SHELL_CHARS", "ShellCommand", "ShellError", "resolve_shell"]

MAX_SHELL_CHARS = 1000
"""A ``shell:`` value longer than this is refused before it is tokenised (shlex is slow on huge input)."""

_TEMPLATES = {
    "bash": ("bash --noprofile --norc -eo pipefail {0}", ".sh"),
    "sh": ("sh -e {0}", ".sh"),
    "python": ("python {0}", ".py"),
    "pwsh": ("pwsh -command \". '{0}'\"", ".ps1"),
}


class ShellError(ValueError):
    """A ``shell:`` value the runner would refuse."""


@dataclass(frozen=True)
class ShellCommand:
    """The argv template (with ``{0}`` where the script path goes) and the script file's extension."""

    argv: tuple[str, ...]
    extension: str
    display: str

    def argv_for(self, script: str) -> list[str]:
        return [part.replace("{0}", script) for part in self.argv]


def resolve_shell(shell: str | None, *, path: str) -> ShellCommand:
    """The command a runner would start for ``shell``, its program resolved on ``path`` (the step's PATH).

    A missing program raises :class:`ToolMissing`; a custom template without ``{0}`` or one that cannot be parsed
    raises :class:`ShellError` (a ``ValueError``: the workflow is wrong, not the machine).
    """
    if shell is None:
        template, extension = ("bash -e {0}", ".sh") if shutil.which("bash", path=path) else ("sh -e {0}", ".sh")
    elif shell.strip() in _TEMPLATES:
        template, extension = _TEMPLATES[shell.strip()]
    else:
        template, extension = shell, ""
        if len(template) > MAX_SHELL_CHARS:
            raise ShellError(f"shell: longer than {MAX_SHELL_CHARS} characters")
        if "{0}" not in template:
            raise ShellError(f"shell: {template!r} has no {{0}} for the script file")
    try:
        argv = shlex.split(template)
    except ValueError as exc:
        raise ShellError(f"shell: {template!r} cannot be parsed: {exc}") from exc
    if not argv:
        raise ShellError("shell: is empty")
    program = shutil.which(argv[0], path=path)
    if program is None:
        raise ToolMissing(f"the step's shell {argv[0]!r} is not installed (shell: {template})", tool=argv[0])
    return ShellCommand((program, *argv[1:]), extension, template)
