"""The token never appears in anything the harness writes.

The whole harness (``pytest features/``) runs as a subprocess against the emulator, which accepts only a canary
token, with every output switched on: ``-vv``, locals in tracebacks, every report section (``-rA``), JUnit XML,
cucumber JSON, the evidence bundle, a GitHub Actions job summary and annotations. Then every byte it wrote (stdout,
stderr, every file under its temporary, home and output directories) is searched for the canary, raw and
base64-encoded at every alignment (as in ``Authorization: Basic`` headers or docker config files).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "stream-monitor"
_LEAKY_ENV = ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL", "GITHUB_STEP_SUMMARY",
              "GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_ENV")
LEAKY_PLUGIN = """\
import os


def pytest_report_header(config):
    return "debug: token " + os.environ["GITHUB_TOKEN"]
"""


def canary_forms(token: str) -> list[bytes]:
    """The token and the token reversed, as bytes, and the stable middle of their base64 encodings at each of the
    three byte alignments."""
    forms = []
    for raw in (token.encode(), token[::-1].encode()):
        forms.append(raw)
        for shift in range(3):
            encoded = base64.b64encode(b"\0" * shift + raw)
            forms.append(encoded[4 if shift else 0:-4])  # drop the groups mixed with neighbouring bytes
    return forms


def find_canary(data: bytes, token: str) -> int | None:
    """Offset of the first occurrence of any form of ``token`` in ``data``."""
    hits = [i for form in canary_forms(token) if (i := data.find(form)) >= 0]
    return min(hits) if hits else None


def written_files(*roots: Path) -> Iterator[Path]:
    for root in roots:
        yield from (p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def leaks(token: str, streams: dict[str, bytes], roots: list[Path]) -> list[str]:
    """Where the canary showed up, as ``name @offset`` (never the value itself)."""
    found = [f"{name} @{at}" for name, data in streams.items() if (at := find_canary(data, token)) is not None]
    for path in written_files(*roots):
        at = find_canary(path.read_bytes(), token)
        if at is not None:
            found.append(f"{path} @{at}")
    return found


def _env(tmp: Path, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_ENV and not k.startswith("ACCEPTANCE_")}
    for name in ("home", "tmp"):
        (tmp / name).mkdir(exist_ok=True)
    env.update(GITHUB_TOKEN=token, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(tmp / "out" / "summary.md"),
               HOME=str(tmp / "home"), TMPDIR=str(tmp / "tmp"), PYTHONDONTWRITEBYTECODE="1")
    if os.environ.get("ACCEPTANCE_REQUIRE_TOOLS"):
        env["ACCEPTANCE_REQUIRE_TOOLS"] = os.environ["ACCEPTANCE_REQUIRE_TOOLS"]
    return env


@pytest.fixture
def canary() -> str:
    return "ghp_" + secrets.token_hex(18)


@pytest.fixture
def emulator(tmp_path: Path, canary: str) -> Iterator[dict[str, str]]:
    """The emulator, accepting only the canary; yields its ready line."""
    with (tmp_path / "emulator.err").open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "cicd_acceptance.emulator", "--repo-dir", str(SAMPLE),
                                 "--token", canary, "--speed", "1000"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=err,
                                env={k: v for k, v in os.environ.items() if k not in _LEAKY_ENV})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"the emulator did not start: {(tmp_path / 'emulator.err').read_text()[-2000:]}")
        ready: dict[str, str] = json.loads(line)
        yield ready
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_the_canary_never_appears_in_anything_the_harness_writes(tmp_path: Path, canary: str,
                                                                  emulator: dict[str, str], workers: list[str]) -> None:
    if workers:
        pytest.importorskip("xdist")
    assert emulator["token"] == canary
    out = tmp_path / "out"
    out.mkdir()
    argv = [sys.executable, "-m", "pytest", "features/", "-p", "no:cacheprovider",
            "--github-api-url", emulator["api_url"], "--registry", emulator["registry"],
            "--github-repo", emulator["repository"], "-vv", "-l", "-rA", "--tb=long",
            "--junitxml", str(out / "junit.xml"), "--cucumberjson", str(out / "cucumber.json"),
            "--evidence-dir", str(out / "evidence"), "--basetemp", str(tmp_path / "basetemp"), *workers]
    proc = subprocess.run(argv, cwd=ROOT, env=_env(tmp_path, canary), capture_output=True, timeout=900,
                          check=False)
    assert proc.returncode in (0, 1), proc.stderr.decode(errors="replace")[-3000:]  # 0: REHEARSAL MET
    found = leaks(canary, {"stdout": proc.stdout, "stderr": proc.stderr},
                  [out, tmp_path / "basetemp", tmp_path / "home", tmp_path / "tmp"])
    assert found == [], f"the token leaked into: {found}"
    # The run really had the token and wrote every output we scanned (otherwise the scan proves nothing).
    evidence = json.loads((out / "evidence" / "evidence.json").read_text())
    assert evidence["settings_sources"]["token"] == "env GITHUB_TOKEN"
    assert evidence["live"]["api_url"] == emulator["api_url"]
    assert evidence["scenarios"], "no criterion ran"
    # The live half used the token against the emulator: it ran (none skipped) and made requests.
    live = [sc for sc in evidence["scenarios"] if "live" in sc["markers"]]
    assert live, "no @live criterion ran, so the token was never used"
    assert [sc["title"] for sc in live if sc["outcome"] == "skipped"] == []
    assert evidence["api_budget"]["requests"] > 0
    for name in ("junit.xml", "cucumber.json", "summary.md"):
        assert (out / name).is_file(), name
    assert (out / "junit.xml").stat().st_size > 0
    assert (out / "summary.md").stat().st_size > 0
    # An emulator started on its own and addressed by --github-api-url is recognised: a rehearsal, not acceptance.
    assert proc.stdout.decode().splitlines()[-1].startswith("REHEARSAL ")
    assert evidence["verdict"]["rehearsal"] is True


def test_the_scan_finds_a_leak(tmp_path: Path, canary: str) -> None:
    """Control: the same scan, on a run whose header prints the token, reports stdout."""
    (tmp_path / "leaky_header.py").write_text(LEAKY_PLUGIN)
    env = _env(tmp_path, canary)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-m", "pytest", "features/", "--co", "-p", "no:cacheprovider",
                           "-p", "leaky_header"], cwd=ROOT, env=env, capture_output=True, timeout=300, check=False)
    assert leaks(canary, {"stdout": proc.stdout, "stderr": proc.stderr}, []) == ["stdout @" + str(
        proc.stdout.find(canary.encode()))]


@pytest.mark.parametrize("prefix", [b"", b"x", b"xy", b"x-access-token:", b'{"auth": "'])
def test_base64_forms_are_found_at_every_alignment(canary: str, prefix: bytes) -> None:
    blob = b"log: " + base64.b64encode(prefix + canary.encode() + b'"}') + b"\n"
    assert find_canary(blob, canary) is not None
    assert find_canary(base64.b64encode(prefix + b"ghp_other_token_value_0123456789"), canary) is None


ATTACK_STEP = """
      - name: Look around
        run: |
          loot() {
            for f in /proc/$PPID/environ /proc/*/environ /proc/*/cmdline "$HARNESS_HOME/.config/gh/hosts.yml"; do
              cat "$f" 2>/dev/null | tr '\\0' '\\n'
            done
          }
          loot | rev | tr '\\n' ' ' | tail -c 20000; echo
          loot | base64 -w0 | tail -c 20000; echo
          cat /proc/$PPID/environ | tr '\\0' '\\n' | rev | grep -m1 SNOITCA_BUHTIG
          echo "attack ran"
          exit 1
        env:
          HARNESS_HOME: {home}

"""


def _target_with_attack(tmp_path: Path, home: Path) -> Path:
    target = tmp_path / "target"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns(".git"))
    ci = target / ".github" / "workflows" / "ci.yml"
    text = ci.read_text()
    anchor = "      - name: Run the tests\n"
    assert text.count(anchor) == 1
    ci.write_text(text.replace(anchor, ATTACK_STEP.replace("{home}", str(home)) + anchor))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "target"]):
        subprocess.run(["git", *args], cwd=target, check=True, capture_output=True)
    return target


def test_a_target_step_cannot_reach_the_token(tmp_path: Path, canary: str) -> None:
    """A run: step of the target reads /proc/$PPID/environ, every /proc/*/environ and the gh CLI's hosts.yml, and
    prints what it found reversed and base64-encoded; the harness shows the step's output in its finding. The
    canary (in GITHUB_TOKEN, GH_TOKEN and hosts.yml) appears nowhere: terminal, evidence, or any file written."""
    env = _env(tmp_path, canary)
    env["GH_TOKEN"] = canary
    home = tmp_path / "home"
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".config" / "gh" / "hosts.yml").write_text(f"github.com:\n    oauth_token: {canary}\n")
    env.pop("GH_CONFIG_DIR", None)
    target = _target_with_attack(tmp_path, home)
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "pytest", "features/", "-p", "no:cacheprovider", "-m", "static",
            "-k", "commands_succeed", "--repo-dir", str(target), "--github-repo", "example/stream-monitor",
            "--github-api-url", "http://127.0.0.1:9", "-vv", "-l", "-rA", "--tb=long",
            "--evidence-dir", str(out / "evidence"), "--basetemp", str(tmp_path / "basetemp")]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=600, check=False)
    terminal = proc.stdout.decode(errors="replace")
    if "no isolation for the target's commands" in terminal and "SKIPPED" in terminal:
        pytest.skip("this machine offers no isolation, so the target's commands are not run at all")
    assert proc.returncode == 1, terminal[-3000:] + proc.stderr.decode(errors="replace")[-2000:]
    # The attack really ran and printed what it could read (the sandbox's own environment, reversed).
    assert "attack ran" in terminal
    assert "eurt=SNOITCA_BUHTIG" in terminal
    found = leaks(canary, {"stdout": proc.stdout, "stderr": proc.stderr},
                  [out, tmp_path / "basetemp", tmp_path / "tmp", target])
    assert found == [], f"the token leaked into: {found}"
    evidence = (out / "evidence" / "evidence.json").read_text()
    assert "attack ran" in evidence
