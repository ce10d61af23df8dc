"""Live acceptance logic over the GitHub client: CI status, dispatch + correlation, run waiting, progress.

Image verification (``live.images``) is a separate module with its own owner and is imported from there.
"""

from __future__ import annotations

from cicd_acceptance.live.ci_status import CiStatus, JobFailure, RunVerdict, ci_status, judge_run, merged_pull_request
from cicd_acceptance.live.dispatch import Correlation, DispatchOutcome, dispatch_and_find, supports_run_details
from cicd_acceptance.live.progress import ProgressPrinter
from cicd_acceptance.live.waiter import IntervalPolicy, RunChange, RunResult, settle_by_waiting, wait_for_run

__all__ = [
    "CiStatus",
    "Correlation",
    "DispatchOutcome",
    "IntervalPolicy",
    "JobFailure",
    "ProgressPrinter",
    "RunChange",
    "RunResult",
    "RunVerdict",
    "ci_status",
    "dispatch_and_find",
    "judge_run",
    "merged_pull_request",
    "settle_by_waiting",
    "supports_run_details",
    "wait_for_run",
]
