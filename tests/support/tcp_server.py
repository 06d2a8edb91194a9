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
    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections: list[Connection] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="tcp-server", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            record = Connection()
            with self._lock:
                self.connections.append(record)
            threading.Thread(target=self._serve, args=(client, record), name="tcp-server", daemon=True).start()

    def _serve(self, client: socket.socket, record: Connection) -> None:
        buffer = b""
        with client:
            while True:
                data = client.recv(4096)
                if not data:
                    break
                buffer += data
                record.first_line = buffer.split(b"\n", 1)[0].decode()
        record.closed_at = time.monotonic()

    def open_connections(self) -> list[Connection]:
        with self._lock:
            return [c for c in self.connections if c.closed_at is None]

    def wait_until(self, predicate, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

    def close(self) -> None:
        self.sock.close()
