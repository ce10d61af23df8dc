"""The emulator executes workflows; it never asks the static model what they would do.

Importing the emulator (its executor and runtime included) must load neither the static publication plan, nor any
static check, nor the criteria. Checked in a fresh interpreter, so whatever this test session imported earlier
does not hide an import.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "cicd_acceptance"
FORBIDDEN = ("cicd_acceptance.workflows.publication", "cicd_acceptance.workflows.checks", "cicd_acceptance.criteria")


def test_importing_the_emulator_loads_no_static_plan_or_check() -> None:
    probe = ("import sys\n"
             "import cicd_acceptance.emulator, cicd_acceptance.emulator.runtime.executor\n"
             "print('\\n'.join(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    loaded = done.stdout.split()
    assert "cicd_acceptance.emulator.runtime.engine" in loaded  # the probe really loaded the runtime
    assert [name for name in loaded if name.startswith(FORBIDDEN)] == []


def test_no_emulator_module_names_a_static_module() -> None:
    """Also lazily: an import inside a function would escape the probe above."""
    offenders = []
    for path in sorted((SRC / "emulator").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            offenders += [f"{path.relative_to(SRC)}:{node.lineno} imports {name}" for name in names
                          if name.startswith(FORBIDDEN)]
    assert offenders == []
