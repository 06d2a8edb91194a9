"""Element files that change on disk while the runtime runs (the editor, a person, a deploy's
`git pull` on a folder every replica shares) are picked up without a restart of the process:
every replica watches the same folder and restarts its own affected instances.

watchfiles (Rust notify) debounces a burst of writes into one set of changes; the runtime's
state folder and dot-folders (git's) are not element files.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import watchfiles

from .storage import STATE_DIR_NAME
from .supervisor import Supervisor

DEBOUNCE_MS = 400

log = logging.getLogger("element_studio.files")


class ElementFiles(watchfiles.DefaultFilter):
    """Element files and .env inside the app folder; not its state folder, dot-folders (git's),
    editor swap files or bytecode (the app folder itself may sit under a dot-folder)."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        try:
            parts = Path(path).relative_to(self.folder).parts
        except ValueError:
            return False
        hidden = any(part.startswith(".") and part != ".env" for part in parts)
        return super().__call__(change, path) and STATE_DIR_NAME not in parts and not hidden


class FileWatcher:
    """A thread that restarts running instances whose files changed (Supervisor.reload_changed)."""

    def __init__(self, supervisor: Supervisor, debounce_ms: int = DEBOUNCE_MS) -> None:
        self.supervisor = supervisor
        self.debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="element-studio-files", daemon=True)

    def start(self) -> FileWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        folder = self.supervisor.app.app_dir
        for changes in watchfiles.watch(folder, watch_filter=ElementFiles(folder), debounce=self.debounce_ms, stop_event=self._stop,
                                        rust_timeout=500, yield_on_timeout=False, raise_interrupt=False):
            try:
                restarted = self.supervisor.reload_changed()
            except Exception as exc:  # a watcher that dies would silently stop following the files
                log.error("could not apply changed files: %s: %s", type(exc).__name__, exc)
                continue
            if restarted:
                log.info("files changed (%d): restarted %s", len(changes), ", ".join(restarted))
