"""When a build needs QEMU: several platforms, or one that is not the runner's (build-setup)."""

from __future__ import annotations

import pytest

from cicd_acceptance.workflows.checks.build_setup import _emulates
from cicd_acceptance.workflows.expressions import Unknown


@pytest.mark.parametrize(("platforms", "runs_on", "emulates"), [
    ((), ("ubuntu-latest",), False),                                   # the runner's own platform
    (("linux/amd64",), ("ubuntu-latest",), False),
    (("linux/amd64", "linux/arm64"), ("ubuntu-latest",), True),       # one runner, two CPUs
    (("linux/arm64",), ("ubuntu-latest",), True),
    (("linux/arm64",), ("ubuntu-24.04-arm",), False),                 # native arm runners
    (("linux/arm64/v8",), ("self-hosted", "ARM64"), False),
    (("linux/amd64",), ("ubuntu-24.04-arm",), True),
    (("linux/amd64",), ("farm-runner",), False),                      # "arm" inside a word is not an arm runner
    (("linux/arm64",), ("${{ matrix.runner }}",), False),             # a runner only a run knows: not judged
    ((Unknown("${{ matrix.platform }}"),), ("ubuntu-latest",), False),
])
def test_which_builds_need_emulation(platforms: tuple[object, ...], runs_on: tuple[str, ...], emulates: bool) -> None:
    assert _emulates(platforms, runs_on) is emulates
