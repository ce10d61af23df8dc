"""Reading an HTTP body from a hostile server: a size cap counted after decompression, and a deadline.

httpx bounds each network read with a timeout, but a server that drips one byte every few seconds never trips it,
and httpx inflates a gzip body without a limit, so a 1 MB answer can become 1 GB in memory. Both clients (GitHub
and the registry) read bodies through :func:`bounded_chunks`: it decodes ``gzip``/``deflate`` itself with a cap on
each step's output, counts the decoded bytes, and checks the deadline as every chunk arrives.
:func:`bounded_response_hook` applies the same to every response an ``httpx.Client`` receives (auth-flow and
redirect hops included) by replacing the response's stream before httpx reads it. :class:`HttpSettings` is what
both clients take beside their server's address and credentials.

Those checks run as body chunks arrive; a server that sends its *headers* a byte at a time never produces a chunk,
and httpx has no total timeout. :class:`RequestDeadline` closes that gap below httpx, on the sockets: every
connect, read and write of a request waits at most until the request's one deadline.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ssl import SSLContext

import httpcore
import httpx

from cicd_acceptance.errors import HarnessError

__all__ = ["ACCEPT_ENCODING", "DEFAULT_HTTP", "DEFAULT_USER_AGENT", "STEP_BYTES", "TOO_SLOW", "BodyRefused",
           "HttpSettings", "RequestDeadline", "body_chunks", "bounded_chunks", "bounded_response_hook"]

ACCEPT_ENCODING = "gzip, deflate"
"""The encodings :func:`bounded_chunks` decodes; clients send it so that servers use nothing else."""


DEFAULT_USER_AGENT = "cicd-acceptance/0.1 (+https://github.com/cicd-acceptance)"


@dataclass(frozen=True)
class HttpSettings:
    """Where a client's requests go, the time they are measured on, and what a hostile server may cost.

    ``transport``: an httpx transport (``MockTransport`` / ``WSGITransport`` in tests); None: the network.
    ``sleep`` / ``clock``: waits between attempts, and the time deadlines are measured on.
    ``timeout_s``: one network operation (connect, one read); ``deadline_s``: one attempt, headers to last byte.
    ``max_attempts`` / ``max_response_bytes``: attempts of one retryable request and the decoded body cap; None
    takes the client's own default (a page of GitHub runs and an OCI manifest have different sizes).
    ``user_agent``: sent with every request.
    """

    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    timeout_s: float = 30.0
    deadline_s: float = 120.0
    max_attempts: int | None = None
    max_response_bytes: int | None = None
    user_agent: str = DEFAULT_USER_AGENT

    def attempts(self, default: int) -> int:
        """``max_attempts``, or the client's ``default`` when unset."""
        return default if self.max_attempts is None else self.max_attempts

    def body_limit(self, default: int) -> int:
        """``max_response_bytes``, or the client's ``default`` when unset."""
        return default if self.max_response_bytes is None else self.max_response_bytes


DEFAULT_HTTP = HttpSettings()


class BodyRefused(Exception):
    """The body broke a bound. ``transient``: the deadline (like a timeout, worth another try); else final."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


def _decompressor(encoding: str) -> zlib._Decompress | None:
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return None
    if name in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return zlib.decompressobj()
    raise BodyRefused(f"the answer has Content-Encoding {name[:40]!r}, which was not asked for", transient=False)


TOO_SLOW = "no complete answer within the request's deadline (the server sends too slowly)"


def _too_slow() -> BodyRefused:
    return BodyRefused(TOO_SLOW, transient=True)


def bounded_chunks(raw: Iterable[bytes], *, encoding: str, limit: int, deadline: float,
                   clock: Callable[[], float]) -> Iterator[bytes]:
    """Decoded chunks of ``raw``; :class:`BodyRefused` past ``limit`` decoded bytes or after ``deadline``.

    Each decompression step yields at most :data:`STEP_BYTES`, so even an unbounded ``limit`` (a log the caller
    cuts itself) never inflates one small chunk into a huge buffer.
    """
    decoder = _decompressor(encoding)
    size = 0
    for chunk in raw:
        if clock() > deadline:
            raise _too_slow()
        for out in _decoded(decoder, chunk, limit + 1 - size):
            size += len(out)
            if size > limit:
                raise BodyRefused(f"the answer is larger than {limit} bytes (decoded); refused", transient=False)
            yield out
    if decoder is not None:
        rest = decoder.flush()
        if size + len(rest) > limit:
            raise BodyRefused(f"the answer is larger than {limit} bytes (decoded); refused", transient=False)
        if rest:
            yield rest
    if clock() > deadline:
        raise _too_slow()


STEP_BYTES = 1024 * 1024


def _decoded(decoder: zlib._Decompress | None, chunk: bytes, budget: int) -> Iterator[bytes]:
    """``chunk`` decoded in steps of at most STEP_BYTES; stops once ``budget`` bytes (one past the limit) came out."""
    if decoder is None:
        if chunk:
            yield chunk
        return
    pending = chunk
    while budget > 0:
        step = min(budget, STEP_BYTES)
        try:
            out = decoder.decompress(pending, step)
        except zlib.error:
            raise BodyRefused("the body is not valid compressed data", transient=False) from None
        if out:
            yield out
        budget -= len(out)
        pending = decoder.unconsumed_tail
        if not pending and len(out) < step:
            return


def body_chunks(response: httpx.Response) -> tuple[Iterable[bytes], str]:
    """The raw chunks of ``response`` and their encoding, or its content when it arrived read already (an
    in-memory transport's answer, decoded by httpx: encoding "")."""
    try:
        return [response.content], ""
    except httpx.ResponseNotRead:
        # iter_raw() without a chunk size yields what arrives: a chunk size would wait for 16 KiB between checks.
        return response.iter_raw(), response.headers.get("content-encoding", "")


class _BoundedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, chunks: Iterator[bytes]) -> None:
        self._inner = inner
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks

    def close(self) -> None:
        self._inner.close()


def bounded_response_hook(*, limit: int, deadline_s: float, on_refused: Callable[[httpx.Response, BodyRefused],
                                                                                Exception],
                          clock: Callable[[], float] = time.monotonic) -> Callable[[httpx.Response], None]:
    """An httpx ``response`` event hook bounding every body; ``on_refused`` makes the error to raise."""

    def hook(response: httpx.Response) -> None:
        stream = response.stream
        if not isinstance(stream, httpx.SyncByteStream):
            return
        encoding = response.headers.get("content-encoding", "")
        deadline = clock() + deadline_s
        if encoding:
            # We decode, so httpx must not decode again; the length no longer describes the body.
            del response.headers["content-encoding"]
            response.headers.pop("content-length", None)

        def chunks() -> Iterator[bytes]:
            try:
                yield from bounded_chunks(stream, encoding=encoding, limit=limit, deadline=deadline, clock=clock)
            except BodyRefused as exc:
                raise on_refused(response, exc) from None

        response.stream = _BoundedStream(stream, chunks())

    return hook


class RequestDeadline:
    """One overall deadline per request, from connect through the headers to the body's last byte.

    httpx bounds each network read with a timeout but has no total one: a server sending its status line and
    headers a byte per second never trips a 30 s read timeout, so the request never ends. :meth:`install` wraps
    the network backend under every connection pool of an ``httpx.Client``; each connect, read and write then
    waits at most until the deadline that :meth:`until` set for the requests (and body reads) inside it, and one
    past it fails as a timeout (``httpx.TimeoutException``, which callers already treat as transient). Outside
    :meth:`until` only httpx's own timeouts apply. State is per thread, as a sync ``httpx.Client`` reads in the
    caller's thread.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._local = threading.local()

    @contextmanager
    def until(self, deadline: float) -> Iterator[None]:
        """Bound the requests sent and read inside by ``deadline`` (on this object's clock); nested: the sooner."""
        earlier: float | None = getattr(self._local, "at", None)
        self._local.at = deadline if earlier is None else min(earlier, deadline)
        try:
            yield
        finally:
            self._local.at = earlier

    def install(self, client: httpx.Client) -> None:
        """Wrap the network backend of each pool ``client`` will use: its transport and the proxy transports
        httpx built from the environment. In-memory transports (``MockTransport``, ``WSGITransport``) have no
        network and are left alone.

        httpx offers no parameter for this (nor a total timeout), so it reaches one level into httpx and httpcore;
        if a new version moves those attributes, the client refuses to start rather than run unbounded.
        """
        transports = [client._transport, *client._mounts.values()]
        for transport in transports:
            if not isinstance(transport, httpx.HTTPTransport):
                continue
            try:
                pool = transport._pool
                backend = pool._network_backend
            except AttributeError:
                raise HarnessError(f"httpx {httpx.__version__} / httpcore {httpcore.__version__}: cannot bound "
                                   f"the total time of a request (their internals changed)") from None
            if not (isinstance(backend, _DeadlineBackend) and backend.deadline is self):
                pool._network_backend = _DeadlineBackend(backend, self)

    def capped(self, timeout: float | None, error: type[httpcore.TimeoutException]) -> float | None:
        """``timeout`` cut to what is left before the deadline; ``error`` once the deadline has passed."""
        self.check(error)
        at: float | None = getattr(self._local, "at", None)
        if at is None:
            return timeout
        left = at - self._clock()
        return left if timeout is None else min(timeout, left)

    def check(self, error: type[httpcore.TimeoutException]) -> None:
        """Raise ``error`` (the deadline message) if this thread's deadline has passed."""
        at: float | None = getattr(self._local, "at", None)
        if at is not None and self._clock() >= at:
            raise error(TOO_SLOW)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every wait is cut at the request's deadline; a timeout past it says so."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: RequestDeadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._inner.read(max_bytes, self._deadline.capped(timeout, httpcore.ReadTimeout))
        except httpcore.ReadTimeout:
            self._deadline.check(httpcore.ReadTimeout)
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._inner.write(buffer, self._deadline.capped(timeout, httpcore.WriteTimeout))
        except httpcore.WriteTimeout:
            self._deadline.check(httpcore.WriteTimeout)
            raise

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        try:
            inner = self._inner.start_tls(ssl_context, server_hostname,
                                          self._deadline.capped(timeout, httpcore.ConnectTimeout))
        except httpcore.ConnectTimeout:
            self._deadline.check(httpcore.ConnectTimeout)
            raise
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Opens connections within the deadline and hands them out wrapped in :class:`_DeadlineStream`."""

    def __init__(self, inner: httpcore.NetworkBackend, deadline: RequestDeadline) -> None:
        self._inner = inner
        self.deadline = deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        try:
            stream = self._inner.connect_tcp(host, port, self.deadline.capped(timeout, httpcore.ConnectTimeout),
                                             local_address, socket_options)
        except httpcore.ConnectTimeout:
            self.deadline.check(httpcore.ConnectTimeout)
            raise
        return _DeadlineStream(stream, self.deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                            ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, self.deadline.capped(timeout, httpcore.ConnectTimeout),
                                                 socket_options)
        return _DeadlineStream(stream, self.deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
