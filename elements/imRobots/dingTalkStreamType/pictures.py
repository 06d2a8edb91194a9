"""A message's pictures fetched from DingTalk: each downloadCode becomes a temporary URL
(`POST /v1.0/robot/messageFiles/download`), whose bytes must be a picture of a known type."""
from __future__ import annotations

import aiohttp

from ..Meta.incoming import Incoming
from ..Meta.pictures import MAX_PICTURE_BYTES, MAX_PICTURES, Picture, PictureUnavailable, image_type
from .http import ApiError, fetch_bytes
from .openapi import DingTalkApi


class DingTalkPictures:
    """The family's ChatPictures for one robot's DingTalk app."""

    def __init__(self, api: DingTalkApi, session: aiohttp.ClientSession, timeout: float) -> None:
        self.api = api
        self.session = session
        self.timeout = timeout

    async def download(self, incoming: Incoming) -> list[Picture]:
        pictures = []
        for code in incoming.pictures[:MAX_PICTURES]:
            try:
                url = await self.api.download_url(code)
                data = await fetch_bytes(self.session, "download picture", url, self.timeout, MAX_PICTURE_BYTES)
            except ApiError as exc:
                raise PictureUnavailable(f"picture of msgId {incoming.msg_id}: {exc}") from exc
            mime_type = image_type(data)
            if mime_type is None:
                raise PictureUnavailable(f"picture of msgId {incoming.msg_id} is not a PNG, JPEG, GIF or WebP image ({len(data)} bytes)")
            pictures.append(Picture(mime_type, data))
        return pictures
