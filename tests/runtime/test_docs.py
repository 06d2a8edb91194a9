"""docs/adding-a-type.md stays true: every contract piece the code defines is documented."""
from __future__ import annotations

import inspect
import json
from pathlib import Path

from element_studio.runtime import service
from element_studio.runtime.elements import SCHEMAS_DIR

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "adding-a-type.md").read_text()


def test_every_e_json_key_is_documented():
    schema = json.loads((SCHEMAS_DIR / "element.schema.json").read_text())
    for key in schema["properties"]:
        assert f"`{key}`" in GUIDE, key


def test_the_service_protocol_and_context_are_documented():
    for name in ("start", "stop"):
        assert f"async def {name}" in GUIDE
    public = [name for name, _ in inspect.getmembers(service.ServiceContext) if not name.startswith("_")]
    public += ["logger", "app"]
    for name in public:
        assert f"context.{name}" in GUIDE, name
    for state in service.InstanceState:
        assert f"`{state}`" in GUIDE, state
