"""What a run of the static suite loads before its rules start: the plugins and the rule registry, not the
publication plan (metadata-action, the shell reader, JavaScript regexes), which the build rules load on first use
while the tools already run."""

from __future__ import annotations

import subprocess
import sys

from cicd_acceptance.workflows import pubsteps
from cicd_acceptance.workflows.checks.context import BUILD_ACTION
from tests.static.repos import REPO_ROOT

# The plugins and step modules the root conftest registers, as pytest imports them before collecting.
_STARTUP = ("cicd_acceptance.testing.plugin", "cicd_acceptance.testing.live_plugin",
            "cicd_acceptance.testing.evidence_plugin", "cicd_acceptance.testing.static_plugin",
            "steps.static_steps", "steps.live_steps", "steps.project_steps")
_LATER = ("cicd_acceptance.workflows.publication", "cicd_acceptance.workflows.pubsteps",
          "cicd_acceptance.workflows.metadata", "cicd_acceptance.workflows.shell", "jsonschema", "hypothesis",
          "cicd_acceptance.emulator", "httpx", "werkzeug", "graphql", "cicd_acceptance.workflows.bake", "hcl2", "lark")


def test_the_rules_and_the_publication_walk_agree_on_the_build_action() -> None:
    assert BUILD_ACTION == pubsteps.BUILD_PUSH_ACTION


def test_start_up_loads_no_publication_plan_and_nothing_live() -> None:
    script = (f"import sys\nfor name in {_STARTUP!r}:\n    __import__(name)\n"
              f"print(' '.join(sorted(m for m in {_LATER!r} if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120, check=False, env={"PYTHONPATH": f"{REPO_ROOT / 'src'}:{REPO_ROOT}",
                                                         "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == []


def test_the_plugin_tunes_the_collector_once_per_process() -> None:
    """Start-up objects frozen, a larger first generation, and one exit hook, however often pytest configures."""
    script = ("import atexit, gc\nfrom cicd_acceptance.testing.plugin import tune_gc\n"
              "before = gc.get_threshold()[0]\nhooks = atexit._ncallbacks()\ntune_gc(); tune_gc()\n"
              "print(before, gc.get_threshold()[0], gc.get_freeze_count() > 0, atexit._ncallbacks() - hooks)")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120, check=False, env={"PYTHONPATH": f"{REPO_ROOT / 'src'}:{REPO_ROOT}",
                                                         "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["700", "20000", "True", "1"]
