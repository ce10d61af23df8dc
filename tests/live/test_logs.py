"""Evidence quoted from job logs, the token's login, and telling the emulator from GitHub.

Logs are served like GitHub serves them: ``GET .../actions/jobs/{id}/logs`` answers 302 to a signed storage URL on
another host, and the text has GitHub's timestamp prefix and ``##[group]``/``##[error]`` markers.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cicd_acceptance.errors import CorrelationError
from cicd_acceptance.github import GitHubClient
from cicd_acceptance.github.models import Job
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.dispatch import DispatchOutcome, dispatch_and_find
from cicd_acceptance.live.logs import LogLimits, read_job_log, scan_log, strip_timestamp
from cicd_acceptance.live.quotes import PushTarget, failure_quotes, go_test_quotes, is_go_test_result, push_quotes
from cicd_acceptance.live.server import classify_server, token_login
from cicd_acceptance.live.timing import LiveTiming
from cicd_acceptance.polling import ManualClock
from cicd_acceptance.secret import Secret
from tests.github.fake_github import API, REPO, STORAGE_HOST, FakeGitHub, FakeJob, ok_timeline
from tests.live.acceptance_emulated import Emulated

TOKEN = "ghp_logs0123456789abcdefABCDEF0123"
T = "2026-01-01T00:00:00.0000000Z "
DIGEST = "sha256:" + "d" * 64
GO_TEST_LOG = "".join(f"{T}{line}\n" for line in [
    "\ufeff##[group]Run actions/checkout@v4", "Syncing repository: octo/stream-monitor", "##[endgroup]",
    "##[group]Run go test ./...", "go test ./...", "shell: /usr/bin/bash -e {0}", "##[endgroup]",
    "?   \tgithub.com/octo/stream-monitor/cmd/gateway\t[no test files]",
    "ok  \tgithub.com/octo/stream-monitor/internal/api\t0.012s",
    "ok  \tgithub.com/octo/stream-monitor/internal/ids\t(cached)",
    "Post job cleanup.",
]).encode()
RED_LOG = "".join(f"{T}{line}\n" for line in [
    "##[group]Run go test ./...", "--- FAIL: TestParse (0.00s)", "    parse_test.go:12: want 1, got 2", "FAIL",
    "FAIL\tgithub.com/octo/stream-monitor/internal/ids\t0.004s", "FAIL", "##[endgroup]",
    "##[error]Process completed with exit code 1.", "Post job cleanup.",
]).encode()


def client(fake: FakeGitHub) -> GitHubClient:
    return GitHubClient(base_url=API, token=Secret(TOKEN),
                        http=HttpSettings(transport=httpx.MockTransport(fake), sleep=fake.clock.sleep))


def job(job_id: int, name: str, conclusion: str = "success", failed_step: str | None = None) -> Job:
    steps = [{"name": "Check out", "number": 1, "status": "completed", "conclusion": "success"},
             {"name": failed_step or "Run the tests", "number": 2, "status": "completed",
              "conclusion": "failure" if failed_step else "success"}]
    return Job.from_api({"id": job_id, "run_id": 7, "name": name, "status": "completed", "conclusion": conclusion,
                         "started_at": None, "completed_at": None, "steps": steps})


def test_the_log_redirect_is_followed_without_the_token() -> None:
    fake = FakeGitHub(clock=ManualClock(), job_logs={11: GO_TEST_LOG})
    quote = read_job_log(client(fake), REPO, 11, "test", is_go_test_result)
    assert quote.error is None
    api_hop = next(r for r in fake.requests if r.url.path.endswith("/actions/jobs/11/logs"))
    assert api_hop.headers["authorization"] == f"Bearer {TOKEN}"
    assert len(fake.storage_requests) == 1
    assert fake.storage_requests[0].url.host == STORAGE_HOST
    assert "authorization" not in fake.storage_requests[0].headers


def test_go_test_result_lines_are_quoted_without_timestamps() -> None:
    fake = FakeGitHub(clock=ManualClock(), job_logs={11: GO_TEST_LOG, 12: b"unrelated\n"})
    jobs = (job(11, "test"), job(12, "lint"))
    [quote] = go_test_quotes(client(fake), REPO, 7, jobs, "test")
    assert quote["lines"] == ["ok  \tgithub.com/octo/stream-monitor/internal/api\t0.012s",
                              "ok  \tgithub.com/octo/stream-monitor/internal/ids\t(cached)"]
    assert (quote["purpose"], quote["job"], quote["run_id"], quote["complete"]) == ("go test", "test", 7, True)
    assert len(fake.storage_requests) == 1  # the lint job's log is not read


@pytest.mark.parametrize(("line", "result"), [
    ("ok  \tgithub.com/o/r/internal/x\t0.1s", True), ("FAIL\tgithub.com/o/r/x [build failed]", True),
    ("FAIL", True), ("--- FAIL: TestX (0.00s)", True), ("    --- PASS: TestX/sub (0.00s)", True),
    ("?   \tgithub.com/o/r/cmd\t[no test files]", False), ("okay then", False), ("FAILED to fetch", False),
])
def test_go_test_result_lines(line: str, result: bool) -> None:
    assert is_go_test_result(line) is result


def test_timestamps_and_a_byte_order_mark_are_stripped() -> None:
    assert strip_timestamp("\ufeff2026-01-01T00:00:00.0000000Z ##[group]Run x") == "##[group]Run x"
    assert strip_timestamp("2026-01-01T00:00:00Z ok") == "ok"
    assert strip_timestamp("no stamp here") == "no stamp here"


def test_a_red_run_quotes_the_failing_step_the_error_the_tail_and_the_annotations() -> None:
    annotation = {"path": ".github", "start_line": 1, "annotation_level": "failure", "title": "",
                  "message": "Process completed with exit code 1."}
    fake = FakeGitHub(clock=ManualClock(), job_logs={21: RED_LOG, 22: GO_TEST_LOG}, annotations={21: [annotation]})
    jobs = (job(21, "test", "failure", failed_step="Run go test ./..."), job(22, "lint"))
    [quote] = failure_quotes(client(fake), REPO, 7, jobs, LogLimits(tail_lines=4))
    assert (quote["job"], quote["step"], quote["conclusion"]) == ("test", "Run go test ./...", "failure")
    assert quote["errors"] == ["##[error]Process completed with exit code 1."]
    assert quote["tail"] == ["FAIL", "##[endgroup]", "##[error]Process completed with exit code 1.",
                             "Post job cleanup."]
    assert quote["annotations"] == [{"path": ".github", "line": 1, "level": "failure", "title": "",
                                     "message": "Process completed with exit code 1."}]


def test_push_lines_per_service_beside_the_registry_digest() -> None:
    log = "".join(f"{T}{line}\n" for line in [
        "#12 pushing manifest for ghcr.io/octo/stream-monitor-gateway:sha-abc1234@" + DIGEST + " done",
        "#12 pushing manifest for ghcr.io/octo/stream-monitor-gateway:latest@" + DIGEST + " done",
        "#13 exporting manifest list " + DIGEST + " done",
    ]).encode()
    fake = FakeGitHub(clock=ManualClock(), job_logs={31: log, 32: b"nothing pushed\n"})
    targets = [PushTarget("gateway", "octo/stream-monitor-gateway", "sha-abc1234", DIGEST),
               PushTarget("worker", "octo/stream-monitor-worker", "sha-abc1234", None)]
    quotes = push_quotes(client(fake), REPO, 7, (job(31, "build (gateway)"), job(32, "build (worker)")), targets)
    gateway, worker = quotes["gateway"], quotes["worker"]
    assert gateway["lines"] == [
        "#12 pushing manifest for ghcr.io/octo/stream-monitor-gateway:sha-abc1234@" + DIGEST + " done",
        "#12 pushing manifest for ghcr.io/octo/stream-monitor-gateway:latest@" + DIGEST + " done",
        "#13 exporting manifest list " + DIGEST + " done"]
    assert (gateway["pushed_in_log"], gateway["digest_in_log"], gateway["jobs"]) == (True, True, ["build (gateway)"])
    assert (worker["lines"], worker["pushed_in_log"], worker["digest_in_log"]) == ([], False, False)


def _endless(chunk: bytes) -> Iterator[bytes]:
    while True:
        yield chunk


def test_an_endless_log_stops_at_the_size_bound() -> None:
    lines, _, tail, read, complete = scan_log(_endless(b"x" * 1000 + b"\n"), lambda _: True,
                                              LogLimits(max_bytes=1 << 20, max_quoted=5, tail_lines=3))
    assert not complete
    assert (1 << 20) <= read < (1 << 20) + 2000
    assert (len(lines), len(tail)) == (5, 3)


def test_a_slow_log_stops_at_the_time_bound() -> None:
    clock = ManualClock()

    def trickle() -> Iterator[bytes]:
        while True:
            clock.advance(1.0)
            yield b"still going\n"

    _, _, _, read, complete = scan_log(trickle(), lambda _: False, LogLimits(timeout_s=30), clock=clock)
    assert not complete
    assert read <= 32 * len(b"still going\n")


def test_a_line_without_end_is_cut_and_memory_stays_bounded() -> None:
    limits = LogLimits(max_bytes=8 << 20, max_line_chars=100)
    lines, _, tail, _read, complete = scan_log(_endless(b"y" * 65536), lambda _: True, limits)
    assert not complete
    assert lines == ["y" * 100 + " [...]"]
    assert tail == lines


def test_an_unreadable_log_is_reported_in_the_quote_not_raised() -> None:
    fake = FakeGitHub(clock=ManualClock())
    quote = read_job_log(client(fake), REPO, 99, "test", is_go_test_result)
    assert quote.error is not None
    assert quote.error.startswith("cannot read the log: GET https://api.github.com/repos/octo/stream-monitor/"
                                  "actions/jobs/99/logs")
    assert TOKEN not in quote.error


def test_a_users_token_names_the_actor() -> None:
    fake = FakeGitHub(clock=ManualClock(), user_login="ada")
    assert token_login(client(fake)) == token_login(client(fake))
    login = token_login(client(fake))
    assert (login.login, login.source) == ("ada", "GET /user")


def test_an_actions_token_correlates_without_the_actor() -> None:
    fake = FakeGitHub(clock=ManualClock(), user_login=None)
    login = token_login(client(fake))
    assert login.login is None
    assert login.source == ("GET /user refused (403): not a user's token (an Actions GITHUB_TOKEN or an app "
                            "token); runs are correlated without the actor")


def test_dispatch_correlation_uses_the_login_from_get_user() -> None:
    clock = ManualClock()
    fake = FakeGitHub(clock=clock, dispatch_mode="204", user_login="ada", default_actor="ada",
                      run_timeline=ok_timeline(60), run_jobs=[FakeJob("build (gateway)")])
    github = client(fake)

    def foreign_dispatch(f: FakeGitHub) -> None:  # someone else dispatches the same commit in the same second
        f.add_run(actor="mallory")

    fake.on_dispatch = foreign_dispatch

    def find(actor: str | None) -> DispatchOutcome:
        return dispatch_and_find(github, REPO, workflow="build-images.yml", ref="main", head_sha=fake.head_sha,
                                 actor=actor, timing=LiveTiming(appear_timeout_s=60, settle_s=5, interval_s=1,
                                                                sleep=clock.sleep, clock=clock))

    outcome = find(token_login(github).login)
    assert outcome.run.actor_login == "ada"
    with pytest.raises(CorrelationError, match="mallory"):  # without the login: two candidates, a clear error
        find(None)


def _probe(handler: httpx.MockTransport, *, started: bool = False) -> str:
    return classify_server("https://ghes.example.com/api/v3", started_emulator=started, transport=handler).kind


def test_the_emulator_is_recognised_by_its_answer_and_a_server_can_only_downgrade() -> None:
    seen: list[httpx.Request] = []

    def emulator(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/_emulator/clock":
            return httpx.Response(200, json={"now": "2026-01-01T00:00:00Z", "speed": 60})
        return httpx.Response(404)

    assert _probe(httpx.MockTransport(emulator)) == "emulator"
    assert seen[0].url == "https://ghes.example.com/_emulator/clock"
    assert "authorization" not in seen[0].headers
    not_found = httpx.MockTransport(lambda _: httpx.Response(404, json={"message": "Not Found"}))
    assert _probe(not_found) == "github"
    assert _probe(not_found, started=True) == "emulator"  # the settings know; no answer can undo that
    huge = httpx.MockTransport(lambda _: httpx.Response(200, content=b'{"now": 1, "speed": 1, "x": "' +
                                                        b"z" * 10000 + b'"}'))
    assert _probe(huge) == "github"

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    assert _probe(httpx.MockTransport(down)) == "github"


class _EndlessStream(httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        return _endless(f"{T}ok  \tgithub.com/octo/x\t0.1s\n".encode() * 100)


def test_an_endless_download_through_the_client_stops_at_the_bound_and_keeps_the_quote() -> None:
    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.host == STORAGE_HOST:
            return httpx.Response(200, stream=_EndlessStream())
        return httpx.Response(302, headers={"location": f"https://{STORAGE_HOST}/logs/5?sig=s"})

    github = GitHubClient(base_url=API, token=Secret(TOKEN), http=HttpSettings(transport=httpx.MockTransport(serve)))
    quote = read_job_log(github, REPO, 5, "test", is_go_test_result, LogLimits(max_bytes=1 << 20, max_quoted=3))
    assert quote.error is None
    assert not quote.complete
    assert (1 << 20) <= quote.bytes_read < (1 << 20) + 10000
    assert quote.lines == ("ok  \tgithub.com/octo/x\t0.1s",) * 3


def test_the_emulator_answers_get_user_like_github_for_both_kinds_of_token() -> None:
    emulated = Emulated()
    user = token_login(emulated.github)
    assert (user.login, user.source) == (emulated.owner, "GET /user")
    actions_token = emulated.state.add_workflow_token()
    github = GitHubClient(base_url=API, token=Secret(actions_token),
                          http=HttpSettings(transport=emulated.transport, sleep=emulated.clock.sleep))
    login = token_login(github)
    assert login.login is None
    assert login.source.startswith("GET /user refused (403): not a user's token")
    assert actions_token not in login.source
