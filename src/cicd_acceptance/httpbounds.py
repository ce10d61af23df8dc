"""Reading an HTTP body from a hostile server: a size cap counted after decompression, and a deadline.

httpx bounds each network read with a timeout, but a server that drips one byte every few seconds never trips it,
and httpx inflates a gzip body without a limit, so a 1 MB answer can become 1 GB in memory. Both clients (GitHub
and the registry) read bodies through :func:`bounded_chunks`: it decodes ``gzip``/``deflate`` itself with a cap on
each step's output, counts the decoded bytes, and checks the deadline as every chunk arrives.
:func:`bounded_response_hook` applies the same to every response an ``httpx.Client`` receives (auth-flow and
redirect hops included) by replacing the response's stream before httpx reads it. :class:`HttpSettings` is what
both clients take beside their server's address and credentials.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import httpx

__all__ = ["ACCEPT_ENCODING", "DEFAULT_HTTP", "DEFAULT_USER_AGENT", "STEP_BYTES", "BodyRefused", "HttpSettings",
           "body_chunks", "bounded_chunks", "bounded_response_hook"]

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


def _too_slow() -> BodyRefused:
    return BodyRefused("no complete answer within the request's deadline (the server sends too slowly)",
                       transient=True)


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
