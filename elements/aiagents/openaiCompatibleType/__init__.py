"""aiagents.openaiCompatibleType: a chat model behind any OpenAI-compatible API, streamed."""
from .check import check_connection
from .loader import Loader

__all__ = ["Loader", "check_connection"]
