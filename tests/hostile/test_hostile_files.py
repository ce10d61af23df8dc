"""Files of the target are read bounded, as regular files, inside the repository; the plan is checked at load."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from cicd_acceptance.config import Options, resolve_settings
from cicd_acceptance.criteria import check_criterion
from cicd_acceptance.emulator.github.repo import load_snapshot
from cicd_acceptance.emulator.runtime.checkout import Checkout
from cicd_acceptance.errors import ConfigError, WorkflowLoadError
from cicd_acceptance.plan import load_plan
from cicd_acceptance.targetfiles import read_target_bytes
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.model import load_workflow
from tests.hostile.bounded import within
from tests.hostile.hostile_repo import git_repo
from tests.static.repos import default_plan, target_of


def _no_gh() -> str | None:
    return None


def _context(repo: Path) -> CheckContext:
    settings = resolve_settings(Options(repo_dir=str(repo)), {}, gh_token=_no_gh)
    return CheckContext(settings.target, settings.plan)


# --- item 4: one bounded, symlink-checked reader ------------------------------------------------------------------

def test_go_mod_linked_to_dev_zero_is_refused_not_read_forever(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "t")
    (repo / "go.mod").symlink_to("/dev/zero")
    with pytest.raises(WorkflowLoadError, match=r"go\.mod: is a symlink that resolves outside the repository"):
        _context(repo).go_mod()


def test_go_mod_that_is_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "t")
    os.mkfifo(repo / "go.mod")
    context = _context(repo)
    error = within(5.0, context.go_mod, repo / "go.mod")
    assert isinstance(error, WorkflowLoadError)
    assert "go.mod: is not a regular file (a FIFO)" in str(error)


def test_a_huge_go_mod_is_refused_by_size(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "t")
    with (repo / "go.mod").open("wb") as fh:
        fh.truncate(64 * 1024 * 1024)  # sparse: 64 MiB of zeros that cost no disk
    with pytest.raises(WorkflowLoadError, match="larger than"):
        _context(repo).go_mod()


def test_a_missing_go_mod_is_none(tmp_path: Path) -> None:
    assert _context(git_repo(tmp_path / "t")).go_mod() is None


def test_a_dotdot_path_is_not_reported_as_a_symlink(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "t")
    (tmp_path / "outside.yml").write_text("on: push\njobs: {}\n")
    with pytest.raises(WorkflowLoadError) as info:
        load_workflow(repo, "../outside.yml")
    assert "leaves the repository" in str(info.value)
    assert "symlink" not in str(info.value)
    with pytest.raises(WorkflowLoadError, match="leaves the repository"):
        read_target_bytes(repo, "/etc/passwd")


def test_the_target_plan_file_goes_through_the_same_reader(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "t")
    (repo / "acceptance.toml").symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="symlink that resolves outside the repository"):
        resolve_settings(Options(repo_dir=str(repo)), {}, gh_token=_no_gh)
    (repo / "acceptance.toml").unlink()
    os.mkfifo(repo / "acceptance.toml")
    with pytest.raises(ConfigError, match="not a regular file"):
        resolve_settings(Options(repo_dir=str(repo)), {}, gh_token=_no_gh)


# --- items 6, 13 and the low plan items: plan values are typed, bounded and stay inside the repository ------------

@pytest.mark.parametrize(("text", "key", "why"), [
    ('dockerfile_pattern = "../../../../etc/{service}"\n', "dockerfile_pattern", "inside the repository"),
    ('dockerfile_pattern = "/etc/{service}"\n', "dockerfile_pattern", "inside the repository"),
    ('dockerfile_pattern = "**/Dockerfile.{service}"\n', "dockerfile_pattern", "no glob characters"),
    ('[workflows]\nci = ".github/workflows/../../../etc/x.yml"\n', "workflows.ci", "inside the repository"),
    ('[tags]\nsha_prefix = ["a", {b=1}]\n', "tags.sha_prefix", "expected a string, found a TOML list"),
    ('[tags]\nlatest = "' + "x" * 50_001 + '"\n', "tags.latest", "at most"),
    ('[tags]\nlatest = "bad tag"\n', "tags.latest", "container image tag"),
    ('[images]\npattern = "{owner.__class__}/{service}"\n', "images.pattern", "plain names"),
    ('[images]\npattern = "{registry}/{owner}/{service[0]}"\n', "images.pattern", "plain names"),
    ('[images]\npattern = "{registry}/{owner}/{service!r}"\n', "images.pattern", "plain names"),
    ('[images]\npattern = "{registry}/{owner}/{service:>99999}"\n', "images.pattern", "plain names"),
    ('[images]\nregistry = "evil.example/path"\n', "images.registry", "HOST[:PORT]"),
    ('[ci]\ntest_job = "test\\nrm"\n', "ci.test_job", "one line"),
    ('[ci]\ntest_job = 7\n', "ci.test_job", "found a TOML int"),
    ("default_branch = \"../main\"\n", "default_branch", "not a branch name"),
    ('services = ["' + '", "'.join(f"s{i}" for i in range(500)) + '"]\n', "services", "at most 64"),
])
def test_plan_values_are_checked_at_load(tmp_path: Path, text: str, key: str, why: str) -> None:
    path = tmp_path / "acceptance.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_plan(path)
    assert str(info.value).startswith(f"{path}:{key}: "), str(info.value)[:300]
    assert why in str(info.value)


def test_a_20_mb_test_command_is_refused_at_load_quickly(tmp_path: Path) -> None:
    path = tmp_path / "acceptance.toml"
    path.write_text('[ci]\ntest_command = "' + "go test './...' " * 1_300_000 + '"\n')
    started = time.monotonic()
    with pytest.raises(ConfigError, match="larger than"):
        load_plan(path)
    path.write_text('[ci]\ntest_command = "' + "go test " * 1000 + '"\n')
    with pytest.raises(ConfigError, match=r"ci\.test_command: expected at most 4096 characters"):
        load_plan(path)
    assert time.monotonic() - started < 5


def test_deeply_nested_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "acceptance.toml"
    path.write_text("services = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match=r"acceptance\.toml"):
        load_plan(path)
    path.write_text("[a.b.c.d.e]\nx = 1\n")
    with pytest.raises(ConfigError, match=r"acceptance.toml:a.b: unknown key"):
        load_plan(path)


def test_valid_plans_still_load(tmp_path: Path) -> None:
    path = tmp_path / "acceptance.toml"
    path.write_text('dockerfile_pattern = "docker/{service}/Dockerfile"\n[tags]\nsha_prefix = ""\n'
                    '[images]\npattern = "{registry}/{owner}/{service}"\nregistry = "127.0.0.1:5000"\n')
    plan = load_plan(path)
    assert plan.dockerfile_for("api") == "docker/api/Dockerfile"
    assert plan.image_for("api", "o/r") == "127.0.0.1:5000/o/api"
    assert plan.sha_tags("0" * 40)[0] == "0000000"


def test_a_multi_line_test_command_is_allowed_but_not_a_nul(tmp_path: Path) -> None:
    path = tmp_path / "acceptance.toml"
    path.write_text('[ci]\ntest_command = """\ngo vet ./...\ngo test ./...\n"""\n')
    assert "go test ./..." in load_plan(path).test_command
    path.write_text('[ci]\ntest_command = "go test\\u0000 ./..."\n')
    with pytest.raises(ConfigError, match=r"ci\.test_command: expected text without NUL"):
        load_plan(path)


# --- the target's git configuration names commands: none of them runs in the harness --------------------------------

def test_fsmonitor_hooks_and_clean_filters_of_the_target_never_run(sample_repo: Path, tmp_path: Path) -> None:
    """``git status``/``git diff`` would run these from the target's .git/config; the committed-files check must
    still see a local edit, and nothing the target names may have run."""
    ran = tmp_path / "ran"
    ran.mkdir()
    command = f"#!/bin/sh\ntouch '{ran}'/\"$(basename \"$0\")\"\ncat\n"
    for name in ("fsmonitor", "clean", "textconv", "post-index-change"):
        script = sample_repo / ".git" / name
        script.write_text(command)
        script.chmod(0o755)
    (sample_repo / ".git" / "info").mkdir(exist_ok=True)
    (sample_repo / ".git" / "info" / "attributes").write_text("* filter=evil diff=evil\n")
    for key, value in (("core.fsmonitor", ".git/fsmonitor"), ("filter.evil.clean", ".git/clean"),
                       ("diff.evil.textconv", ".git/textconv"), ("core.hooksPath", ".git"),
                       ("log.showSignature", "true"), ("gpg.program", ".git/clean")):
        subprocess.run(["git", "config", key, value], cwd=sample_repo, check=True, timeout=30)
    ci = sample_repo / ".github" / "workflows" / "ci.yml"
    ci.write_text(ci.read_text().replace("      - name: Run the tests\n", "      - name: Run the tests (edited)\n"))
    context = CheckContext(target_of(sample_repo), default_plan())
    findings = [str(f) for f in check_criterion("workflows-committed", context, include_tools=False)]
    assert findings == [f".github/workflows/ci.yml:26: expected the working-tree copy to equal HEAD "
                        f"({context.target.head_sha[:12]}), found modified since the last commit "
                        f"[workflow-files-committed]"]
    assert sorted(p.name for p in ran.iterdir()) == []


def test_the_emulator_reads_a_checkout_without_running_its_filters_or_signature_program(tmp_path: Path) -> None:
    """The emulated run checks the target out with ``git archive``, which runs the smudge filter the target's
    attributes and configuration name; the history is read with a configuration asking ``git log`` for signatures
    too (this commit is unsigned, so only the reading itself is shown to work)."""
    repo = git_repo(tmp_path / "t", {"app.txt": "content\n", ".gitattributes": "* filter=evil\n"})
    ran = tmp_path / "ran"
    ran.mkdir()
    script = repo / ".git" / "evil"
    script.write_text(f"#!/bin/sh\ntouch '{ran}/evil'\ncat\n")
    script.chmod(0o755)
    for key, value in (("filter.evil.smudge", str(script)), ("filter.evil.clean", str(script)),
                       ("log.showSignature", "true"), ("gpg.program", str(script))):
        subprocess.run(["git", "config", key, value], cwd=repo, check=True, timeout=30)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True,
                          timeout=30).stdout.strip()
    snapshot = load_snapshot(repo)
    with Checkout(repo, head, "") as checkout:
        extracted = (checkout.path / "app.txt").read_text()
    assert (extracted, snapshot.head) == ("content\n", head)
    assert list(ran.iterdir()) == []
