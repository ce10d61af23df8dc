"""The ci-go-version rule resolves versions as actions/setup-go does: golden cases that must pass and must fail.

Each case rewrites the sample's setup-go step (``with:``, the action's version, a matrix), its go.mod and any
version file. A passing case reports nothing; a failing one reports exactly ``golden/go-version/<case>.out``
(``UPDATE_GOLDEN=1`` rewrites them; review the diff).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cicd_acceptance.workflows.checks import ci_actions, ci_go_version
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding
from cicd_acceptance.workflows.goversions import parse_go_version, parse_setup_go_spec
from tests.static.repos import GOLDEN_DIR, default_plan, normalise, target_of

CI = ".github/workflows/ci.yml"
_STEP = """        uses: actions/setup-go@v5
        with:
          go-version-file: go.mod
"""


@dataclass(frozen=True)
class Case:
    name: str
    go_mod: str
    with_: str
    files: dict[str, str] = field(default_factory=dict)
    action: str = "actions/setup-go@v5"
    matrix: str = ""


PASS = [
    Case("minor-spec-and-patch-go-line", "go 1.24.0", "go-version: '1.24'"),
    Case("x-range", "go 1.24.0", "go-version: 1.24.x"),
    Case("caret", "go 1.24.0", "go-version: ^1.24"),
    Case("tilde", "go 1.24.2", "go-version: ~1.24"),
    Case("at-least", "go 1.24.0", "go-version: '>=1.22'"),
    Case("bounded-range", "go 1.24.0", "go-version: '>=1.22 <1.25'"),
    Case("stable", "go 1.24.0", "go-version: stable"),
    Case("oldstable-for-an-older-go-line", "go 1.22", "go-version: oldstable"),
    Case("exact-newer", "go 1.24.0", "go-version: '1.24.3'"),
    Case("newer-minor", "go 1.19", "go-version: '1.22'"),
    Case("language-version-go-line", "go 1.21", "go-version: '1.21.x'"),
    Case("go-mod-toolchain-line", "go 1.24.0\n\ntoolchain go1.24.3", "go-version-file: go.mod",
         action="actions/setup-go@v6"),
    Case("go-mod-go-line-in-v5", "go 1.22\ntoolchain go1.23.1", "go-version-file: go.mod"),
    Case("go-version-file", "go 1.24.0", "go-version-file: .go-version", {".go-version": "1.24.2\n"}),
    Case("tool-versions", "go 1.24.0", "go-version-file: .tool-versions",
         {".tool-versions": "nodejs 20.11.0\ngolang 1.24.1 # pinned\n"}),
    Case("go-version-wins-over-the-file", "go 1.24.0", "go-version: '1.24'\n          go-version-file: missing"),
    Case("matrix-of-newer-versions", "go 1.22", "go-version: ${{ matrix.go }}", matrix='["1.22", "1.23.x", stable]'),
    Case("sha-pinned-action-reads-toolchain", "go 1.23\ntoolchain go1.24.0", "go-version-file: go.mod",
         action="actions/setup-go@0aaccfd150d50ccaeb58ebd88d36e91967a5f35b"),
    # A monorepo: each matrix entry sets Go up from its module's go.mod.
    Case("version-file-per-matrix-module", "go 1.22", "go-version-file: ${{ matrix.go }}/go.mod",
         {"tools/loadgen/go.mod": "module example.com/loadgen\n\ngo 1.23\n"}, matrix='[".", "tools/loadgen"]'),
]

FAIL = [
    Case("older-minor", "go 1.24.0", "go-version: '1.23'"),
    Case("older-patch", "go 1.24.3", "go-version: 1.24.0"),
    Case("unquoted-number-loses-its-zero", "go 1.20", "go-version: 1.20"),
    Case("below-range", "go 1.24.0", "go-version: '<1.24'"),
    Case("not-a-version", "go 1.24.0", "go-version: latest-please"),
    Case("version-file-missing", "go 1.24.0", "go-version-file: .go-version"),
    Case("version-file-outside", "go 1.24.0", "go-version-file: ../../etc/hostname"),
    Case("version-file-older", "go 1.24.0", "go-version-file: .go-version", {".go-version": "1.22.1\n"}),
    Case("tool-versions-without-golang", "go 1.24.0", "go-version-file: .tool-versions",
         {".tool-versions": "nodejs 20.11.0\n"}),
    Case("matrix-with-an-older-entry", "go 1.24.0", "go-version: ${{ matrix.go }}", matrix='["1.23", "1.24"]'),
    Case("toolchain-older-than-go-line-in-v6", "go 1.24.0\ntoolchain go1.22.0", "go-version-file: go.mod",
         action="actions/setup-go@v6"),
    Case("version-file-per-matrix-module-older", "go 1.22", "go-version-file: ${{ matrix.go }}/go.mod",
         {"tools/loadgen/go.mod": "module example.com/loadgen\n\ngo 1.20\n"}, matrix='[".", "tools/loadgen"]'),
]


UNDECIDED = [
    Case("oldstable-above-what-is-known", "go 1.26.0", "go-version: oldstable"),
    Case("version-from-a-variable", "go 1.24.0", "go-version: ${{ vars.GO_VERSION }}"),
    Case("version-from-an-input", "go 1.24.0", "go-version: ${{ inputs.go || '1.24' }}"),
    # setup-go installs nothing: the runner image's own Go runs the tests.
    Case("no-version-uses-the-runners-go", "go 1.24.0", "check-latest: true"),
    Case("version-file-from-a-variable", "go 1.24.0", "go-version-file: ${{ vars.GO_MOD_DIR }}/go.mod"),
]


def _apply(repo: Path, case: Case) -> None:
    (repo / "go.mod").write_text(f"module github.com/example/stream-monitor\n\n{case.go_mod}\n", encoding="utf-8")
    for name, text in case.files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    ci = (repo / CI).read_text(encoding="utf-8")
    assert ci.count(_STEP) == 1, "the sample's setup-go step changed"
    ci = ci.replace(_STEP, f"        uses: {case.action}\n        with:\n          {case.with_}\n")
    if case.matrix:
        ci = ci.replace("    runs-on: ubuntu-latest\n",
                        f"    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        go: {case.matrix}\n", 1)
    (repo / CI).write_text(ci, encoding="utf-8")


def _findings(repo: Path, case: Case) -> list[Finding]:
    _apply(repo, case)
    return ci_go_version.RULE(CheckContext(target_of(repo), default_plan()))


def _golden(name: str, findings: list[Finding], repo: Path) -> None:
    actual = normalise(findings, target_of(repo))
    golden = GOLDEN_DIR / "go-version" / f"{name}.out"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.is_file(), f"no golden file {golden}; run with UPDATE_GOLDEN=1 and review it"
    assert actual == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", PASS, ids=[c.name for c in PASS])
def test_what_setup_go_resolves_at_or_above_the_go_line_passes(case: Case, sample_repo: Path) -> None:
    assert _findings(sample_repo, case) == []


@pytest.mark.parametrize("case", FAIL, ids=[c.name for c in FAIL])
def test_an_older_go_or_an_invalid_spec_fails_with_its_golden_message(case: Case, sample_repo: Path) -> None:
    findings = _findings(sample_repo, case)
    assert findings, f"{case.name} must fail"
    assert not any(f.undecided for f in findings)
    _golden(case.name, findings, sample_repo)


@pytest.mark.parametrize("case", UNDECIDED, ids=[c.name for c in UNDECIDED])
def test_what_only_a_run_knows_is_undecided_not_wrong(case: Case, sample_repo: Path) -> None:
    findings = _findings(sample_repo, case)
    assert findings, f"{case.name} must be reported"
    assert all(f.undecided and "CI is green" in f.settled_by for f in findings)
    _golden(case.name, findings, sample_repo)


def test_every_go_version_golden_file_has_a_case() -> None:
    names = {c.name for c in [*FAIL, *UNDECIDED]}
    assert sorted(p.stem for p in (GOLDEN_DIR / "go-version").glob("*.out") if p.stem not in names) == []


@pytest.mark.parametrize(("older", "newer"), [("1.21", "1.21rc1"), ("1.21rc1", "1.21rc2"), ("1.21beta1", "1.21rc1"),
                                              ("1.21rc2", "1.21.0"), ("1.21.0", "1.21.1"), ("1.9.9", "1.10")])
def test_go_orders_its_versions(older: str, newer: str) -> None:
    low, high = parse_go_version(older), parse_go_version(newer)
    assert low is not None
    assert high is not None
    assert low.key < high.key


@pytest.mark.parametrize("spec", ["", "x" * 101, "1", "1.2.3.4", ">=", "^latest", "1.24.x.y", "go1.24 || 1.23"])
def test_specs_setup_go_cannot_resolve_are_refused(spec: str) -> None:
    assert parse_setup_go_spec(spec) is None


@pytest.mark.parametrize(("spec", "reaches_1_19"), [
    (">=1.19 <2", True), ("<2", True), ("^1", True), ("1.19 - 1.22", True), ("1.17 - 1.18", False),
    ("1.19.x || 1.20.x", True), ("1.17.x || 1.18", False), ("1.17 || >=1.21", True), ("v1.19", True),
    (">=1.17 <1.19", False),
])
def test_semver_ranges_resolve_as_setup_go_resolves_them(spec: str, reaches_1_19: bool) -> None:
    found = parse_setup_go_spec(spec)
    wanted = parse_go_version("1.19")
    assert found is not None
    assert wanted is not None
    assert found.admits_at_least(wanted) is reaches_1_19


_COMPOSITE = """name: Set up the Go environment
description: Go and the tools the tests use
inputs:
  go-version:
    description: the Go release
    required: false
  go-version-file:
    description: where setup-go reads the version
    default: go.mod
runs:
  using: composite
  steps:
    - uses: actions/setup-go@v5
      with:
        go-version: ${{ inputs.go-version }}
        go-version-file: ${{ inputs.go-version-file }}
"""


@pytest.mark.parametrize(("with_", "expected"), [
    ("", []),  # the composite's default: go.mod
    ("        with:\n          go-version: '1.22'\n", []),
    ("        with:\n          go-version: '1.17'\n",
     [".github/actions/setup/action.yml:15: expected setup-go to install go.mod's go 1.19 or newer, found "
      "go-version '1.17', which installs the newest 1.17.x release [ci-go-version]"]),
])
def test_setup_go_in_a_local_composite_action_takes_the_callers_inputs(sample_repo: Path, with_: str,
                                                                        expected: list[str]) -> None:
    action = sample_repo / ".github" / "actions" / "setup" / "action.yml"
    action.parent.mkdir(parents=True)
    action.write_text(_COMPOSITE, encoding="utf-8")
    ci = (sample_repo / CI).read_text(encoding="utf-8")
    ci = ci.replace(_STEP, f"        uses: ./.github/actions/setup\n{with_}")
    (sample_repo / CI).write_text(ci, encoding="utf-8")
    ctx = CheckContext(target_of(sample_repo), default_plan())
    assert [str(f) for f in ci_go_version.RULE(ctx)] == expected
    assert ci_actions.RULE(ctx) == []


@pytest.mark.parametrize(("condition", "red"), [("        if: matrix.go != 'tip'\n", False), ("", True)])
def test_a_matrix_entry_whose_setup_go_step_does_not_run_is_not_judged(sample_repo: Path, condition: str,
                                                                       red: bool) -> None:
    # Go tip is installed by a script of its own in that entry; setup-go runs only for the releases.
    ci = (sample_repo / CI).read_text(encoding="utf-8")
    ci = ci.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
                    "        go: ['1.19.x', '1.20.x']\n        include:\n          - go: tip\n", 1)
    ci = ci.replace(_STEP, f"{condition}        uses: actions/setup-go@v5\n        with:\n"
                    "          go-version: ${{ matrix.go }}\n")
    (sample_repo / CI).write_text(ci, encoding="utf-8")
    findings = ci_go_version.RULE(CheckContext(target_of(sample_repo), default_plan()))
    assert [("'tip', which setup-go cannot resolve" in f.message) for f in findings] == ([True] if red else [])


@pytest.mark.parametrize(("file", "red"), [("app/go.mod", False), ("./app/go.mod", False), ("go.mod", True)])
def test_the_version_file_is_read_where_checkout_put_the_repository(sample_repo: Path, file: str, red: bool) -> None:
    # setup-go reads go-version-file from the workspace; `path: app` put the repository in app/.
    ci = (sample_repo / CI).read_text(encoding="utf-8")
    keep = "          persist-credentials: false\n"
    ci = ci.replace(keep, f"{keep}          path: app\n")
    ci = ci.replace("          go-version-file: go.mod\n", f"          go-version-file: {file}\n")
    (sample_repo / CI).write_text(ci, encoding="utf-8")
    findings = ci_go_version.RULE(CheckContext(target_of(sample_repo), default_plan()))
    assert [("expected a go-version-file in the repository" in f.message) for f in findings] == ([True] if red else [])
