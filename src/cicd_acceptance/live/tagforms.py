"""How the build workflow spells the commit tag, so that the live check looks up what the build really pushes.

The live check only looks tags up (HEAD), it never lists them. A build that tags ``sha-0123abcdef01``
(``DOCKER_METADATA_SHORT_SHA_LENGTH=12``) or ``git-0123abc`` would be looked for in vain under the plan's default
spellings, although the static rule accepts it. So the forms are learnt from the static publication plan of the
dispatch the live check makes (``workflow_dispatch`` on the default branch, at the checkout's HEAD) and applied to
the pinned commit. A workflow that cannot be read, or tags only a run can compute, teaches nothing: the plan's
default spellings remain.
"""

from __future__ import annotations

from cicd_acceptance.committags import CommitTagForm, commit_tag_form
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.plan import Plan
from cicd_acceptance.target import Target

__all__ = ["MAX_FORMS", "workflow_commit_forms"]

MAX_FORMS = 4  # each form costs one HEAD per image before and after the build


def workflow_commit_forms(target: Target, plan: Plan) -> tuple[CommitTagForm, ...]:
    """The spellings of the commit in the tags the build pushes for the plan's images on a dispatch."""
    # Imported here: the publication plan is heavy, and only a live run that dispatches needs it.
    from cicd_acceptance.workflows.checks.context import CheckContext

    try:
        publication = CheckContext(target, plan).publication("workflow_dispatch")
    except HarnessError:
        return ()
    wanted = {plan.image_for(service, target.repository) for service in plan.services}
    forms: dict[CommitTagForm, None] = {}
    for entry in publication.entries:
        if entry.push is False or str(entry.image) not in wanted:
            continue
        for tag in entry.tags:
            form = commit_tag_form(tag, target.head_sha) if isinstance(tag, str) else None
            if form is not None:
                forms.setdefault(form)
    return tuple(forms)[:MAX_FORMS]
