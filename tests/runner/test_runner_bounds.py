"""A step is bounded: in time (with every background child killed) and in the output the harness keeps."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cicd_acceptance.runner import JobWorkspace, Limits, Sandbox, StepSpec
from cicd_acceptance.runner.process import TailBuffer, _exited, _ExitWatch, run_bounded

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.tool  # bwrap or unshare


def test_a_timed_out_step_is_killed_with_its_background_children(workspace: Path, sandbox: Sandbox) -> None:
    script = """
( sleep 4; touch "$GITHUB_WORKSPACE/from-background" ) &
setsid sh -c 'sleep 4; touch "$GITHUB_WORKSPACE/from-new-session"' &
nohup sh -c 'sleep 4; touch "$GITHUB_WORKSPACE/from-nohup"' >/dev/null 2>&1 &
echo started
sleep 60
"""
    # The bound leaves the sandbox time to start on a loaded machine; the children would write one second after it.
    with JobWorkspace(workspace, runner_env={}, limits=Limits(timeout_s=3.0), sandbox=sandbox) as job:
        started = time.monotonic()
        result = job.run(StepSpec(script, None, workspace, {}))
        elapsed = time.monotonic() - started
    assert result.timed_out
    assert result.exit_code is None
    assert not result.ok
    assert "started" in result.output
    assert elapsed < 15
    time.sleep(max(0.0, started + 5.0 - time.monotonic()))
    assert sorted(p.name for p in workspace.iterdir()) == []


def test_background_children_of_a_finished_step_do_not_outlive_it(workspace: Path, sandbox: Sandbox) -> None:
    script = 'setsid sh -c \'sleep 2; touch "$GITHUB_WORKSPACE/late"\' >/dev/null 2>&1 &\necho done'
    with JobWorkspace(workspace, runner_env={}, limits=Limits(timeout_s=30), sandbox=sandbox) as job:
        result = job.run(StepSpec(script, None, workspace, {}))
    assert result.ok, result.output
    time.sleep(2.5)
    assert not (workspace / "late").exists()


def test_the_tail_buffer_keeps_the_last_bytes() -> None:
    tail = TailBuffer(10)
    for i in range(100):
        tail.write(f"{i:03d}".encode())
    assert tail.getvalue() == b"6097098099"
    assert tail.truncated


def test_run_bounded_keeps_only_the_tail_and_says_so(tmp_path: Path) -> None:
    done = run_bounded([sys.executable, "-c", "print('x' * 100000); print('the end')"], cwd=tmp_path, env={},
                       timeout_s=30, output_bytes=100)
    assert done.returncode == 0
    assert done.truncated
    assert len(done.output) == 100
    assert done.output.endswith(b"the end\n")


_PRINTER = """
import json, os, sys
from pathlib import Path
from cicd_acceptance.runner import JobWorkspace, Limits, StepSpec, default_sandbox
ws = Path(sys.argv[1])
with JobWorkspace(ws, runner_env={"PATH": os.environ["PATH"]}, limits=Limits(timeout_s=120, output_bytes=1 << 20),
                  sandbox=default_sandbox()) as job:
    r = job.run(StepSpec("head -c 600000000 /dev/zero | tr '\\\\0' 'x'; echo; echo last line", None, ws, {}))
# VmHWM, not ru_maxrss: that one keeps the peak of the process this one was forked from (a big pytest).
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"ok": r.ok, "len": len(r.output), "truncated": r.truncated, "end": r.output[-10:],
                  "maxrss_kib": peak}))
"""


def test_a_step_printing_600_mb_does_not_grow_the_harness(workspace: Path, bwrap_sandbox: Sandbox) -> None:
    # Measured in a child interpreter: its peak RSS is the harness's cost of reading the step's output.
    proc = subprocess.run([sys.executable, "-c", _PRINTER, str(workspace)], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    figures = json.loads(proc.stdout)
    assert figures["ok"]
    assert figures["truncated"]
    assert figures["len"] == 1 << 20
    assert figures["end"] == "last line\n"
    assert figures["maxrss_kib"] < 64 * 1024, figures  # about 21 MiB measured; 15 MiB for the import alone


def test_a_step_that_closes_its_output_still_runs_to_its_end(workspace: Path, bwrap_sandbox: Sandbox) -> None:
    script = 'echo before\nexec >/dev/null 2>&1\nsleep 1\ntouch "$GITHUB_WORKSPACE/finished"\nexit 3'
    with JobWorkspace(workspace, runner_env={}, limits=Limits(timeout_s=30), sandbox=bwrap_sandbox) as job:
        result = job.run(StepSpec(script, None, workspace, {}))
    assert result.exit_code == 3
    assert (workspace / "finished").exists()
    assert result.output == "before\n"


def test_the_exit_watch_returns_at_the_exit_and_leaves_the_child_unreaped() -> None:
    proc = subprocess.Popen(["sleep", "0.3"])
    watch = _ExitWatch(proc)
    try:
        if watch._fd is None:
            pytest.skip("no pidfd on this machine: the watch sleeps briefly instead")
        watch.wait(30.0)
        assert _exited(proc)  # a plain short sleep would have returned before the child exited
        assert proc.returncode is None  # not reaped: its pid, so its group, is still ours to kill
    finally:
        watch.close()
        proc.wait()
