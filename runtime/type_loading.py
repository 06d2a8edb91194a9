"""Importing a Type's Python package and finding its `Loader`.

Every element root gets a package name (`elements` for the shipped root, a stable synthetic
name for an app), so a Type's relative imports (`from .handler import ...`) work unchanged.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import threading
import types
from pathlib import Path
from typing import Any

from .elements import Element, ElementRoot
from .errors import MissingLoaderError

_import_lock = threading.RLock()


def app_package_name(app_dir: Path) -> str:
    """A module name for an app root, stable for its path and unique per app."""
    digest = hashlib.sha1(str(app_dir.resolve()).encode()).hexdigest()[:10]
    return f"element_studio_app_{digest}"


def load_loader(element: Element) -> type:
    """The `Loader` class exported by a Type element's package."""
    loader = getattr(load_type_module(element), "Loader", None)
    if not isinstance(loader, type):
        raise MissingLoaderError(element.full_name, "__init__.py", "the package does not export a Loader class")
    return loader


def type_hook(element: Element, name: str) -> Any:
    """An optional hook a Type (or a family's Meta) package exports, or None."""
    return getattr(load_type_module(element), name, None)


def load_type_module(element: Element) -> types.ModuleType:
    """A Type element's imported package (its `Loader`, and optional hooks like `check_connection`)."""
    entry = element.descriptor.get("backendBundleEntry", ".")
    imported = sys.modules.get(f"{element.root.package}.{element.full_name}")
    if entry == "." and getattr(imported, "__file__", None):  # imported before: asked for each instance every second (the cluster's tick)
        return imported
    if element.is_meta and not (element.folder / "__init__.py").is_file():
        return types.ModuleType(element.full_name)
    if entry != ".":
        raise MissingLoaderError(element.full_name, "e.json field backendBundleEntry", f"only \".\" is supported, not {entry!r}")
    if not (element.folder / "__init__.py").is_file():
        raise MissingLoaderError(element.full_name, "__init__.py", "a Type folder must be a Python package exporting Loader")
    try:
        return _import_element_package(element.root, element.full_name)
    except Exception as exc:  # a Type's import error is the user's to fix; report it, don't crash
        raise MissingLoaderError(element.full_name, "__init__.py", f"cannot import the Type package: {type(exc).__name__}: {exc}") from exc


def _import_element_package(root: ElementRoot, full_name: str) -> types.ModuleType:
    with _import_lock:
        if root.origin == "shipped":
            importlib.import_module(root.package)
        else:
            _ensure_package(root.package, root.path)
        folder = root.path
        name = root.package
        for part in full_name.split("."):
            folder = folder / part
            name = f"{name}.{part}"
            _ensure_package(name, folder)
        return sys.modules[name]


def _ensure_package(name: str, folder: Path) -> None:
    if name in sys.modules:
        return
    init = folder / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(folder)])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    else:
        module = types.ModuleType(name)
        module.__path__ = [str(folder)]
        sys.modules[name] = module
