"""A LangChain chat model over xllamacpp: llama.cpp's server running inside this process.

The server starts on the first call (loading takes a few seconds), answers through its
OpenAI-style chat handler, and keeps the system prompt's KV cache between calls
(`cache_prompt`). Its HTTP side cannot be switched off, so it listens on 127.0.0.1 on a free
port behind a random API key that is never shown. One call runs at a time: `compute_lock` is
held for each call, and other CPU-heavy work (embedding) should take the same lock, because on
two cores running both at once slows generation to a crawl.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.core.errors import LLMError
from assistant.core.settings import LLMSettings
from assistant.llm.bundled import INSTALL_HINT, resolve_model_path

logger = logging.getLogger(__name__)

REQUEST_OPTIONS = ("max_tokens", "temperature", "top_p", "top_k", "min_p", "seed")
_DONE = object()


def _role(message: BaseMessage) -> str:
    match message:
        case SystemMessage():
            return "system"
        case HumanMessage():
            return "user"
        case AIMessage():
            return "assistant"
        case ChatMessage():
            return message.role
    raise LLMError(f"the local model cannot take a {type(message).__name__} message")


def to_chat_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as OpenAI-style {"role", "content"} dicts (text parts only)."""
    return [{"role": _role(m), "content": m.text} for m in messages]


def _error_text(payload: dict[str, Any]) -> str | None:
    error = payload.get("error")
    if error is None:
        return None
    message = error.get("message", error) if isinstance(error, dict) else error
    hint = ""
    if isinstance(error, dict) and error.get("type") == "exceed_context_size_error":
        hint = "; raise llm.n_ctx or lower llm.local_context_chars"
    return f"local model error: {message}{hint}"


def timing_metadata(timings: dict[str, Any]) -> dict[str, float]:
    """The server's per-call timings under stable names (tokens and milliseconds)."""
    return {"prompt_tokens": timings.get("prompt_n", 0),
            "cached_tokens": timings.get("cache_n", 0),
            "prompt_ms": timings.get("prompt_ms", 0.0),
            "generated_tokens": timings.get("predicted_n", 0),
            "gen_ms": timings.get("predicted_ms", 0.0)}


def _usage(timings: dict[str, Any]) -> UsageMetadata:
    prompt = timings.get("prompt_n", 0) + timings.get("cache_n", 0)
    output = timings.get("predicted_n", 0)
    return UsageMetadata(input_tokens=prompt, output_tokens=output, total_tokens=prompt + output,
                         input_token_details={"cache_read": timings.get("cache_n", 0)})


def _metadata(payload: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if finish_reason:
        info["finish_reason"] = finish_reason
    if "timings" in payload:
        info["timings"] = timing_metadata(payload["timings"])
    return info


def _chunk(payload: dict[str, Any], model_name: str) -> ChatGenerationChunk | None:
    """One streamed server event as a chunk; None for events with neither text nor metadata."""
    choice = (payload.get("choices") or [{}])[0]
    text = (choice.get("delta") or {}).get("content") or ""
    info = _metadata(payload, choice.get("finish_reason"))
    if not text and not info:
        return None
    if info:
        info["model_name"] = model_name
    usage = _usage(payload["timings"]) if "timings" in payload else None
    message = AIMessageChunk(content=text, response_metadata=info, usage_metadata=usage)
    return ChatGenerationChunk(message=message, generation_info=info or None)


def _stream_events(server: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Bridge the server's streaming callback to a generator (the call runs in a worker)."""
    events: queue.Queue[Any] = queue.Queue()
    cancel = threading.Event()

    def on_event(event: dict[str, Any]) -> bool:
        events.put(event)
        return cancel.is_set()  # True tells the server to stop generating

    def work() -> None:
        try:
            server.handle_chat_completions(request, on_event)
        except Exception as exc:  # handed to the consumer, raised there
            events.put(exc)
        finally:
            events.put(_DONE)

    worker = threading.Thread(target=work, name="xllamacpp-chat", daemon=True)
    worker.start()
    try:
        while (event := events.get()) is not _DONE:
            if isinstance(event, Exception):
                raise LLMError(f"local model failed: {event}") from event
            yield event
    finally:
        cancel.set()
        worker.join()


class LocalLlamaChat(BaseChatModel):
    """Chat model backed by a GGUF file, served in-process by xllamacpp.

    `threads` (0 = all cores) generate tokens; `threads_batch` (0 = same) evaluate the prompt.
    On a busy machine one generation thread is several times faster than all cores, because
    each token waits for every thread.
    """

    model_path: str
    n_ctx: int = 4096
    threads: int = 0
    threads_batch: int = 0
    max_tokens: int = 512
    temperature: float = 0.1
    cache_ram_mib: int = 256
    no_extra_bufts: bool = True
    verbosity: int = 1

    _server: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "xllamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx,
                "max_tokens": self.max_tokens, "temperature": self.temperature}

    @property
    def compute_lock(self) -> threading.Lock:
        """Held during every model call; take it around other CPU-heavy work to serialise."""
        return self._lock

    @property
    def listening_address(self) -> str:
        """Where the (key-protected, loopback-only) HTTP side listens; "" before loading."""
        return self._server.listening_address if self._server is not None else ""

    def load(self) -> None:
        """Start the server now instead of on the first call."""
        with self._lock:
            self._ensure_server()

    def close(self) -> None:
        """Stop the server and free the model; the next call loads it again."""
        with self._lock:
            self._server = None

    def _params(self, xllamacpp: Any) -> Any:
        params = xllamacpp.CommonParams()
        params.model.path = self.model_path
        params.n_ctx = self.n_ctx
        params.n_parallel = 1
        params.n_predict = self.max_tokens
        threads = self.threads or os.cpu_count() or 1
        params.cpuparams.n_threads = threads  # generation
        params.cpuparams_batch.n_threads = self.threads_batch or threads  # prompt evaluation
        params.sampling.temp = self.temperature
        params.cache_ram_mib = self.cache_ram_mib
        params.no_extra_bufts = self.no_extra_bufts
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # any free port
        params.api_keys = [secrets.token_urlsafe(24)]
        params.ui = False
        params.endpoint_slots = False
        params.verbosity = self.verbosity
        return params

    def _ensure_server(self) -> Any:
        """The running server, started on first use (call with the lock held)."""
        if self._server is not None:
            return self._server
        try:
            import xllamacpp
        except ImportError as exc:
            raise LLMError(f"the local model needs xllamacpp: {INSTALL_HINT}") from exc
        logger.info("loading local model path=%s n_ctx=%d", self.model_path, self.n_ctx)
        try:
            self._server = xllamacpp.Server(self._params(xllamacpp))
        except Exception as exc:
            raise LLMError(f"could not load local model {self.model_path} (n_ctx={self.n_ctx}): "
                           f"{exc}; check that it is a valid GGUF file and memory is free") from exc
        return self._server

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, stream: bool,
                 options: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {"messages": to_chat_messages(messages),
                                   "max_tokens": self.max_tokens,
                                   "temperature": self.temperature,
                                   "stream": stream, "cache_prompt": True}
        request.update({k: v for k, v in options.items() if k in REQUEST_OPTIONS})
        if stop:
            request["stop"] = stop
        return request

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        request = self._request(messages, stop, False, kwargs)
        with self._lock:
            payload = self._ensure_server().handle_chat_completions(request)
        if (error := _error_text(payload)) is not None:
            raise LLMError(error)
        choice = payload["choices"][0]
        info = _metadata(payload, choice.get("finish_reason"))
        info["model_name"] = Path(self.model_path).name
        usage = _usage(payload["timings"]) if "timings" in payload else None
        message = AIMessage(content=choice["message"].get("content") or "",
                            response_metadata=info, usage_metadata=usage)
        return ChatResult(generations=[ChatGeneration(message=message, generation_info=info)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        request = self._request(messages, stop, True, kwargs)
        model_name = Path(self.model_path).name
        with self._lock:
            for event in _stream_events(self._ensure_server(), request):
                if (error := _error_text(event)) is not None:
                    raise LLMError(error)
                chunk = _chunk(event, model_name)
                if chunk is None:
                    continue
                if run_manager is not None and chunk.text:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk


def make_local_chat(settings: LLMSettings) -> LocalLlamaChat:
    """The local chat model for `settings` (joins the bundled GGUF on first use)."""
    return LocalLlamaChat(model_path=str(resolve_model_path(settings)), n_ctx=settings.n_ctx,
                          threads=settings.threads, threads_batch=settings.threads_batch,
                          max_tokens=settings.max_tokens,
                          temperature=settings.temperature)
