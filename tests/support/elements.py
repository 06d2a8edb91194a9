"""Writing element folders into a temp app directory, the way a person would."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLE_APP = Path(__file__).resolve().parents[2] / "sample_app"  # the repository's copy: tests copy it, never write into it


def write_element(
    app_dir: Path,
    full_name: str,
    descriptor: dict[str, Any] | str,
    config: dict[str, Any] | str | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    """Create `<app>/<a>/<b>/` with e.json (and config.json, other files); strings are written raw."""
    folder = app_dir.joinpath(*full_name.split("."))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").touch()
    (folder / "e.json").write_text(descriptor if isinstance(descriptor, str) else json.dumps(descriptor, indent=2))
    if config is not None:
        (folder / "config.json").write_text(config if isinstance(config, str) else json.dumps(config, indent=2))
    for name, text in (files or {}).items():
        (folder / name).write_text(text)
    return folder


def instance(type_name: str, title: str = "Test instance", at_start: bool = True) -> dict[str, Any]:
    """An instance e.json."""
    descriptor = {"title": title, "type": type_name, "backendBundleEntry": "."}
    if at_start:
        descriptor["backendLoadTime"] = "afterAppInit"
    return descriptor


def copy_fixture(name: str, app_dir: Path) -> None:
    """Copy a fixture element tree (tests/fixtures/<name>/...) into the app directory."""
    shutil.copytree(FIXTURES / name, app_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))


def copy_sample_app(app_dir: Path) -> None:
    """The shipped sample app, copied into a temp app directory (tests never open the repository's copy)."""
    shutil.copytree(SAMPLE_APP, app_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".element-studio", "__pycache__"))
