"""aiagents.knowledgeBaseType: answers offline from the instance's own Q&A and markdown files."""
from .loader import Loader

__all__ = ["Loader"]
