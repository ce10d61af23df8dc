"""Run ``run:`` steps as a GitHub Linux runner would, isolated from the harness and bounded in time and output.

:class:`JobWorkspace` holds one job's runner state and runs :class:`StepSpec` steps in a :class:`Sandbox`
(:func:`default_sandbox` probes what this machine offers), each bounded by :class:`Limits` and returning a
:class:`StepResult`.
"""

from cicd_acceptance.runner.filecommands import FileCommandError, parse_key_values, parse_path_lines
from cicd_acceptance.runner.sandbox import BwrapSandbox, Sandbox, UnshareSandbox, default_sandbox
from cicd_acceptance.runner.shells import ShellError, resolve_shell
from cicd_acceptance.runner.spec import Limits, StepResult, StepSpec
from cicd_acceptance.runner.workspace import DEFAULT_PATH, JobWorkspace

__all__ = [
    "DEFAULT_PATH",
    "BwrapSandbox",
    "FileCommandError",
    "JobWorkspace",
    "Limits",
    "Sandbox",
    "ShellError",
    "StepResult",
    "StepSpec",
    "UnshareSandbox",
    "default_sandbox",
    "parse_key_values",
    "parse_path_lines",
    "resolve_shell",
]
