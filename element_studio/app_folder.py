"""Which app folder a command works on when the user names none, and a clear error when the
named one is missing.

Nothing is ever written inside the installed package: the default app is the current folder
when it holds elements, else a writable copy of the packaged sample app in the per-user data
folder (`~/.local/share/element-studio/sample-app` on Linux, or under `$XDG_DATA_HOME`).
"""
from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path

import platformdirs

SAMPLE_COPY_NAME = "sample-app"
COPY_IGNORED = shutil.ignore_patterns(".element-studio", "__pycache__", "*.pyc")


class AppFolderMissing(Exception):
    """`--app` names a folder that does not exist."""


def sample_app_copy() -> Path:
    """The user's writable copy of the sample app, made on first use."""
    target = platformdirs.user_data_path("element-studio") / SAMPLE_COPY_NAME
    if not holds_elements(target):
        with as_file(files("element_studio.sample_app")) as source:
            shutil.copytree(source, target, ignore=COPY_IGNORED, dirs_exist_ok=True)
    return target


def holds_elements(folder: Path) -> bool:
    """Whether a folder is an app: some `<family>/<element>/e.json` below it."""
    return any(folder.glob("*/*/e.json"))


def choose_app_folder(named: Path | None) -> Path:
    """The folder named with `--app`, else the current folder if it is an app, else the sample copy."""
    if named is not None:
        if not named.is_dir():
            raise AppFolderMissing(f"app folder {named} does not exist (give --app an existing folder, or leave it out to use the sample app)")
        return named.resolve()
    here = Path.cwd()
    return here if holds_elements(here) else sample_app_copy()


def is_sample_copy(folder: Path) -> bool:
    """Whether `folder` is the sample app's copy (the offline default runs its simulators)."""
    return folder.resolve() == (platformdirs.user_data_path("element-studio") / SAMPLE_COPY_NAME).resolve()
