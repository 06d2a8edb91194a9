"""References between elements: a config field with `"x-element-ref": "<Meta or Type fullName>"`
holds the fullName of another instance, of that family or of that Type.

One reading for everyone: `check`, the runtime (a load with a dangling or wrong reference fails
naming the field, a running service whose reference broke shows an error) and the editor (its
pickers offer only instances that fit; a rename can point the referring configs at the new name).
"""
from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ConfigInvalidError, ElementError, InvalidJsonError
from .resolution import INSTANCE, META, TYPE
from .schema import SCHEMA_FILE, Path, Schema, subschemas, walk
from .templating import PLACEHOLDER
from .translations import N_

if TYPE_CHECKING:
    from .app import App

REF_KEYWORD = "x-element-ref"


def reference_fields(root: Schema, value: Any) -> list[tuple[Path, str, str]]:
    """(path, fullName held, what it must be an instance of) for every filled reference field."""
    found: list[tuple[Path, str, str]] = []
    for path, item, resolved in walk(root, value, sought=_is_reference):
        target = resolved.get(REF_KEYWORD)
        if isinstance(target, str) and isinstance(item, str) and item.strip() and (path, item, target) not in found:
            found.append((path, item, target))
    return found


def _is_reference(node: dict[str, Any]) -> bool:
    return isinstance(node.get(REF_KEYWORD), str)


def declared_targets(schema: Any) -> Iterator[tuple[Path, Any]]:
    """(where, target) of every `x-element-ref` a schema declares, wherever it sits."""
    return ((path, node[REF_KEYWORD]) for path, node in subschemas(schema) if REF_KEYWORD in node)


def fits(app: App, candidate: str, target: str) -> bool:
    """Whether instance `candidate` is an instance of `target` (a family's Meta or a Type)."""
    try:
        chain = app.chain(candidate)
    except ElementError:
        return False
    return len(chain) == 3 and target in (chain[1].full_name, chain[2].full_name)


def candidates(app: App, target: str, exclude: str = "") -> list[tuple[str, str]]:
    """(fullName, title) of every instance a reference to `target` may name (never `exclude`,
    the instance being edited: nothing refers to itself)."""
    return [(e.full_name, e.title) for e in app.instances() if e.full_name != exclude and fits(app, e.full_name, target)]


@dataclass(frozen=True)
class ReferenceProblem:
    """Why a reference is wrong: `text` with its `%(name)s` slots filled from `values`, kept
    apart so the editor can say it in the reader's language (its catalog holds these texts)."""

    text: str
    values: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text % self.values


def problem_of(app: App, owner: str, held: str, target: str) -> ReferenceProblem | None:
    """Why `owner`'s reference to `held` is wrong (None when it is fine)."""
    if PLACEHOLDER.search(held):
        return None  # checked once the variable is filled in
    if held == owner:
        return ReferenceProblem(N_("names this instance itself; pick another instance of %(target)s"), {"target": target})
    if held not in app.elements:
        return ReferenceProblem(N_("%(held)s is no element of this app; pick an instance of %(target)s"), {"held": held, "target": target})
    try:
        chain = app.chain(held)
    except ElementError as exc:
        return ReferenceProblem(N_("%(held)s cannot be read (%(problem)s); fix it or pick another instance of %(target)s"),
                                {"held": held, "problem": exc.message, "target": target})
    if len(chain) == 1:
        return ReferenceProblem(N_("%(held)s is a family, not an instance; pick an instance of %(target)s"), {"held": held, "target": target})
    if len(chain) != 3:
        return ReferenceProblem(N_("%(held)s is a Type, not an instance; pick an instance of %(target)s"), {"held": held, "target": target})
    if not fits(app, held, target):
        return ReferenceProblem(N_("%(held)s is an instance of %(type)s, not of %(target)s; pick an instance of %(target)s"),
                                {"held": held, "type": chain[1].full_name, "target": target})
    return None


def reference_problems(app: App, owner: str, schema: Schema, config: Any) -> list[ConfigInvalidError]:
    """Every wrong reference in `owner`'s config, each naming its field."""
    problems = []
    for path, held, target in reference_fields(schema, config):
        problem = problem_of(app, owner, held, target)
        if problem:
            where = ".".join(str(p) for p in path)
            problems.append(ConfigInvalidError(owner, f"config.json field {where}", str(problem)))
    return problems


def check_declared_targets(app: App, type_name: str, schema: Any) -> None:
    """Raise when a Type's schema says a field refers to something that is no family or Type."""
    for path, target in declared_targets(schema):
        where = "/".join(str(p) for p in path) or "the root"
        try:
            kind = app.kind(target) if isinstance(target, str) and target in app.elements else ""
        except ElementError:
            kind = ""
        if kind not in (META, TYPE):
            what = "an instance" if kind == INSTANCE else "nothing in this app"
            raise InvalidJsonError(type_name, SCHEMA_FILE, f"{REF_KEYWORD} at {where} names {target!r}, which is {what}: name a family's Meta or a Type")


def rewritten(schema: Schema, config: Any, old: str, new: str) -> tuple[Any, int]:
    """A copy of `config` with every reference to `old` naming `new`, and how many changed."""
    result = copy.deepcopy(config)
    changed = 0
    for path, held, _ in reference_fields(schema, config):
        if held == old and path:
            parent = result
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = new
            changed += 1
    return result, changed
