"""Shared fixtures: a temp app directory with its own environment."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
for proxy_var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(proxy_var, None)


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """An empty app directory: the shipped families are available, nothing else."""
    folder = tmp_path / "app"
    folder.mkdir()
    return folder
