"""dispatch_and_find on the fake GitHub: run details, 204/old-GHES correlation, foreign runs, never twice."""

from __future__ import annotations

import httpx
import pytest

from cicd_acceptance.errors import CorrelationError, GitHubPermissionError, GitHubValidationError
from cicd_acceptance.github import GitHubClient
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.dispatch import DispatchOutcome, dispatch_and_find, supports_run_details
from cicd_acceptance.live.timing import LiveTiming
from cicd_acceptance.polling import ManualClock
from cicd_acceptance.secret import Secret
from tests.github.fake_github import API, OTHER_SHA, REPO, SHA, FakeGitHub

GHES = "https://ghes.example/api/v3"


def setup(base_url: str = API, **fake_options: object) -> tuple[FakeGitHub, GitHubClient, ManualClock]:
    clock = ManualClock(start=100.0)
    fake = FakeGitHub(clock=clock, **fake_options)  # type: ignore[arg-type]
    client = GitHubClient(base_url=base_url, token=Secret("t0ken"),
                          http=HttpSettings(transport=httpx.MockTransport(fake), sleep=clock.sleep))
    return fake, client, clock


def find(client: GitHubClient, clock: ManualClock, *, actor: str | None = None,
         appear_timeout_s: float = 300.0) -> DispatchOutcome:
    timing = LiveTiming(appear_timeout_s=appear_timeout_s, sleep=clock.sleep, clock=clock)
    return dispatch_and_find(client, REPO, workflow="build-images.yml", ref="main", head_sha=SHA, actor=actor,
                             timing=timing)


def posts(fake: FakeGitHub) -> list[httpx.Request]:
    return [request for request in fake.requests if request.method == "POST"]


def test_github_com_returns_the_run_id_directly() -> None:
    fake, client, clock = setup()
    old = fake.add_run(created=0)  # an earlier run: the snapshot also yields an expected duration
    clock.advance(700)
    outcome = dispatch_and_find(client, REPO, workflow="build-images.yml", ref="main", head_sha=SHA,
                                timing=LiveTiming(sleep=clock.sleep, clock=clock))
    assert outcome.correlation.method == "return_run_details"
    assert outcome.correlation.dispatch_status == 200
    assert outcome.run.id != old.id
    assert outcome.run.id == fake.runs[-1].id
    assert outcome.expected_duration_s == 595.0  # started at +5 s, completed at +600 s
    assert fake.dispatches == 1
    assert not any(r.url.path == "/meta" for r in fake.requests)  # github.com needs no /meta probe


@pytest.mark.parametrize(("version", "expected"), [("3.21.0", True), ("3.20.4", False), ("3.9.1", False),
                                                   ("3.22.1", True), (None, True)])
def test_ghes_support_comes_from_meta(version: str | None, expected: bool) -> None:
    _, client, _ = setup(GHES, installed_version=version)
    supported, why = supports_run_details(client)
    assert supported is expected
    assert (version or "no installed_version") in why


def test_204_falls_back_to_correlation_with_server_date_minus_skew() -> None:
    fake, client, clock = setup(dispatch_mode="204")
    outcome = dispatch_and_find(client, REPO, workflow="build-images.yml", ref="main", head_sha=SHA,
                                actor="octocat", timing=LiveTiming(sleep=clock.sleep, clock=clock))
    assert outcome.correlation.method == "correlation"
    assert outcome.correlation.dispatch_status == 204
    assert outcome.correlation.created_filter == ">=2026-11-27T07:59:40Z"  # Date 08:01:40 minus 120 s
    assert outcome.run.id == fake.runs[-1].id
    assert outcome.correlation.polls >= 2  # the run became visible only after 3 s (eventual consistency)
    listing = next(r for r in fake.requests if r.url.path.endswith("/runs") and "created" in r.url.params)
    assert listing.url.params["event"] == "workflow_dispatch"
    assert listing.url.params["branch"] == "main"


def test_old_ghes_400_dispatches_once_more_without_the_field_and_correlates() -> None:
    fake, client, clock = setup(GHES, dispatch_mode="old-ghes", installed_version=None)
    outcome = dispatch_and_find(client, REPO, workflow="build-images.yml", ref="main", head_sha=SHA,
                                timing=LiveTiming(sleep=clock.sleep, clock=clock))
    assert outcome.correlation.method == "correlation"
    assert fake.dispatches == 1  # the 400 created nothing; exactly one run exists
    assert len(posts(fake)) == 2
    assert any("not permitted" in note for note in outcome.correlation.notes)


def test_old_ghes_by_version_never_sends_the_field() -> None:
    fake, client, clock = setup(GHES, dispatch_mode="old-ghes", installed_version="3.20.0")
    outcome = dispatch_and_find(client, REPO, workflow="build-images.yml", ref="main", head_sha=SHA,
                                timing=LiveTiming(sleep=clock.sleep, clock=clock))
    assert len(posts(fake)) == 1
    assert b"return_run_details" not in posts(fake)[0].content
    assert outcome.run.id == fake.runs[-1].id


def test_foreign_dispatch_at_the_same_moment_is_never_picked() -> None:
    def foreign(fake: FakeGitHub) -> None:
        fake.add_run(actor="mallory", visible_after=0)  # same workflow, branch, commit, second

    fake, client, clock = setup(dispatch_mode="204", on_dispatch=foreign)
    outcome = dispatch_and_find(client, REPO, workflow="build-images.yml", ref="main", head_sha=SHA,
                                actor="octocat", timing=LiveTiming(sleep=clock.sleep, clock=clock))
    mine = fake.runs[-1]
    assert mine.actor == "octocat"
    assert outcome.run.id == mine.id
    assert any("actor mallory" in why for why in outcome.correlation.rejected)


def test_foreign_dispatch_without_actor_is_an_error_not_a_guess() -> None:
    def foreign(fake: FakeGitHub) -> None:
        fake.add_run(actor="mallory", visible_after=0)

    _fake, client, clock = setup(dispatch_mode="204", on_dispatch=foreign)
    with pytest.raises(CorrelationError) as err:
        find(client, clock)
    assert "2 runs of build-images.yml match our dispatch" in str(err.value)
    assert "mallory" in str(err.value)
    assert "octocat" in str(err.value)


def test_runs_of_another_commit_and_earlier_runs_are_rejected() -> None:
    def noise(fake: FakeGitHub) -> None:
        fake.add_run(head_sha=OTHER_SHA)

    fake, client, clock = setup(dispatch_mode="204", on_dispatch=noise)
    earlier = fake.add_run(created=90)  # same commit, before the dispatch but inside the skew window
    outcome = find(client, clock, actor="octocat")
    assert outcome.run.id == fake.runs[-1].id
    rejected = " ".join(outcome.correlation.rejected)
    assert f"run {earlier.id} (existed before the dispatch)" in rejected
    assert "not the pinned aaaaaaa" in rejected


def test_no_candidate_after_the_window_is_a_correlation_error() -> None:
    fake, client, clock = setup(dispatch_mode="204", dispatch_visible_after=10_000)
    with pytest.raises(CorrelationError) as err:
        find(client, clock, appear_timeout_s=60)
    assert "no run of build-images.yml (event workflow_dispatch, branch main, head aaaaaaa" in str(err.value)
    assert "within 60s" in str(err.value)
    assert fake.dispatches == 1


def test_ambiguous_5xx_on_the_post_looks_for_the_run_instead_of_dispatching_again() -> None:
    fake, client, clock = setup(dispatch_mode="502-created")
    outcome = find(client, clock, actor="octocat")
    assert outcome.correlation.method == "correlation after ambiguous dispatch"
    assert outcome.run.id == fake.runs[-1].id
    assert len(posts(fake)) == 1


def test_ambiguous_failure_with_no_run_never_dispatches_again() -> None:
    fake, client, clock = setup(dispatch_mode="502-created", dispatch_visible_after=10_000)
    with pytest.raises(CorrelationError) as err:
        find(client, clock, appear_timeout_s=30)
    assert "not dispatching again" in str(err.value)
    assert len(posts(fake)) == 1


def test_network_error_on_the_post_is_ambiguous_too() -> None:
    clock = ManualClock(start=100.0)
    fake = FakeGitHub(clock=clock, dispatch_mode="204")

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            fake(request)  # the server got it and created the run ...
            raise httpx.ReadTimeout("read timed out", request=request)  # ... but the answer was lost
        return fake(request)

    client = GitHubClient(base_url=API, token=None,
                          http=HttpSettings(transport=httpx.MockTransport(flaky), sleep=clock.sleep))
    outcome = find(client, clock)
    assert outcome.run.id == fake.runs[-1].id
    assert fake.dispatches == 1


def test_workflow_without_dispatch_trigger_is_a_422_with_advice() -> None:
    fake, client, clock = setup(dispatch_mode="no-trigger")
    with pytest.raises(GitHubValidationError, match="workflow has no workflow_dispatch trigger"):
        find(client, clock)
    assert fake.dispatches == 0


def test_read_only_token_says_which_permission_is_missing() -> None:
    _, client, clock = setup(dispatch_mode="read-only")
    with pytest.raises(GitHubPermissionError, match="token lacks actions:write"):
        find(client, clock)


def test_run_details_for_a_moved_branch_is_refused() -> None:
    _fake, client, clock = setup(head_sha=OTHER_SHA)  # main moved after we pinned SHA
    with pytest.raises(CorrelationError, match="builds ccccccc but the pinned commit is aaaaaaa"):
        find(client, clock)


def test_correlation_pages_through_many_runs() -> None:
    def crowd(fake: FakeGitHub) -> None:
        for _ in range(250):
            fake.add_run(head_sha=OTHER_SHA)

    fake, client, clock = setup(dispatch_mode="204", on_dispatch=crowd)
    outcome = find(client, clock)
    assert outcome.run.id == fake.runs[-1].id
    pages = [r for r in fake.requests if r.url.params.get("page")]
    assert pages, "the search must follow Link to later pages"


def test_listing_outage_after_the_dispatch_is_ridden_out() -> None:
    clock = ManualClock(start=100.0)
    fake = FakeGitHub(clock=clock, dispatch_mode="204")

    def flaky_listing(request: httpx.Request) -> httpx.Response:
        listing = request.url.path.endswith("/runs") and "created" in request.url.params
        if listing and clock() < 160:
            return httpx.Response(503, json={"message": "Service Unavailable"})
        return fake(request)

    client = GitHubClient(base_url=API, token=None,
                          http=HttpSettings(transport=httpx.MockTransport(flaky_listing), sleep=clock.sleep))
    outcome = find(client, clock)
    assert outcome.run.id == fake.runs[-1].id
    assert fake.dispatches == 1


def test_listing_outage_to_the_end_is_named_in_the_error() -> None:
    clock = ManualClock(start=100.0)
    fake = FakeGitHub(clock=clock, dispatch_mode="204")

    def broken_listing(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/runs") and "created" in request.url.params:
            return httpx.Response(503, json={"message": "Service Unavailable"})
        return fake(request)

    client = GitHubClient(base_url=API, token=None,
                          http=HttpSettings(transport=httpx.MockTransport(broken_listing), sleep=clock.sleep))
    with pytest.raises(CorrelationError, match=r"the last listing failed: GET .* -> 503"):
        find(client, clock, appear_timeout_s=60)
    assert fake.dispatches == 1


def test_reading_the_returned_run_rides_out_a_transient_outage() -> None:
    clock = ManualClock(start=100.0)
    fake = FakeGitHub(clock=clock)

    def flaky_run(request: httpx.Request) -> httpx.Response:
        if "/actions/runs/" in request.url.path and clock() < 130:
            return httpx.Response(502, json={"message": "Bad gateway"})
        return fake(request)

    client = GitHubClient(base_url=API, token=None,
                          http=HttpSettings(transport=httpx.MockTransport(flaky_run), sleep=clock.sleep))
    outcome = find(client, clock)
    assert outcome.correlation.method == "return_run_details"
    assert outcome.run.id == fake.runs[-1].id
    assert clock() >= 130
