"""GitHub Actions integration: workflow-command annotations, log groups and the job summary.

Workflow commands are lines on stdout that the runner interprets (``::error file=x,line=3::message``). Anything we
put in one is escaped per the runner's rules (``%``, CR and LF in the message; additionally ``:`` and ``,`` in
property values), so a finding message cannot end the command early or start a new one on the next line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from cicd_acceptance.errors import LocalFileError
from cicd_acceptance.evidence.markdown import finding_list
from cicd_acceptance.evidence.model import ScenarioResult

__all__ = [
    "STEP_SUMMARY_LIMIT",
    "annotation_lines",
    "append_step_summary",
    "escape_data",
    "escape_property",
    "group",
    "workflow_command",
]

STEP_SUMMARY_LIMIT = 1024 * 1024  # GitHub rejects a step summary above 1 MiB


def escape_data(text: str) -> str:
    """Escape a command's message (the part after ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property value (``file=``, ``title=``...)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(name: str, message: str, properties: Mapping[str, str | int | None] | None = None) -> str:
    """``::name k=v,k=v::message`` with every part escaped; None-valued properties are left out."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in (properties or {}).items() if v is not None)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def group(title: str, lines: Sequence[str]) -> list[str]:
    """``lines`` folded under ``title`` in the Actions log."""
    return [workflow_command("group", title), *lines, "::endgroup::"]


def _annotation_path(path: str, repo_dir: Path, workspace: Path) -> str:
    """A finding path (relative to the target) made relative to the workspace, where the runner looks for it."""
    full = (repo_dir / path).resolve()
    try:
        return full.relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return path


def _finding_commands(s: ScenarioResult, repo_dir: Path, workspace: Path) -> list[str]:
    lines = []
    for entry in s.entries("findings"):
        for f in finding_list(entry):
            blocking = f.get("blocking", True) is not False
            if blocking and s.outcome != "failed":
                continue  # a blocking finding in a criterion that passed anyway was waived by the step
            line, column = f.get("line"), f.get("column")
            props: dict[str, str | int | None] = {
                "file": _annotation_path(str(f.get("path", "")), repo_dir, workspace),
                "line": line if isinstance(line, int) and line > 0 else None,
                "col": column if isinstance(column, int) and column > 0 else None,
                "title": f"{f.get('rule', 'finding')} ({s.title})",
            }
            lines.append(workflow_command("error" if blocking else "warning", str(f.get("message", "")), props))
    return lines


def annotation_lines(scenarios: Sequence[ScenarioResult], *, repo_dir: Path, workspace: Path) -> list[str]:
    """Error annotations for failed criteria (one per blocking finding, else one per criterion), warnings for skips."""
    lines: list[str] = []
    for s in scenarios:
        found = _finding_commands(s, repo_dir, workspace)
        lines += found
        if s.outcome == "failed" and not any(c.startswith("::error") for c in found):
            lines.append(workflow_command("error", f"{s.title}: {s.reason}", {"title": "Acceptance criterion failed"}))
        elif s.outcome == "skipped":
            lines.append(workflow_command("warning", f"{s.title}: {s.reason}",
                                          {"title": "Acceptance criterion skipped"}))
    return lines


def append_step_summary(markdown: str, env: Mapping[str, str] | None = None) -> Path | None:
    """Append ``markdown`` to the file named by ``GITHUB_STEP_SUMMARY``; None when it is not set."""
    target = (env if env is not None else os.environ).get("GITHUB_STEP_SUMMARY", "").strip()
    if not target:
        return None
    data = markdown.encode()
    if len(data) > STEP_SUMMARY_LIMIT:
        note = b"\n\n*(summary truncated: the full report is evidence.md in the evidence bundle)*\n"
        data = data[: STEP_SUMMARY_LIMIT - len(note)].decode(errors="ignore").encode() + note
    try:
        with open(target, "ab") as fh:
            fh.write(data if data.endswith(b"\n") else data + b"\n")
    except OSError as exc:
        raise LocalFileError(f"cannot append the job summary to {target}: {exc.strerror}",
                             source="env GITHUB_STEP_SUMMARY") from None
    return Path(target)
