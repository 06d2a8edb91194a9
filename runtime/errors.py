"""Exceptions a user can act on: each names the element and the file or field at fault."""
from __future__ import annotations


class ElementError(Exception):
    """A problem with one element, reported as `<fullName>: <where>: <message>`.

    `log_traceback = False`: the message says all a person can act on, so a log record carrying
    it shows that one line, not a traceback through the runtime (any exception class may say so).
    """

    log_traceback = False

    def __init__(self, full_name: str, where: str, message: str) -> None:
        self.full_name = full_name
        self.where = where
        self.message = message
        super().__init__(f"{full_name}: {where}: {message}" if where else f"{full_name}: {message}")


class InvalidJsonError(ElementError):
    """A JSON file that cannot be read or parsed (with line and column)."""


class SchemaViolationError(ElementError):
    """A file that parses but breaks its JSON Schema."""


class InvalidNameError(ElementError):
    """A folder name that is not a Python identifier, so no fullName can be formed."""


class UnknownTypeError(ElementError):
    """`type` names an element that does not exist."""


class TypeCycleError(ElementError):
    """Following `type` comes back to an element already seen."""


class NotAMetaError(ElementError):
    """A Type whose parent is not a Meta (a Meta has an empty `type`)."""


class MissingLoaderError(ElementError):
    """A Type package that does not export `Loader`, or fails to import."""


class UnresolvedVariableError(ElementError):
    """A `{{VAR}}` placeholder whose variable is set nowhere."""


class ConfigInvalidError(ElementError):
    """An instance config that breaks its Type's config.schema.json."""


class NeedsSetupError(ConfigInvalidError):
    """Required config fields are still empty (`missing`, the first named): not broken, not set up yet."""

    def __init__(self, full_name: str, missing: list[str]) -> None:
        self.missing = tuple(missing)
        super().__init__(full_name, f"config.json field {missing[0]}", "is required (the instance needs setup)")


class ShadowedElementError(ElementError):
    """An app element with the fullName of a shipped one: reported, the shipped one wins."""


class UnknownElementError(ElementError):
    """A fullName asked for that no element root holds."""


class ConcurrentEditError(ElementError):
    """A file changed on disk since it was read, so a save would overwrite someone's work."""
