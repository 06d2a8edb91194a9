"""Instance -> Type -> Meta: following `type` up to the family's Meta."""
from __future__ import annotations

from .elements import Element
from .errors import NotAMetaError, TypeCycleError, UnknownTypeError

META, TYPE, INSTANCE = "meta", "type", "instance"


def resolve_chain(full_name: str, elements: dict[str, Element]) -> list[Element]:
    """The chain `[element, its type, ...]` ending at a Meta, at most three long."""
    chain = [elements[full_name]]
    seen = {full_name}
    while chain[-1].type:
        parent_name = chain[-1].type
        if parent_name in seen:
            path = " -> ".join([e.full_name for e in chain] + [parent_name])
            raise TypeCycleError(full_name, "e.json field type", f"types form a cycle: {path}")
        if parent_name not in elements:
            raise UnknownTypeError(
                chain[-1].full_name, "e.json field type", f"unknown type {parent_name!r} (no element with that fullName)"
            )
        seen.add(parent_name)
        chain.append(elements[parent_name])
        if len(chain) > 3:
            type_element = chain[1]
            raise NotAMetaError(
                type_element.full_name,
                "e.json field type",
                f"the parent of a Type must be a Meta (type \"\"), but {type_element.type!r} is not a Meta",
            )
    return chain


def kind_of(chain: list[Element]) -> str:
    """meta, type or instance, by the chain's length."""
    return (META, TYPE, INSTANCE)[len(chain) - 1]
