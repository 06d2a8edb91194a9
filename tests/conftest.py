"""Shared fixtures: a temp app directory with its own environment."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
# The per-user data folder (the sample app's copy) of this test process, never the developer's.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="element-studio-data-")
for proxy_var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(proxy_var, None)


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """An empty app directory: the shipped families are available, nothing else."""
    folder = tmp_path / "app"
    folder.mkdir()
    return folder


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that opens a browser carries the `browser` marker (`-m "not browser"` skips them all)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
