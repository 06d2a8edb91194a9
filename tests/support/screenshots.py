"""Where the browser tests save their pictures: the README's folder only when asked.

`bash scripts/screenshots.sh` sets ELEMENT_STUDIO_SCREENSHOTS=1 and runs the browser tests, so
docs/screenshots/ changes only when someone regenerates it; an ordinary test run writes to a
temp folder and leaves `git status` clean.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

README_PICTURES = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot_dir() -> Path:
    """docs/screenshots when regenerating the README's pictures, else a temp folder."""
    if os.environ.get("ELEMENT_STUDIO_SCREENSHOTS") == "1":
        folder = README_PICTURES
    else:
        folder = Path(tempfile.gettempdir()) / f"element-studio-screenshots-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
