"""The robot tests' simulator knows two apps: the demo app and a second one (`world` is the root's)."""
from __future__ import annotations

import pytest

APPS = {"dingdemo": "demo-secret", "dingtwo": "two-secret-value"}


@pytest.fixture
def sim_apps() -> dict[str, str]:
    return APPS
