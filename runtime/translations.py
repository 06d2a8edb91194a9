"""What a family or a Type says about itself in another language: `translations/<language>.json`
in its Meta or Type folder (the way a Home Assistant integration ships translations/<lang>.json).

The English texts stay where they are (e.json, config.schema.json, the family's templates); a
translation file only replaces them, so a missing file, key or text falls back to the source.
A broken file is logged and ignored: a translation never stops an element from loading.

    {"title": "...", "description": "...",
     "schema": {"/properties/token": {"title": "...", "description": "...", "placeholder": "...",
                                          "patternMessage": "...", "enum": {"fast": "..."}}},
     "texts": {"Thinking…": "..."}}
"""
from __future__ import annotations

import copy
import json
import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger("element_studio.translations")


def N_(text: str) -> str:
    """Mark a text for the editor's catalog where it is defined; the editor translates it where
    it is shown (babel.cfg extracts the runtime modules that say something to a person)."""
    return text

LANGUAGES = ("en", "zh")  # the languages Element Studio speaks; English is the source
DEFAULT_LANGUAGE = "en"
FOLDER = "translations"
# What a schema entry may replace, and the schema keyword it replaces.
SCHEMA_KEYS = {"title": "title", "description": "description", "placeholder": "x-placeholder",
               "patternMessage": "x-pattern-message", "enum": "x-enum-labels"}


@dataclass(frozen=True)
class Translation:
    """One element's texts in one language; empty values mean "use the source text"."""

    title: str = ""
    description: str = ""
    schema: dict[str, dict[str, Any]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


EMPTY = Translation()
STAMP_SECONDS = 1.0
_looked_at: dict[tuple[Path, str], tuple[float, Translation]] = {}  # (folder, language) -> (when looked at, its translation)


def translation_file(folder: Path, language: str) -> Path:
    return folder / FOLDER / f"{language}.json"


def translation_of(folder: Path, language: str) -> Translation:
    """The element folder's translation into `language` (EMPTY when it ships none); the file is
    looked at (its time stamp) at most every STAMP_SECONDS: 1,000 robots answering their first
    questions at once asked 20,000 times in a second, and building each path and reading its
    stamp cost a fifth of a millisecond per question, ahead of its ACK."""
    now = time.monotonic()
    seen = _looked_at.get((folder, language))
    if seen is not None and now - seen[0] < STAMP_SECONDS:
        return seen[1]
    path = translation_file(folder, language)
    try:
        translation = _read(path, path.stat().st_mtime_ns)
    except OSError:
        translation = EMPTY
    _looked_at[(folder, language)] = (now, translation)
    return translation


@lru_cache(maxsize=256)
def _read(path: Path, stamp: int) -> Translation:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("the file must hold a JSON object")
        schema = data.get("schema", {})
        texts = data.get("texts", {})
        if not isinstance(schema, dict) or not all(isinstance(v, dict) for v in schema.values()):
            raise ValueError('"schema" must map JSON pointers to objects')
        if not isinstance(texts, dict):
            raise ValueError('"texts" must map source texts to translations')
        return Translation(str(data.get("title", "")), str(data.get("description", "")), schema,
                           {str(k): str(v) for k, v in texts.items() if v})
    except (OSError, ValueError) as exc:
        log.warning("translation %s ignored: %s", path, exc)
        return EMPTY


def localized_schema(schema: dict[str, Any], translation: Translation) -> dict[str, Any]:
    """A copy of a config schema with the translation's titles, descriptions, placeholders,
    pattern messages and enum labels; what it does not name keeps the schema's own text."""
    if not translation.schema:
        return schema
    result = copy.deepcopy(schema)
    for pointer, entry in translation.schema.items():
        node = _at(result, pointer)
        if not isinstance(node, dict):
            continue
        for key, keyword in SCHEMA_KEYS.items():
            value = entry.get(key)
            if key == "enum" and isinstance(value, dict):
                node[keyword] = {**node.get(keyword, {}), **{str(k): str(v) for k, v in value.items()}}
            elif isinstance(value, str) and value:
                node[keyword] = value
    return result


def _at(document: Any, pointer: str) -> Any:
    """The node a JSON pointer ("/properties/a/items") names, or None."""
    node = document
    for part in pointer.split("/")[1:] if pointer.startswith("/") else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def text_in(folders: list[Path], text: str, language: str) -> str:
    """`text` as the first of these element folders translates it (the text itself when none does)."""
    for folder in folders:
        translated = translation_of(folder, language).texts.get(text)
        if translated:
            return translated
    return text
