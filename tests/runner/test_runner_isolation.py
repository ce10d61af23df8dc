"""A target's step cannot reach a credential of the harness: not its environment, nor /proc, nor its HOME.

The attack is the one a red-team pass used: read ``/proc/$PPID/environ``, every ``/proc/*/environ`` and
``cmdline``, and the GitHub CLI's ``hosts.yml``, and print what it found reversed and base64-encoded, so that no
redaction could recognise it. A canary token sits in the harness's environment and in its gh configuration; it
must not appear, in any of those forms, in anything the step returns. The same attack outside the sandbox finds it,
which shows the test can fail.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
from pathlib import Path

import pytest

from cicd_acceptance.runner import BwrapSandbox, JobWorkspace, Limits, Sandbox, StepSpec, UnshareSandbox

pytestmark = pytest.mark.tool  # bwrap or unshare

ATTACK = r"""
loot() {
  for f in /proc/$PPID/environ /proc/*/environ /proc/*/cmdline "$HARNESS_HOME/.config/gh/hosts.yml" \
           "$HARNESS_HOME/.docker/config.json" /proc/1/root/proc/*/environ; do
    cat "$f" 2>/dev/null | tr '\0' '\n'
  done
  env
}
loot | rev
loot | base64 -w0; echo
loot | rev | base64 -w0; echo
echo "harness-like processes: $(ls -d /proc/[0-9]* | wc -l)"
"""


def forms(token: str) -> list[bytes]:
    """The canary raw and reversed, and the stable middles of their base64 at each alignment."""
    found: list[bytes] = []
    for text in (token, token[::-1]):
        raw = text.encode()
        found.append(raw)
        for shift in range(3):
            found.append(base64.b64encode(b"\0" * shift + raw)[4 if shift else 0:-4])
    return found


def leaked(data: bytes, token: str) -> bool:
    return any(form in data for form in forms(token))


@pytest.fixture
def harness_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A canary in the harness's environment and in its gh configuration (as `gh auth login` leaves it)."""
    canary = "ghp_" + secrets.token_hex(18)
    home = tmp_path / "harness-home"
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".config" / "gh" / "hosts.yml").write_text(f"github.com:\n    oauth_token: {canary}\n    user: me\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GITHUB_TOKEN", canary)
    monkeypatch.setenv("GH_TOKEN", canary)
    return home, canary


def _sandboxes(kind: str, sandbox: Sandbox) -> Sandbox:
    # Rebuilt so that the hidden folders include the HOME of this test's harness.
    if isinstance(sandbox, BwrapSandbox):
        return BwrapSandbox(sandbox.bwrap)
    assert isinstance(sandbox, UnshareSandbox)
    return UnshareSandbox(sandbox.unshare, sandbox.bash)


def test_the_attack_finds_the_canary_without_a_sandbox(harness_home: tuple[Path, str], workspace: Path) -> None:
    home, canary = harness_home
    proc = subprocess.run(["bash", "-c", ATTACK], cwd=workspace, capture_output=True, check=False,
                          env={**os.environ, "HARNESS_HOME": str(home)})
    assert leaked(proc.stdout, canary)


def test_a_step_cannot_read_the_harness_credentials(harness_home: tuple[Path, str], workspace: Path,
                                                    sandbox: Sandbox) -> None:
    home, canary = harness_home
    isolated = _sandboxes(sandbox.name, sandbox)
    with JobWorkspace(workspace, runner_env={"PATH": os.environ["PATH"]}, limits=Limits(timeout_s=60),
                      sandbox=isolated) as job:
        result = job.run(StepSpec(ATTACK, None, workspace, {"HARNESS_HOME": str(home)}))
        files = [p.read_bytes() for p in job.runner_temp.rglob("*") if p.is_file()]
    assert result.ok, result.output[-2000:]
    assert "harness-like processes: " in result.output
    # The step saw only its own few processes, never the harness's.
    assert int(result.output.rsplit("harness-like processes: ", 1)[1].split()[0]) < 10
    returned = "\n".join([result.output, result.summary, *result.outputs.values(), *result.env_added.values()])
    assert not leaked(returned.encode(), canary)
    assert not any(leaked(data, canary) for data in files)
    assert not any(leaked(p.read_bytes(), canary) for p in workspace.rglob("*") if p.is_file())


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_credentials_a_checkout_left_in_git_config_are_not_readable(workspace: Path, sandbox: Sandbox) -> None:
    canary = "ghs_" + secrets.token_hex(18)
    basic = base64.b64encode(f"x-access-token:{canary}".encode()).decode()
    _git(workspace, "init", "-q", "-b", "main")
    _git(workspace, "config", "http.https://github.com/.extraheader", f"AUTHORIZATION: basic {basic}")
    _git(workspace, "remote", "add", "origin", f"https://x-access-token:{canary}@github.com/o/r.git")
    _git(workspace, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty",
         "-m", "first")
    with JobWorkspace(workspace, runner_env={"PATH": os.environ["PATH"]}, limits=Limits(timeout_s=60),
                      sandbox=_sandboxes(sandbox.name, sandbox)) as job:
        result = job.run(StepSpec("cat .git/config; git config --list; git remote -v; git rev-parse HEAD",
                                  None, workspace, {}))
    assert result.ok, result.output
    assert "github.com/o/r.git" in result.output  # git still works, the remote is there
    assert not leaked(result.output.encode(), canary)
    assert f"x-access-token:{canary}" in (workspace / ".git" / "config").read_text() or basic in (
        workspace / ".git" / "config").read_text()  # the checkout itself is untouched


def test_credentials_in_a_home_that_is_the_workspace_stay_hidden(workspace: Path, sandbox: Sandbox,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "gho_" + secrets.token_hex(18)
    (workspace / ".config" / "gh").mkdir(parents=True)
    (workspace / ".config" / "gh" / "hosts.yml").write_text(f"github.com:\n    oauth_token: {canary}\n")
    (workspace / ".git-credentials").write_text(f"https://me:{canary}@github.com\n")
    monkeypatch.setenv("HOME", str(workspace))
    with JobWorkspace(workspace, runner_env={"PATH": os.environ["PATH"]}, limits=Limits(timeout_s=60),
                      sandbox=_sandboxes(sandbox.name, sandbox)) as job:
        result = job.run(StepSpec("cat .config/gh/hosts.yml .git-credentials 2>&1 || true; echo done", None,
                                  workspace, {}))
    assert "done" in result.output
    assert not leaked(result.output.encode(), canary)


def _in_own_mounts(mount_point: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in a user and mount namespace of its own in which ``mount_point`` is a fresh tmpfs: a mount of
    the "host" as the sandbox finds it, made without touching the real host. Skips where that is not possible."""
    outer = ["unshare", "--user", "--map-root-user", "--mount", "bash", "-c",
             'mount --make-rprivate / && mount -t tmpfs tmpfs "$1" && shift && exec "$@"', "outer", str(mount_point)]
    probe = subprocess.run([*outer, "true"], capture_output=True, text=True, check=False, timeout=30)
    if probe.returncode != 0:
        pytest.skip(f"no user and mount namespaces to make a test mount in: {probe.stderr.strip()[-200:]}")
    return subprocess.run([*outer, *argv], capture_output=True, text=True, check=False, timeout=60,
                          env={"PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("name", ["plain", "with space", "tab\tand\\backslash"])
def test_a_host_mount_whose_path_needs_escaping_is_read_only_in_the_sandbox(tmp_path: Path, sandbox: Sandbox,
                                                                          name: str) -> None:
    """/proc/self/mountinfo writes a space as ``\\040`` (tab ``\\011``, backslash ``\\134``): a sandbox that reads
    the mount table must decode it, or that mount stays writable. The job's own folder has a space too."""
    mount_point = tmp_path / f"host-mount-{name}"
    workspace = tmp_path / "repo with space" / "workspace"
    mount_point.mkdir()
    workspace.mkdir(parents=True)
    # Nothing hidden: the test's folders live under /tmp, which the sandbox would otherwise empty.
    isolated: Sandbox
    if isinstance(sandbox, BwrapSandbox):
        isolated = BwrapSandbox(sandbox.bwrap, hidden=[])
    else:
        assert isinstance(sandbox, UnshareSandbox)
        isolated = UnshareSandbox(sandbox.unshare, sandbox.bash, hidden=[])
    script = 'touch in-workspace && echo workspace-writable; touch "$1/planted" && echo MOUNT-WRITABLE; echo done'
    argv = isolated.wrap(["/bin/bash", "-c", script, "step", str(mount_point)], cwd=workspace, writable=[workspace])
    proc = _in_own_mounts(mount_point, argv)
    assert "done" in proc.stdout, proc.stderr[-2000:]
    assert "workspace-writable" in proc.stdout, proc.stderr[-2000:]
    assert "MOUNT-WRITABLE" not in proc.stdout
    assert "Read-only file system" in proc.stderr
