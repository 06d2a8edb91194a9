"""`element-studio run` as a real subprocess, its output read line by line, for the tests that
need the whole program: the offline default, a `kill -9` and a restart."""
from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

from tests.support.waiting import wait_until


class RunProcess:
    """One `python -m element_studio run ARGS` (or another `command`: serve, sim) with its stdout and stderr collected."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, command: str = "run") -> None:
        environment = dict(os.environ if env is None else env)
        environment.update(NO_PROXY="127.0.0.1,localhost", PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen([sys.executable, "-m", "element_studio", command, *args], cwd=cwd, env=environment,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, name="run-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)

    def output(self) -> str:
        while not self._lines.empty():
            self.seen.append(self._lines.get())
        return "".join(self.seen)

    def wait_for_line(self, pattern: str, timeout: float = 20) -> re.Match:
        """The first output line matching `pattern` (fails the test if the process ends first)."""
        def match() -> re.Match | None:
            self.output()
            assert self.process.poll() is None or self._lines.empty(), self.output()
            return next((found for line in self.seen if (found := re.search(pattern, line))), None)

        return wait_until(match, timeout, message=self.output)

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or closed (a crash)."""
        self.process.kill()
        self.process.wait(timeout=10)
        self._reader.join(timeout=5)

    def terminate(self, timeout: float = 15) -> None:
        """SIGTERM: a clean exit."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)

    def __enter__(self) -> RunProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        self.output()
