"""The repository's own reusable workflows and composite actions: read inside the repository only."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.localfiles import LocalFiles, local_path

ACTION = "runs:\n  using: composite\n  steps:\n    - run: docker push a/b:1\n      shell: bash\n"


def test_local_paths_never_leave_the_repository() -> None:
    assert local_path("./.github/workflows/x.yml") == ".github/workflows/x.yml"
    assert local_path("./.github/actions/x/../y") == ".github/actions/y"
    assert local_path("./../x.yml") is None
    assert local_path("./.github/../../x") is None
    assert local_path("./") is None


def test_a_composite_action_is_read_with_its_steps(tmp_path: Path) -> None:
    (tmp_path / ".github/actions/push").mkdir(parents=True)
    (tmp_path / ".github/actions/push/action.yaml").write_text(
        "inputs:\n  image: {default: a/b}\n" + ACTION, encoding="utf-8")
    action = LocalFiles(tmp_path).action("./.github/actions/push")
    assert (action.using, action.path, list(action.inputs)) == ("composite", ".github/actions/push/action.yaml",
                                                                ["image"])
    assert action.steps[0].run == "docker push a/b:1"


def test_a_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "action.yml").write_text(ACTION, encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / ".github/actions").mkdir(parents=True)
    (repo / ".github/actions/evil").symlink_to(outside, target_is_directory=True)
    with pytest.raises(WorkflowLoadError):
        LocalFiles(repo).action("./.github/actions/evil")
    with pytest.raises(WorkflowLoadError, match="outside the repository"):
        LocalFiles(repo).workflow("./../outside/x.yml")
