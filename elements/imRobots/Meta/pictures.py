"""Pictures people send: the Type fetches them, the family hands them to an agent that looks
at pictures (an agent with `accepts_images`), and tells everyone else what the robot reads."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .incoming import Incoming

MAX_PICTURES = 4  # per message; more are left out (and the log says so)
MAX_PICTURE_BYTES = 10_000_000
IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


@dataclass(frozen=True)
class Picture:
    """One picture's bytes and media type: what the agents family takes as an image."""

    mime_type: str
    data: bytes


class PictureUnavailable(Exception):
    """A picture could not be fetched or is not one; `user_message` is for the chat."""

    user_message = "抱歉，图片没能下载下来，请再发一次。Sorry, I couldn't download your picture; please send it again."


class ChatPictures(Protocol):
    """A Type's way of fetching a message's pictures (raises PictureUnavailable)."""

    async def download(self, incoming: Incoming) -> list[Picture]:
        """The pictures of `incoming.pictures`, in order (at most MAX_PICTURES)."""


def image_type(data: bytes) -> str | None:
    """The media type of a PNG, JPEG, GIF or WebP picture, from its first bytes; None for anything else."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in IMAGE_TYPES if data.startswith(magic)), None)


def accepts_pictures(agent: Any) -> bool:
    """Whether an agent looks at pictures (agents say so with `accepts_images`)."""
    return getattr(agent, "accepts_images", False) is True
