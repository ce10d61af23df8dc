"""The emulator as a process: ``python -m cicd_acceptance.emulator`` prints one JSON line, serves (http or https)
until SIGTERM/SIGINT and exits 0; bad arguments give one line on stderr and exit 2."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from cicd_acceptance.testing.tooling import require_tool

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def emulator(*args: str) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    command = [sys.executable, "-m", "cicd_acceptance.emulator", *args]
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                          env=env) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        try:
            line = process.stdout.readline()
            if not line:
                pytest.fail(f"the emulator exited early ({process.wait(timeout=10)}): {process.stderr.read()}")
            yield process, json.loads(line)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


def test_serves_until_sigterm_and_exits_zero(sample_repo: Path) -> None:
    with emulator("--repo-dir", str(sample_repo), "--token", "ghp_cli", "--speed", "0") as (process, info):
        assert set(info) == {"api_url", "registry", "token", "repository"}
        assert info["repository"] == "example/stream-monitor"
        assert info["token"] == "ghp_cli"
        assert info["api_url"].startswith("http://127.0.0.1:")
        assert info["registry"] == info["api_url"].removeprefix("http://")
        headers = {"Authorization": f"token {info['token']}"}
        runs = httpx.get(f"{info['api_url']}/repos/{info['repository']}/actions/runs", headers=headers)
        assert runs.json()["total_count"] == 3
        assert httpx.get(f"{info['api_url']}/v2/").status_code == 401
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stdout is not None
        assert process.stdout.read() == ""  # exactly one line on stdout


def test_sigint_and_faults_from_the_command_line(sample_repo: Path) -> None:
    with emulator("--repo-dir", str(sample_repo), "--fault", "GET /meta:503x1", "--repository", "Acme/Widget",
                  "--old-ghes") as (process, info):
        assert info["repository"] == "Acme/Widget"
        assert httpx.get(f"{info['api_url']}/meta").status_code == 503
        assert httpx.get(f"{info['api_url']}/meta").json()["installed_version"] == "3.20.0"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--repo-dir", "/nonexistent/checkout"], "/nonexistent/checkout: repository directory not found"),
    (["--repo-dir", ".", "--fault", "GET /x:teapot"], "unknown fault kind 'teapot'"),
    (["--repo-dir", ".", "--fault", "GET /x:slow=1.2.3"], "--fault: bad fault spec 'GET /x:slow=1.2.3'"),
    (["--repo-dir", ".", "--job-seconds", "-1"], "--job-seconds: must be >= 0 seconds, got -1.0"),
    (["--repo-dir", ".", "--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
    (["--repo-dir", ".", "--speed", "fast"], "argument --speed: invalid float value: 'fast'"),
    (["--repo-dir", ".", "--repository", "no-slash"], "expected OWNER/NAME"),
    ([], "the following arguments are required: --repo-dir"),
])
def test_bad_arguments_give_one_line_and_exit_2(args: list[str], message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "cicd_acceptance.emulator", *args], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert message in lines[0]


def test_tls(sample_repo: Path, tmp_path: Path) -> None:
    openssl = require_tool("openssl", why="to make a self-signed certificate for the TLS test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    with emulator("--repo-dir", str(sample_repo), "--tls-cert", str(cert), "--tls-key", str(key)) as (process, info):
        assert info["api_url"].startswith("https://127.0.0.1:")
        response = httpx.get(f"{info['api_url']}/meta", verify=ssl.create_default_context(cafile=str(cert)))
        assert response.status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{info['api_url']}/meta")  # not trusted without the certificate
        process.terminate()
        assert process.wait(timeout=10) == 0
