"""GitHub's own CLI (``gh``, Debian's build), unchanged, against the emulator served over TLS as a GHES host.

gh reaches a GHES host at ``https://HOST/api/v3/`` and ``https://HOST/api/graphql``; the test makes a throwaway
certificate for ``localhost``, trusts it through ``SSL_CERT_FILE`` and gives gh an empty config directory, so
nothing of the machine's gh set-up is read or written.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cicd_acceptance.emulator import EmulatorState, ThreadedServer, make_app
from cicd_acceptance.emulator.server import tls_context
from cicd_acceptance.testing.tooling import require_tool
from tests.emulator.conftest import TOKEN

REPO = "example/stream-monitor"
FAILING_JOB = "build (gateway)"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = require_tool("openssl", why="to make a throwaway certificate for gh's TLS connection")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@dataclass
class Gh:
    """Runs gh against one emulator; ``state`` is the emulator's (the test drives its clock)."""

    executable: str
    env: dict[str, str]
    state: EmulatorState
    cwd: Path

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([self.executable, *args], env=self.env, cwd=self.cwd, capture_output=True, text=True,
                              timeout=60)
        if ok:
            assert done.returncode == 0, f"gh {' '.join(args)} -> {done.returncode}: {done.stderr}{done.stdout}"
        assert TOKEN not in done.stdout + done.stderr
        return done

    def watch(self, *args: str, step: float = 15.0) -> subprocess.CompletedProcess[str]:
        """Run a gh command that polls, stepping the emulated clock while it runs."""
        with subprocess.Popen([self.executable, *args], env=self.env, cwd=self.cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) as process:
            deadline = time.monotonic() + 60
            while process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.3)
                self.state.advance(step)
            if process.poll() is None:
                process.kill()
            out, err = process.communicate(timeout=10)
        return subprocess.CompletedProcess(args, process.returncode, out, err)


@pytest.fixture
def gh(state: EmulatorState, certificate: tuple[Path, Path], tmp_path: Path, graphql_schema: Path) -> Iterator[Gh]:
    executable = require_tool("gh", why="GitHub's CLI is one of the real clients the emulator must serve")
    cert, key = certificate
    (tmp_path / "gh-config").mkdir()
    with ThreadedServer(make_app(state), ssl_context=tls_context(str(cert), str(key))) as server:
        env = {"GH_HOST": f"localhost:{server.port}", "GH_ENTERPRISE_TOKEN": TOKEN, "SSL_CERT_FILE": str(cert),
               "GH_CONFIG_DIR": str(tmp_path / "gh-config"), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
               "GH_NO_UPDATE_NOTIFIER": "1", "GH_PROMPT_DISABLED": "1", "NO_COLOR": "1", "GH_PAGER": "cat",
               "TZ": "UTC"}
        yield Gh(executable, env, state, tmp_path)


def _failed_run(state: EmulatorState) -> int:
    run = state.seed_run("build-images.yml", conclusion="failure", job=FAILING_JOB)
    state.github.artifacts.add(run.id, "coverage", {"cover.out": b"mode: set\n", "html/index.html": b"<p>91%</p>"},
                               now=state.now())
    return run.id


@pytest.mark.tool
def test_gh_views_a_failed_run_its_logs_and_artifacts(gh: Gh, state: EmulatorState, tmp_path: Path) -> None:
    run_id = _failed_run(state)
    view = gh("run", "view", str(run_id), "-R", REPO).stdout
    assert FAILING_JOB in view
    assert "Process completed with exit code 1." in view  # the failed job's annotation
    assert "coverage" in view  # ARTIFACTS
    log = gh("run", "view", str(run_id), "-R", REPO, "--log").stdout
    assert f"{FAILING_JOB}\tBuild and push\t" in log
    assert "build (worker)\tSet up job\t" in log
    failed = gh("run", "view", str(run_id), "-R", REPO, "--log-failed").stdout
    assert failed.strip(), "gh printed no failed step"
    assert {line.split("\t")[:2][1] for line in failed.splitlines()} == {"Build and push"}
    assert all(line.startswith(f"{FAILING_JOB}\t") for line in failed.splitlines())
    job = next(job for job in state.github.require_run(run_id).current.jobs if job.plan.name == FAILING_JOB)
    one = gh("run", "view", "--job", str(job.id), "-R", REPO, "--log").stdout
    assert "##[error]Process completed with exit code 1." in one
    gh("run", "download", str(run_id), "-R", REPO, "-D", str(tmp_path / "dl"))  # one folder per artifact
    assert (tmp_path / "dl" / "coverage" / "cover.out").read_bytes() == b"mode: set\n"
    assert (tmp_path / "dl" / "coverage" / "html" / "index.html").read_text() == "<p>91%</p>"
    gh("run", "download", str(run_id), "-R", REPO, "-n", "coverage", "-D", str(tmp_path / "one"))
    assert (tmp_path / "one" / "cover.out").read_bytes() == b"mode: set\n"


@pytest.mark.tool
def test_gh_reruns_failed_jobs_then_the_whole_run(gh: Gh, state: EmulatorState) -> None:
    run_id = _failed_run(state)
    gh("run", "rerun", str(run_id), "--failed", "-R", REPO)
    run = state.github.require_run(run_id)
    assert len(run.attempts) == 2
    carried = sorted(job.plan.name for job in run.current.jobs if job.carried)
    assert carried == ["build (webhook-demo)", "build (worker)"]
    watched = gh.watch("run", "watch", str(run_id), "-R", REPO, "--exit-status", "-i", "1")
    assert watched.returncode == 0, watched.stderr
    assert run.conclusion(state.now()) == "success"
    state.plan_outcome("build-images.yml", "failure", job="build (worker)")
    gh("run", "rerun", str(run_id), "-R", REPO)
    assert len(run.attempts) == 3
    assert not any(job.carried for job in run.current.jobs)
    watched = gh.watch("run", "watch", str(run_id), "-R", REPO, "--exit-status", "-i", "1")
    assert watched.returncode != 0
    assert run.conclusion(state.now()) == "failure"
    worker = next(job for job in run.current.jobs if job.plan.name == "build (worker)")
    gh("run", "rerun", "--job", str(worker.id), "-R", REPO)
    assert len(run.attempts) == 4
    assert sorted(job.plan.name for job in run.current.jobs if not job.carried) == ["build (worker)"]


@pytest.mark.tool
def test_gh_cancels_a_run_in_progress(gh: Gh, state: EmulatorState) -> None:
    run = state.dispatch("build-images.yml", visibility_delay=0)
    state.advance(10)
    gh("run", "cancel", str(run.id), "-R", REPO)
    state.advance(1)
    assert (run.status(state.now()), run.conclusion(state.now())) == ("completed", "cancelled")
    again = gh("run", "cancel", str(run.id), "-R", REPO, ok=False)
    assert again.returncode != 0
    assert "Cannot cancel a workflow run that is completed" in again.stderr + again.stdout


@pytest.mark.tool
def test_gh_auth_api_pulls_checks_and_workflows(gh: Gh, state: EmulatorState) -> None:
    status = gh("auth", "status")
    assert "Logged in to localhost" in status.stderr + status.stdout
    assert "as example" in status.stderr + status.stdout
    assert "Token scopes: read:org, repo, workflow, write:packages" in status.stderr + status.stdout
    assert '"login":"example"' in gh("api", "user").stdout
    assert gh("pr", "list", "-R", REPO).stdout == ""  # the only pull request is merged
    listed = gh("pr", "list", "--state", "all", "-R", REPO).stdout
    assert listed.startswith("12\tAdd CI and image build workflows\tci-cd\tMERGED")
    checks = gh("pr", "checks", "12", "-R", REPO).stdout
    assert checks.startswith("test\tpass\t")
    assert "MERGED" in gh("pr", "view", "12", "-R", REPO).stdout
    assert "example/stream-monitor" in gh("repo", "view", REPO).stdout
    gh("workflow", "disable", "build-images.yml", "-R", REPO)
    info = state.github.require_workflow("build-images.yml")
    assert state.github.workflow_state(info) == "disabled_manually"
    refused = gh("workflow", "run", "build-images.yml", "-R", REPO, ok=False)
    assert refused.returncode != 0
    gh("workflow", "enable", "build-images.yml", "-R", REPO)
    assert state.github.workflow_state(info) == "active"
    gh("workflow", "run", "build-images.yml", "-R", REPO, "--ref", "main")
    assert "Build images\tactive\t" in gh("workflow", "list", "-R", REPO).stdout
    assert gh("api", "graphql", "-f", "query={viewer{login}}").stdout == '{"data":{"viewer":{"login":"example"}}}'
    unanswered = gh("release", "list", "-R", REPO, ok=False)  # a query the emulator has no data for
    assert unanswered.returncode != 0
    assert "The emulator cannot answer the field 'Repository.releases'" in unanswered.stderr
