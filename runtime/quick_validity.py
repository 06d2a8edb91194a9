"""A quick "valid" for the configs of plain schemas, before jsonschema's full reading.

jsonschema reads a chat robot's config in 0.17 ms, half of its load, and a thousand robots
start at once. fastjsonschema compiles a schema to Python once and says whether a config is
valid in 6 us. Its word is taken only for "valid", and only for a schema made of the keywords
below, where its reading cannot be more lenient than jsonschema's (it may be stricter: a `$` in
a pattern matches only at the very end, 1.0 is no integer; such a config is then read by
jsonschema, as is every invalid one, so what a user sees of a problem is jsonschema's message).
Anything else in a schema (formats, references, choices, rules, enums of numbers, where the two
libraries differ or might) means no quick check: jsonschema reads every config.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

SAME_DRAFTS = {  # where the keywords below mean the same (draft-04's exclusiveMinimum is a boolean)
    "https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2019-09/schema",
    "http://json-schema.org/draft-07/schema#", "http://json-schema.org/draft-07/schema",
    "http://json-schema.org/draft-06/schema#", "http://json-schema.org/draft-06/schema",
}
ANNOTATIONS = {"title", "description", "default", "examples", "readOnly", "writeOnly", "deprecated", "$comment"}
NUMBERS = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
           "minItems", "maxItems", "minProperties", "maxProperties"}
TYPES = {"null", "boolean", "integer", "number", "string", "array", "object"}


def quick_check(schema: Any) -> Callable[[Any], bool] | None:
    """A function saying True only of values valid under `schema` (a root), or None when the
    schema uses anything outside the keywords both libraries read alike."""
    if not isinstance(schema, dict) or schema.get("$schema", next(iter(SAME_DRAFTS))) not in SAME_DRAFTS:
        return None
    body = {k: v for k, v in schema.items() if k not in ("$schema", "$id")}  # an $id names the schema for references, of which it has none
    if not _plain(body):
        return None
    import fastjsonschema  # here: a process that loads no config never pays for it

    try:
        validate = fastjsonschema.compile(body, use_default=False, use_formats=False)
    except Exception:  # a pattern Python cannot compile once `$` became `\Z`, say: no quick check
        return None

    def valid(value: Any) -> bool:
        try:
            validate(value)
        except Exception:  # invalid (or beyond it): jsonschema reads it
            return False
        return True

    return valid


def _plain(node: Any) -> bool:
    """Whether a subschema uses only keywords both libraries read alike."""
    if not isinstance(node, dict):
        return False
    for key, value in node.items():
        if key in ANNOTATIONS or key.startswith("x-"):
            continue
        if key == "type":
            kinds = value if isinstance(value, list) else [value]
            if not kinds or any(kind not in TYPES for kind in kinds):
                return False
        elif key in NUMBERS:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return False
        elif key == "required":
            if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
                return False
        elif key == "properties":
            if not isinstance(value, dict) or not all(_plain(sub) for sub in value.values()):
                return False
        elif key == "additionalProperties":
            if not isinstance(value, bool) and not _plain(value):
                return False
        elif key == "items":
            if not _plain(value):
                return False
        elif key == "enum":  # strings and null only: fastjsonschema's `in` takes True for 1
            if not isinstance(value, list) or not value or not all(isinstance(item, str) or item is None for item in value):
                return False
        elif key == "const":
            if not (isinstance(value, str) or value is None):
                return False
        elif key == "pattern":  # fastjsonschema reads `$` as `\Z`: stricter, unless a lookaround or flag turns it around
            if not isinstance(value, str) or "(?" in value:
                return False
        else:
            return False
    return True
