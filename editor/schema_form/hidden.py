"""Values the form carries without showing them (a branch switched away from, keys the shown
branch does not name, a new list item's template) travel in hidden inputs, so through the
browser: they go out without their secrets and get them back from the saved file on save."""
from __future__ import annotations

import copy
from typing import Any

from element_studio.runtime.schema import Schema, secret_paths, url_password, url_password_paths, with_url_password

from .paths import MISSING, get_at

URL_PASSWORD_KEPT = "***"  # stands for the saved password of a URL in the form and the JSON view


def without_secrets(root: Schema, node: dict[str, Any], value: Any, *, keep_places: bool = False) -> Any:
    """A copy of `value` (described by `node`) that may go to the browser: each secret left out
    and each URL's password shown as URL_PASSWORD_KEPT. A list keeps each secret's place with
    null; with `keep_places` an object does too, so the save knows to take it from the file."""
    secrets = secret_paths(root, value, node)
    if () in secrets:
        return None
    result = copy.deepcopy(value)
    for path in url_password_paths(root, value, node):
        if not any(path[: len(secret)] == secret for secret in secrets):
            result = _replaced(result, path, with_url_password(get_at(result, path), URL_PASSWORD_KEPT))
    for path in sorted(secrets, key=len, reverse=True):
        parent = get_at(result, path[:-1])
        if isinstance(parent, dict) and not keep_places:
            parent.pop(path[-1], None)
        elif isinstance(parent, (dict, list)):
            parent[path[-1]] = None
    return result


def with_saved_secrets(root: Schema, node: dict[str, Any], posted: Any, saved: Any) -> Any:
    """`posted` (a copy made by without_secrets that came back) with the secrets and URL
    passwords of `saved`, the value the file holds at the same place, where the copy left them."""
    if saved is MISSING:
        return posted
    secrets = secret_paths(root, saved, node)
    if () in secrets:
        return copy.deepcopy(saved) if posted is None else posted
    result = copy.deepcopy(posted)
    for path in url_password_paths(root, saved, node):
        url = get_at(result, path)
        if isinstance(url, str) and url_password(url) == URL_PASSWORD_KEPT:
            result = _replaced(result, path, with_url_password(url, str(url_password(get_at(saved, path)))))
    for path in secrets:
        parent = get_at(result, path[:-1])
        if isinstance(parent, dict) and parent.get(path[-1]) is None:
            parent[path[-1]] = copy.deepcopy(get_at(saved, path))
        elif isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent) and parent[path[-1]] is None:
            parent[path[-1]] = copy.deepcopy(get_at(saved, path))
    return result


def _replaced(value: Any, path: tuple[str | int, ...], item: Any) -> Any:
    """`value` with `item` at `path`, a place it has (the whole value for the empty path)."""
    if not path:
        return item
    get_at(value, path[:-1])[path[-1]] = item
    return value
