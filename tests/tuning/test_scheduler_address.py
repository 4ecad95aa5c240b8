"""`--scheduler`: a malformed address, a closed port, or a port where something other than a
Dask scheduler listens is refused in bounded time with one line (exit 2), never a hang or a
3 EiB allocation from reading an HTTP reply as a Dask frame length."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import engine as rl
from engine.cli.main import main
from engine.tuning.executors import connect, parse_scheduler
from strategies import discover


@contextmanager
def _listener(greeting: bytes | None) -> Iterator[int]:
    """A TCP server on a free port of 127.0.0.1 that accepts and sends `greeting` (None: says
    nothing, as an HTTP server waiting for a request)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)
            if greeting is not None:
                conn.sendall(greeting)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tcp://10.0.0.5:8786", ("tcp", "10.0.0.5", 8786)),
        ("tls://sched.example.org:8786", ("tls", "sched.example.org", 8786)),
        ("127.0.0.1:9000", ("tcp", "127.0.0.1", 9000)),
        ("sched-host", ("tcp", "sched-host", 8786)),
        ("tcp://[::1]:8786", ("tcp", "::1", 8786)),
    ],
)
def test_scheduler_addresses_are_read(text, expected):
    assert parse_scheduler(text) == expected


@pytest.mark.parametrize(
    "text", ["not a url", "http://host:8786", "tcp://host:99999", "tcp://:8786", "", "tcp://h:x"]
)
def test_a_malformed_address_is_bad_input(text):
    with pytest.raises(rl.BadInputError, match="is not a Dask scheduler address; give tcp://"):
        parse_scheduler(text)


def test_not_a_url_is_refused_by_the_cli_before_any_work(capsys):
    argv = ["sweep", "rsi_trim", "--executor", "dask", "--scheduler", "not a url"]
    assert main(discover(), argv) == 2
    err = capsys.readouterr().err
    assert "'not a url' is not a Dask scheduler address" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_silent_listener_times_out_with_one_line():
    with _listener(None) as port:
        started = time.monotonic()
        with pytest.raises(rl.BadInputError, match="sent no Dask handshake within 1 s"):
            connect(f"tcp://127.0.0.1:{port}", timeout=1.0)
        assert time.monotonic() - started < 30  # bounded, not hung


def test_an_http_reply_is_not_read_as_a_dask_frame():
    reply = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    with (
        _listener(reply) as port,
        pytest.raises(rl.BadInputError, match="not with the Dask protocol"),
    ):
        connect(f"tcp://127.0.0.1:{port}", timeout=5.0)


def test_a_closed_port_is_refused():
    with pytest.raises(rl.BadInputError, match="cannot reach the Dask scheduler at"):
        connect(f"127.0.0.1:{_free_port()}", timeout=2.0)
