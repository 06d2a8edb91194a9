"""`app.envVars`: the process environment over the app's `.env` file."""
from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values


def load_env_vars(app_dir: Path) -> dict[str, str]:
    """The process environment wins over `<app>/.env`, so a deployment can override a file."""
    file_values = {key: value for key, value in dotenv_values(app_dir / ".env").items() if value is not None}
    return {**file_values, **os.environ}
