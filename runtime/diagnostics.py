"""A per-instance diagnostics bundle someone can attach to a bug report without leaking secrets.

Like Home Assistant's diagnostics: secret config values are masked by walking the config against
its schema, and the whole document then passes through the one redactor, so runtime secrets
(tokens, tickets) go too.
"""
from __future__ import annotations

import json
import platform
import re
import time
from importlib import metadata
from typing import Any

from .app import App
from .errors import ElementError
from .redaction import MASK, redactor
from .schema import mask_secrets
from .supervisor import Supervisor

DISTRIBUTION = "element-studio"


def _requirements() -> list[str]:
    """Element Studio and the packages it requires (what every Type's behaviour rests on)."""
    try:
        required = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return [DISTRIBUTION]
    names = [re.split(r"[\s;\[<>=!~]", line, maxsplit=1)[0] for line in required if "extra ==" not in line]
    return [DISTRIBUTION, *names]


def versions() -> dict[str, str]:
    """Python, the platform and the installed packages Element Studio requires."""
    found = {"python": platform.python_version(), "platform": platform.platform()}
    for name in _requirements():
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def masked_config(app: App, full_name: str) -> dict[str, Any]:
    """config.json as written, with every secret that holds a value replaced, wherever the
    schema puts it (inside variants, `if` branches, array items, additionalProperties)."""
    config = app.raw_config(full_name)
    return mask_secrets(app.schema_for_instance(full_name), config, lambda path, secret: secret if secret in (None, "") else MASK)


def diagnostics(app: App, supervisor: Supervisor | None, full_name: str) -> str:
    """The bundle as pretty JSON text, redacted."""
    bundle: dict[str, Any] = {"instance": full_name, "generatedAt": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "versions": versions()}
    element = app.element(full_name)
    bundle["eJson"] = element.descriptor
    try:
        bundle["config"] = masked_config(app, full_name)
    except ElementError as exc:
        bundle["config"] = {"error": str(exc)}
    bundle["problems"] = [str(p) for p in app.problems if p.full_name in (full_name, element.type)]
    try:
        app.check_instance(full_name)
    except ElementError as exc:
        bundle["problems"].append(str(exc))
    if supervisor is not None:
        try:
            bundle["status"] = supervisor.status(full_name).as_dict()
        except KeyError:
            bundle["status"] = None
        bundle["logs"] = [
            {"time": entry.time, "level": entry.level, "message": entry.message} for entry in supervisor.logs(full_name, limit=200)
        ]
    return redactor.redact(json.dumps(bundle, indent=2, ensure_ascii=False, default=str))
