"""When a run surely checks the static criteria, their tools start before collection; otherwise only after it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from cicd_acceptance.testing.static_plugin import _admits_static, _tools_early


@pytest.mark.parametrize(("markexpr", "admitted"), [
    ("", True), ("static", True), ("not live", True), ("not dispatch", True), ("static or live", True),
    ("live", False), ("live and static", False), ("not static", False), ("static and (", False),
])
def test_the_marker_expression_decides_whether_a_static_scenario_runs(markexpr: str, admitted: bool) -> None:
    assert _admits_static(markexpr) is admitted


@dataclass
class _Invocation:
    dir: Path


@dataclass
class _Config:
    """The parts of pytest.Config the decision reads."""

    rootpath: Path
    args: list[str]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def invocation_params(self) -> _Invocation:
        return _Invocation(self.rootpath)

    def getoption(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    def getini(self, name: str) -> str:
        assert name == "bdd_features_base_dir"
        return "features/"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "features" / "static").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    return tmp_path


@pytest.mark.parametrize(("args", "options", "early"), [
    (["features/"], {}, True),
    (["features/test_features.py"], {}, True),
    (["tests", "features"], {}, True),
    (["."], {"markexpr": "static"}, True),
    (["tests/unit"], {}, False),
    (["features/static"], {}, False),
    (["features/test_features.py::test_the_ci_workflow_does_what_the_plan_promised"], {}, False),
    (["features/"], {"keyword": "ci"}, False),
    (["features/"], {"markexpr": "live"}, False),
    (["features/"], {"collectonly": True}, False),
    (["features/"], {"deselect": ["features/test_features.py::x"]}, False),
    (["features/"], {"lf": True}, False),
])
def test_tools_start_early_only_when_the_static_scenarios_surely_run(root: Path, args: list[str],
                                                                     options: dict[str, Any], early: bool) -> None:
    config = cast(pytest.Config, _Config(root, args, options))
    assert _tools_early(config) is early
