"""A loopback TCP relay that goes silent on purpose, for timeout tests (no mocks).

:class:`Relay` forwards bytes to a real server until :meth:`Relay.hang` is called, after which
it keeps the connections open and forwards nothing: a database that stops answering
mid-session, after the handshake succeeded. (A server that never answers at all is
``tests.support.HungServer``.)
"""

from __future__ import annotations

import socket
import threading

_POLL_SECONDS = 0.1


def _listener() -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(_POLL_SECONDS)
    return server


class Relay:
    """A TCP relay to ``target`` on a loopback port; :meth:`hang` makes it go silent."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._server = _listener()
        self._stop = threading.Event()
        self._silent = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.getsockname()
        return str(host), int(port)

    def hang(self) -> None:
        """From now on, forward nothing (connections stay open)."""
        self._silent.set()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        source.settimeout(_POLL_SECONDS)
        while not self._stop.is_set():
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            if self._silent.is_set():
                continue  # swallow: the caller waits for a reply that never comes
            try:
                sink.sendall(data)
            except OSError:
                return

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=5)
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                pump = threading.Thread(target=self._pump, args=(source, sink), daemon=True)
                pump.start()
                self._threads.append(pump)

    def __enter__(self) -> Relay:
        thread = threading.Thread(target=self._accept, name="relay", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for sock in self._sockets:
            sock.close()
        self._server.close()
