"""schemas/ stays true: every x- keyword the editor reads is documented and described by a schema."""
from __future__ import annotations

import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
HINTS = json.loads((ROOT / "schemas" / "form-hints.schema.json").read_text())
README = (ROOT / "schemas" / "README.md").read_text()


def keywords_in_code() -> set[str]:
    source = "\n".join(p.read_text() for p in (ROOT / "editor").rglob("*.py"))
    return set(re.findall(r'"(x-[a-zA-Z-]+)"', source))


def test_every_x_keyword_the_editor_reads_is_documented_and_in_the_hints_schema():
    used = keywords_in_code()
    assert {"x-order", "x-widget", "x-placeholder", "x-element-ref"} <= used
    for keyword in used:
        assert f"`{keyword}`" in README, keyword
        assert keyword in HINTS["$defs"]["hints"]["properties"], keyword


def test_shipped_type_schemas_follow_the_form_hints():
    Draft202012Validator.check_schema(HINTS)
    validator = Draft202012Validator(HINTS)
    schemas = list((ROOT / "elements").glob("*/*/config.schema.json"))
    for path in schemas:
        schema = json.loads(path.read_text())
        assert not list(validator.iter_errors(schema)), path
        for name in schema.get("x-order", []):
            assert name in schema.get("properties", {}), (path, name)


def test_the_hints_schema_refuses_a_misspelt_widget():
    assert not Draft202012Validator(HINTS).is_valid({"properties": {"prompt": {"type": "string", "x-widget": "text-area"}}})
