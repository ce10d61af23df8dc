"""A loopback HTTP server that sends its answer's status line and headers one byte at a time.

Each byte arrives well within any read timeout, so only a deadline on the whole request stops a client; the
server gives up after ``DRIP_S`` and then completes the answer, so a client without that deadline gets a normal
answer (the test fails) instead of hanging the run.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

DRIP_S = 3.0
INTERVAL_S = 0.05


def _serve(server: socket.socket, answer: bytes, stop: threading.Event) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    while not stop.is_set():
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            try:
                conn.recv(65536)
                for index in range(len(head)):
                    if index * INTERVAL_S >= DRIP_S or stop.wait(INTERVAL_S):
                        break
                    conn.sendall(head[index:index + 1])
                conn.sendall(head[index:] + b"\r\n\r\n" + body)
            except OSError:
                continue


@contextmanager
def headers_dripping(answer: bytes) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a server that answers every request with ``answer``, headers dripped."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(server, answer, stop), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        server.close()
        thread.join(5)
