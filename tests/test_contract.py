"""The Type contract is one module, documented exactly, and the only way in: docs/adding-a-type.md
names every piece of `element_studio.contract`, shipped families import nothing else of Element
Studio, and the generic layers point down and name no family or Type."""
from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path

from element_studio import contract
from element_studio.runtime import service
from element_studio.runtime.elements import SCHEMAS_DIR

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "adding-a-type.md").read_text()


def imported_modules(folder: Path) -> dict[Path, set[str]]:
    """Every absolute module each .py file under `folder` imports."""
    found = {}
    for path in folder.rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[path] = names
    return found


def test_every_e_json_key_is_documented():
    schema = json.loads((SCHEMAS_DIR / "element.schema.json").read_text())
    for key in schema["properties"]:
        assert f"`{key}`" in GUIDE, key


def test_every_public_name_and_hook_of_the_contract_is_documented():
    for name in contract.__all__:
        assert f"`{name}`" in GUIDE, f"element_studio.contract.{name} is not documented in docs/adding-a-type.md"
    for hook in contract.HOOKS:
        assert f"| `{hook}` |" in GUIDE, f"hook {hook} is missing from the guide's table"


def test_the_service_protocol_and_context_are_documented():
    for name in ("start", "stop"):
        assert f"async def {name}" in GUIDE
    public = [name for name, _ in inspect.getmembers(service.ServiceContext) if not name.startswith("_")]
    public += list(inspect.signature(service.ServiceContext.__init__).parameters)[1:-2] + ["offline_endpoint"]
    for name in public:
        assert f"context.{name}" in GUIDE, name
    for state in service.InstanceState:
        assert f"`{state}`" in GUIDE, state
    for kind in service.FieldKind:
        assert f"`{kind.name}`" in GUIDE, kind


def test_shipped_families_import_only_the_contract_of_element_studio():
    for path, modules in imported_modules(ROOT / "elements").items():
        ours = {m for m in modules if m == "element_studio" or m.startswith("element_studio.")}
        assert ours <= {"element_studio.contract"}, f"{path.relative_to(ROOT)} imports {sorted(ours - {'element_studio.contract'})}"


def test_layers_point_down_and_the_generic_layers_name_no_family_or_type():
    for path, modules in imported_modules(ROOT / "runtime").items():
        upward = {m for m in modules if m.startswith(("element_studio.editor", "element_studio.elements", "element_studio.contract",
                                                       "element_studio.cli", "element_studio.offline", "element_studio.serve"))}
        assert not upward, f"{path.relative_to(ROOT)} imports {sorted(upward)}: the runtime sits below them"
    for path, modules in imported_modules(ROOT / "editor").items():
        assert not {m for m in modules if m.startswith("element_studio.elements")}, path
    named = re.compile(r"dingtalk|imrobots|feishu|clientid", re.IGNORECASE)
    for layer in ("editor", "runtime"):
        for path in (ROOT / layer).rglob("*"):
            if path.suffix in (".py", ".html", ".js", ".css"):
                assert not named.search(path.read_text()), f"{path.relative_to(ROOT)} names a family or Type"
