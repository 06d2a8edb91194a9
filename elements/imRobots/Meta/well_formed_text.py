"""Text as chats deliver it is not always valid Unicode: a lone surrogate (`\\ud800`) cannot be
encoded as UTF-8, so a database insert or an LLM request with it fails. Every text that enters
the family goes through `well_formed` first."""
from __future__ import annotations


def well_formed(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD (a valid pair becomes its character)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def capped(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking a cut (what the message log keeps of a
    question that was too long to answer)."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
