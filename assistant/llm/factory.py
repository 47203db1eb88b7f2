"""Chat-model factory: the local GGUF model or an OpenAI-compatible server."""

from __future__ import annotations

import os

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.core.errors import ConfigError
from assistant.core.settings import LLMSettings


def make_chat_model(settings: LLMSettings) -> BaseChatModel:
    match settings.mode:
        case "local":
            from assistant.llm.local import make_local_chat

            return make_local_chat(settings)
        case "openai":
            return _openai(settings)
        case _:
            raise ConfigError(f"llm.mode {settings.mode!r} has no chat model; valid: local, openai")


def _openai(settings: LLMSettings) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        raise ConfigError("langchain-openai is not installed: pip install 'policyqa[openai]'"
                          ) from None
    if not settings.base_url:
        raise ConfigError("llm.mode=openai needs llm.base_url, e.g. "
                          "POLICYQA_LLM__BASE_URL=http://127.0.0.1:8000/v1")
    key = os.environ.get(settings.api_key_env, "") or "EMPTY"  # local servers accept any key
    return ChatOpenAI(base_url=settings.base_url, model=settings.model or "default",
                      api_key=key, temperature=settings.temperature,
                      max_tokens=settings.max_tokens, streaming=True, max_retries=1, timeout=120)
