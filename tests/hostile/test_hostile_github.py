"""A hostile GitHub API: endless or looping pages, a dripping body, a gzip bomb, a rate limit that never resets."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from collections.abc import Callable, Iterator

import httpx
import pytest

from cicd_acceptance.errors import GitHubAPIError, RateLimited
from cicd_acceptance.github import GitHubClient
from cicd_acceptance.github.session import ApiSession
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.polling import ManualClock
from cicd_acceptance.secret import Secret
from tests.hostile.bombs import gzip_bomb

API = "https://api.github.com"
REPO = "octo/stream-monitor"
Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, sleeps: list[float] | None = None) -> tuple[GitHubClient, list[str]]:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if len(seen) > 5000:
            raise AssertionError("the client does not stop")
        return handler(request)

    record_sleep = sleeps.append if sleeps is not None else (lambda s: None)
    client = GitHubClient(base_url=API, token=Secret("ghp_x"),
                          http=HttpSettings(transport=httpx.MockTransport(record), sleep=record_sleep))
    return client, seen


def _session(handler: Handler, clock: ManualClock, **bounds: float) -> ApiSession:
    http = HttpSettings(transport=httpx.MockTransport(handler), sleep=clock.sleep, clock=clock, user_agent="t",
                        **bounds)  # type: ignore[arg-type]
    return ApiSession(base_url=API, token=None, http=http)


def _page(link: str | None) -> httpx.Response:
    headers = {"link": f'<{link}>; rel="next"'} if link else {}
    return httpx.Response(200, json={"total_count": 1, "workflows": []}, headers=headers)


# --- item 7: paging -----------------------------------------------------------------------------------------------

def test_a_next_link_to_the_same_page_is_a_loop() -> None:
    client, seen = _client(lambda r: _page(f"{API}/repos/{REPO}/actions/workflows?per_page=100"))
    with pytest.raises(GitHubAPIError, match="paging loop"):
        client.list_workflows(REPO)
    assert len(seen) <= 2


def test_endless_pages_stop_at_the_cap() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        return _page(f"{API}/repos/{REPO}/actions/workflows?per_page=100&page={page + 1}")

    client, seen = _client(handler)
    with pytest.raises(GitHubAPIError, match="more than 100 pages"):
        client.list_workflows(REPO)
    assert len(seen) == 100


def test_a_next_link_to_another_origin_is_never_followed() -> None:
    client, seen = _client(lambda r: _page("https://evil.example/page2"))
    with pytest.raises(GitHubAPIError, match="another origin"):
        client.list_workflows(REPO)
    assert seen == [f"{API}/repos/{REPO}/actions/workflows?per_page=100"]


# --- item 8: one deadline per attempt -----------------------------------------------------------------------------

class _Drip(httpx.SyncByteStream):
    """One byte per chunk, the clock moving 2 s per byte (no real sleeping), for as long as it is read."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            self.clock.advance(2.0)
            self.sent += 1
            yield b" "


def test_a_dripping_body_times_out() -> None:
    clock = ManualClock()
    drips: list[_Drip] = []

    def handler(request: httpx.Request) -> httpx.Response:
        drips.append(_Drip(clock))
        return httpx.Response(200, stream=drips[-1])

    session = _session(handler, clock, deadline_s=60.0, max_attempts=2)
    with pytest.raises(GitHubAPIError, match="deadline"):
        session.request("GET", "rate_limit")
    assert len(drips) == 2
    assert all(d.sent <= 33 for d in drips), [d.sent for d in drips]


# --- item 9: size cap, decoded ------------------------------------------------------------------------------------

class _Chunks(httpx.SyncByteStream):
    def __init__(self, data: bytes, size: int = 64 * 1024) -> None:
        self.data, self.size = data, size

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), self.size):
            yield self.data[start:start + self.size]


def test_a_gzip_bomb_is_refused_early_in_bounded_memory() -> None:
    bomb = gzip_bomb(128)  # 128 KB inflating to 128 MiB, 8 times the cap (benchmarks/hostile_inputs.py: 1 GiB)
    assert len(bomb) < 2 * 1024 * 1024
    clock = ManualClock()
    session = _session(lambda r: httpx.Response(200, headers={"content-encoding": "gzip"}, stream=_Chunks(bomb)),
                       clock)
    tracemalloc.start()
    try:
        with pytest.raises(GitHubAPIError, match="larger than 16777216 bytes"):
            session.request("GET", "rate_limit")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 80 * 1024 * 1024


def test_a_plain_oversized_body_is_refused() -> None:
    clock = ManualClock()
    big = b"[" + b"0," * (9 * 1024 * 1024) + b"0]"
    session = _session(lambda r: httpx.Response(200, stream=_Chunks(big)), clock)
    with pytest.raises(GitHubAPIError, match="larger than"):
        session.request("GET", "rate_limit")


def test_a_gzip_answer_within_bounds_is_decoded() -> None:
    clock = ManualClock()
    body = gzip.compress(json.dumps({"resources": {}}).encode())
    session = _session(lambda r: httpx.Response(200, headers={"content-encoding": "gzip"}, stream=_Chunks(body)),
                       clock)
    assert session.request("GET", "rate_limit").body == {"resources": {}}


# --- item 14: deeply nested JSON ----------------------------------------------------------------------------------

def test_deeply_nested_json_is_a_clear_error() -> None:
    nested = b"[" * 200_000 + b"]" * 200_000
    client, _ = _client(lambda r: httpx.Response(200, content=nested))
    with pytest.raises(GitHubAPIError, match="nested too deeply"):
        client.get_rate_limit()
    client, _ = _client(lambda r: httpx.Response(404, content=b'{"message":' + nested + b"}"))
    with pytest.raises(GitHubAPIError, match="404"):
        client.get_rate_limit()


# --- item 16: a reset time in the past ----------------------------------------------------------------------------

def test_a_rate_limit_reset_in_the_past_backs_off_exponentially() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1790000000",
               "date": "Mon, 21 Sep 2026 15:13:20 GMT"}  # the reset was an hour ago
    sleeps: list[float] = []
    client, seen = _client(lambda r: httpx.Response(403, json={"message": "API rate limit exceeded"},
                                                    headers=headers), sleeps=sleeps)
    with pytest.raises(RateLimited):
        client.get_rate_limit()
    assert len(seen) <= 15, sleeps
    assert sleeps[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(sleeps) <= 300.0
    assert sum(sleeps) <= 900.0


def test_a_real_loopback_server_dripping_bytes_times_out() -> None:
    """The same through a real socket: each byte arrives well within the read timeout, the whole never does."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
                try:
                    while not stop.is_set():
                        conn.sendall(b" ")
                        time.sleep(0.05)
                except OSError:
                    continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    session = ApiSession(base_url=f"http://127.0.0.1:{port}", token=None,
                         http=HttpSettings(sleep=lambda s: None, deadline_s=0.5, max_attempts=1, timeout_s=5.0))
    started = time.monotonic()
    try:
        with pytest.raises(GitHubAPIError, match="deadline"):
            session.request("GET", "rate_limit")
    finally:
        stop.set()
        server.close()
        session.close()
        thread.join(5)
    assert time.monotonic() - started < 5


def test_a_gzip_job_log_is_decoded_in_bounded_steps() -> None:
    """A log the caller cuts itself: one small gzip chunk never becomes one huge buffer."""
    bomb = gzip_bomb(64)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": "gzip"}, stream=_Chunks(bomb))

    client, _ = _client(handler)
    with client.job_log(REPO, 7, limit=1 << 30, timeout_s=60.0) as chunks:
        sizes = [len(chunk) for chunk, _ in zip(chunks, range(40), strict=False)]
    assert max(sizes) <= 1024 * 1024
    assert sum(sizes) >= 16 * 1024 * 1024


def test_a_redirect_with_a_gzip_bomb_body_is_refused() -> None:
    bomb = gzip_bomb(128)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"location": f"{API}/rate_limit?x=1", "content-encoding": "gzip"},
                              stream=_Chunks(bomb))

    clock = ManualClock()
    session = _session(handler, clock)
    tracemalloc.start()
    try:
        with pytest.raises(GitHubAPIError, match="redirect: the answer is larger than"):
            session.request("GET", "rate_limit")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024
    assert len(seen) == 1


@pytest.mark.parametrize("location", ["http://[::1", "https://a:b:c", "https://[zz]/"])
def test_a_garbage_location_is_a_clear_error(location: str) -> None:
    client, _ = _client(lambda r: httpx.Response(302, headers={"location": location}))
    with pytest.raises(GitHubAPIError), client.job_log(REPO, 7, limit=1 << 30, timeout_s=60.0) as chunks:
        list(chunks)
    with pytest.raises(GitHubAPIError):
        client.get_rate_limit()
