"""Skip-or-fail for tests and steps that need an external tool.

A test that needs ``go``, ``actionlint``, ``skopeo``, ``registry``... calls :func:`require_tool`. When the tool is
missing it skips with the reason, except under ``ACCEPTANCE_REQUIRE_TOOLS=1`` (set by ``.ci/run``, which installs
every tool), where the skip would hide a broken install and so fails instead.
"""

from __future__ import annotations

import os
import shutil

import pytest

from cicd_acceptance.tools import tool_search_path

__all__ = ["REQUIRE_TOOLS_ENV", "require_tool", "tools_required"]

REQUIRE_TOOLS_ENV = "ACCEPTANCE_REQUIRE_TOOLS"


def tools_required() -> bool:
    """True when missing tools must fail rather than skip."""
    return os.environ.get(REQUIRE_TOOLS_ENV, "").strip().lower() in {"1", "true", "yes"}


def require_tool(name: str, *, why: str = "", path: str | None = None) -> str:
    """Return the absolute path of ``name``, or skip/fail the current test.

    Looks where :func:`cicd_acceptance.tools.find_tool` looks (PATH, this interpreter's scripts, ``.tools/bin``)
    unless ``path`` is given, so a tool installed by ``.ci/install-tools.sh`` is found without activating anything.
    """
    __tracebackhide__ = True
    found = shutil.which(name, path=path if path is not None else tool_search_path())
    if found:
        return found
    reason = f"{name} is not installed{': ' + why if why else ''}"
    if tools_required():
        pytest.fail(f"{reason} ({REQUIRE_TOOLS_ENV}=1 makes a missing tool a failure)", pytrace=False)
    pytest.skip(reason)
