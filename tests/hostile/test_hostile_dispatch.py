"""A run id in the dispatch answer that is not a run of this dispatch is reported as such, not as "main moved"."""

from __future__ import annotations

import json

import httpx
import pytest

from cicd_acceptance.errors import CorrelationError
from cicd_acceptance.github import GitHubClient
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.dispatch import dispatch_and_find
from cicd_acceptance.live.timing import LiveTiming
from cicd_acceptance.polling import ManualClock
from cicd_acceptance.secret import Secret
from tests.github.fake_github import OTHER_SHA, REPO, SHA, FakeGitHub, FakeRun


@pytest.mark.parametrize(("foreign", "why"), [
    ("older", "existed before the dispatch"),
    ("other-workflow", "another workflow"),
    ("push", "started by 'push'"),
])
def test_a_foreign_run_id_is_not_reported_as_a_moved_branch(foreign: str, why: str) -> None:
    clock = ManualClock(start=100.0)
    fake = FakeGitHub(clock=clock)
    older = fake.add_run(head_sha=OTHER_SHA, created=0)
    named: list[FakeRun] = []

    def handler(request: httpx.Request) -> httpx.Response:
        answer = fake(request)
        if request.method == "POST" and answer.status_code == 200:
            if foreign == "older":
                run = older
            elif foreign == "other-workflow":
                run = fake.add_run(path="ci.yml", head_sha=OTHER_SHA)
            else:
                run = fake.add_run(event="push", head_sha=OTHER_SHA)
            named.append(run)
            body = json.loads(answer.content)
            body["workflow_run_id"] = run.id
            return httpx.Response(200, json=body)
        return answer

    client = GitHubClient(base_url="https://api.github.com", token=Secret("t0ken"),
                          http=HttpSettings(transport=httpx.MockTransport(handler), sleep=clock.sleep))
    with pytest.raises(CorrelationError) as info:
        dispatch_and_find(client, REPO, workflow="build-images.yml", ref="main", head_sha=SHA,
                          timing=LiveTiming(sleep=clock.sleep, clock=clock))
    message = str(info.value)
    assert why in message
    assert f"run {named[0].id}" in message
    assert "moved" not in message
