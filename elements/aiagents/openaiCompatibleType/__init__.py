"""aiagents.openaiCompatibleType: a chat model behind any OpenAI-compatible API, streamed."""
from .loader import Loader

__all__ = ["Loader"]
