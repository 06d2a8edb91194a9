"""A real TCP server on 127.0.0.1 that records who connected, what they sent and when they left."""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Connection:
    first_line: str = ""
    closed_at: float | None = None
    opened_at: float = field(default_factory=time.monotonic)


class RecordingTcpServer:
    """Use as `with RecordingTcpServer() as server:`; closing it also closes the connections still open."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections: list[Connection] = []
        self._clients: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._start(self._accept)

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name="tcp-server", daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            record = Connection()
            with self._lock:
                self.connections.append(record)
                self._clients.append(client)
            self._start(self._serve, client, record)

    def _serve(self, client: socket.socket, record: Connection) -> None:
        buffer = b""
        with client:
            while True:
                try:
                    data = client.recv(4096)
                except OSError:
                    break
                if not data:
                    break
                buffer += data
                record.first_line = buffer.split(b"\n", 1)[0].decode()
        record.closed_at = time.monotonic()

    def open_connections(self) -> list[Connection]:
        with self._lock:
            return [c for c in self.connections if c.closed_at is None]

    def close(self) -> None:
        """Stop listening, hang up on every client, and wait for the server's threads to end."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the listening thread
        except OSError:
            pass
        self.sock.close()
        with self._lock:
            clients, threads = list(self._clients), list(self._threads)
        for client in clients:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in threads:
            thread.join(timeout=5)

    def __enter__(self) -> RecordingTcpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
