"""The form as data: a tree of FormField the templates render and the tests inspect."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .paths import Path


@dataclass
class Option:
    """One choice of a select or radio group; `value` is what the browser posts."""

    value: str
    label: str
    selected: bool = False


@dataclass
class EnvRef:
    """A `{{VAR}}` placeholder in a field: its name and whether it is defined (never its value)."""

    name: str
    defined: bool


@dataclass
class FormField:
    """One field (or group of fields) of a form, ready to render.

    `kind` picks the template: text, textarea, number, checkbox, select, radios, const, secret,
    ref, json (any JSON value), object (a fieldset), array (a list with add/remove/reorder) or
    variant (a oneOf/anyOf selector wrapping the chosen variant's field).
    """

    kind: str
    name: str
    id: str
    path: Path
    label: str = ""
    help: str = ""
    required: bool = False
    read_only: bool = False
    placeholder: str = ""
    input_type: str = "text"
    attrs: dict[str, str] = field(default_factory=dict)
    value: str = ""
    checked: bool = False
    options: list[Option] = field(default_factory=list)
    children: list[FormField] = field(default_factory=list)
    hidden: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    env: list[EnvRef] = field(default_factory=list)
    secret_set: bool = False
    secret_mode: str = "keep"
    secret_source: str = ""
    ref_family: str = ""
    ref_found: bool = False
    refreshes: str = ""
    advanced: bool = False
    item_index: int | None = None
    item_count: int = 0
    can_add: bool = True
    can_remove: bool = True
    can_move: bool = True
    add_label: str = ""
    display: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def walk(self) -> Iterator[FormField]:
        """This field and every field inside it, depth first, in display order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, name: str) -> FormField | None:
        """The field (or group) with this name, if it is part of the form (a variant's chosen
        field, not its selector wrapper, which shares the name)."""
        for item in self.walk():
            if item.name == name and item.kind != "variant":
                return item
        return None

    def find_id(self, html_id: str) -> FormField | None:
        """The field (or group) with this HTML id."""
        for item in self.walk():
            if item.id == html_id:
                return item
        return None

    @property
    def has_errors(self) -> bool:
        """Whether this field or any field inside it has an error (open a collapsed section)."""
        return any(item.errors for item in self.walk())

    @property
    def feedback_id(self) -> str:
        """Where this field's errors, warnings and placeholder status are shown."""
        return f"{self.id}-feedback"

    @property
    def described_by(self) -> str:
        """ids for aria-describedby: help text and feedback."""
        return " ".join(([f"{self.id}-help"] if self.help else []) + [self.feedback_id])
