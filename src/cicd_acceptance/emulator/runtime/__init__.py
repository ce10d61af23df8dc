"""Executing workflows at run time, as a runner would: jobs, steps, expressions with concrete contexts, ``run:``
steps through :mod:`cicd_acceptance.runner`, native emulation of known actions, logs in GitHub's format.

Independent of the static checks: nothing in this package imports the publication plan, the checks or the
criteria (a test holds it to that).
"""

from cicd_acceptance.emulator.runtime.actions import NATIVE_ACTIONS
from cicd_acceptance.emulator.runtime.checkout import Checkout, tree_prefix
from cicd_acceptance.emulator.runtime.contexts import RunEvent, RunIdentity
from cicd_acceptance.emulator.runtime.engine import JobSlot, RunPlan, execute_run
from cicd_acceptance.emulator.runtime.logs import Annotation
from cicd_acceptance.emulator.runtime.results import Execution, JobResult, StepRecord
from cicd_acceptance.emulator.runtime.services import Services, TokenScopes

__all__ = [
    "NATIVE_ACTIONS",
    "Annotation",
    "Checkout",
    "Execution",
    "JobResult",
    "JobSlot",
    "RunEvent",
    "RunIdentity",
    "RunPlan",
    "Services",
    "StepRecord",
    "TokenScopes",
    "execute_run",
    "tree_prefix",
]
