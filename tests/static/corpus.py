"""The corpus of workflows in the shapes real projects write (``tests/corpus/<case>/``), and their publication
plans rendered as text for golden files: one plan per event of the acceptance plan (push to the default branch,
dispatch on it, dispatch on another branch)."""

from __future__ import annotations

import json
from pathlib import Path

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.localfiles import LocalFiles
from cicd_acceptance.workflows.model import load_workflow
from cicd_acceptance.workflows.publication import PublicationPlan, publication_plan

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
CASES = sorted(p.name for p in CORPUS_DIR.iterdir() if p.is_dir()) if CORPUS_DIR.is_dir() else []
SHA = "0123456789abcdef0123456789abcdef01234567"
REPOSITORY = "Acme/Shop"
EVENTS = (("push", "refs/heads/main"), ("workflow_dispatch", "refs/heads/main"),
          ("workflow_dispatch", "refs/heads/feature/probe"))
REVISION = "org.opencontainers.image.revision"


def entry_workflows(case_dir: Path) -> list[str]:
    """The workflows a user starts (those with a trigger other than workflow_call), relative to the case."""
    found = []
    for path in sorted((case_dir / ".github" / "workflows").glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        if "workflow_call" not in text or "push" in text:
            found.append(path.relative_to(case_dir).as_posix())
    return found


def plans(case_dir: Path, rel: str) -> list[PublicationPlan]:
    files = LocalFiles(case_dir)
    workflow = load_workflow(case_dir, rel)
    return [publication_plan(workflow, BuildEvent(event, ref, SHA, "main", REPOSITORY), files=files)
            for event, ref in EVENTS]


def render_case(case_dir: Path) -> str:
    lines: list[str] = []
    for rel in entry_workflows(case_dir):
        try:
            rendered = plans(case_dir, rel)
        except HarnessError as exc:
            lines.append(f"== {rel}: {exc}")
            continue
        for plan in rendered:
            lines.append(f"== {rel} {plan.event.event_name} {plan.event.ref}")
            if plan.no_run:
                lines.append(f"  {plan.no_run}")
            for entry in plan.entries:
                matrix = json.dumps(entry.matrix, sort_keys=True) if entry.matrix else "-"
                lines.append(f"  {entry.path}:{entry.line} job {entry.job_id} matrix {matrix} via {entry.via}")
                lines.append(f"    image {entry.image}" + (" (by digest)" if entry.by_digest else ""))
                lines.append(f"    tags {', '.join(str(tag) for tag in entry.tags) or '-'}")
                lines.append(f"    push {entry.push}; dockerfile {entry.dockerfile}; platforms "
                             f"{', '.join(str(p) for p in entry.platforms) or '-'}")
                if REVISION in entry.labels:
                    lines.append(f"    revision {entry.labels[REVISION]} from {entry.labels_from}")
                if entry.refused:
                    lines.append(f"    refused {entry.refused}: the step fails")
                if entry.condition is not None:
                    lines.append(f"    only if {entry.condition}")
            lines.extend(f"  fault {fault}" for fault in plan.faults)
            lines.extend(f"  note {note}" for note in plan.notes)
    return "\n".join(lines).replace(SHA, "<sha>").replace(SHA[:7], "<short>") + "\n"
