"""Several named knowledge bases in one store: each with its own documents, chunks, BM25
index and catalog; a chat over several; an old single-KB store opens as `default`."""

import shutil
from pathlib import Path

import pytest

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from assistant.services import Services
from vectorstore.kb_registry import collection_id

DATA = Path(__file__).parent.parent / "data"
FLOOD = """关于做好汛期地质灾害防范工作的通知
一、压实防范责任
各乡镇要在5月31日前完成地质灾害隐患点排查，自然资源部门负责牵头。
二、强化监测预警
每个隐患点要落实不少于2名群测群防员，汛期实行24小时值班。
"""
FLOOD_QUESTION = "每个隐患点要落实多少名群测群防员？"
SPEECH_QUESTION = "农村卫生厕所普及率要达到多少？"


def services_at(store: Path, kb: str = "default") -> Services:
    return Services(Settings(store={"path": store, "kb": kb}, embedding={"mode": "hash"}))


@pytest.fixture
def two_kbs(tmp_path):
    """`default` holds the test speech, `应急管理` the flood notice."""
    store = tmp_path / "kb"
    speech = tmp_path / "乡村振兴推进会讲话.txt"
    shutil.copy(DATA / "speech.txt", speech)
    flood = tmp_path / "地质灾害通知.txt"
    flood.write_text(FLOOD, encoding="utf-8")
    root = services_at(store)
    root.ingest([speech])
    root.kb_registry.create("应急管理")
    root.for_kb("应急管理").ingest([flood])
    return root


def titles(passages):
    return {p.title for p in passages}


def test_two_knowledge_bases_never_see_each_others_documents(two_kbs):
    default, other = two_kbs.for_kb("default"), two_kbs.for_kb("应急管理")
    assert titles(default.search(FLOOD_QUESTION, 5)) == {"乡村振兴推进会讲话"}
    assert titles(other.search(SPEECH_QUESTION, 5)) == {"关于做好汛期地质灾害防范工作的通知"}
    flood = ["关于做好汛期地质灾害防范工作的通知"]
    assert [r.title for r in other.kb.records().values()] == flood
    assert [r.title for r in other.catalog().docs.values()] == flood
    assert "乡村振兴推进会讲话" not in other.ask(SPEECH_QUESTION).text


def test_a_chat_over_both_answers_from_the_one_that_holds_the_answer(two_kbs):
    both = two_kbs.reading(["default", "应急管理"])
    flood = both.ask(FLOOD_QUESTION)
    assert "2名群测群防员" in flood.text
    assert flood.citations[0].passage.title == "关于做好汛期地质灾害防范工作的通知"
    speech = both.ask(SPEECH_QUESTION)
    assert "85%" in speech.text and speech.citations[0].passage.title == "乡村振兴推进会讲话"
    assert titles(both.search("隐患点 群测群防员", 6)) >= {"关于做好汛期地质灾害防范工作的通知"}


def test_each_knowledge_base_keeps_its_side_index_in_its_own_folder(two_kbs):
    store = Path(two_kbs.settings.store.path)
    other = two_kbs.for_kb("应急管理").kb
    assert other.index_folder == store / "kbs" / collection_id("应急管理")
    assert (other.index_folder / "lexical").is_dir() and (store / "lexical").is_dir()
    assert collection_id("应急管理").isascii()


def test_a_deleted_knowledge_base_is_gone_and_a_new_one_of_that_name_is_empty(two_kbs):
    folder = two_kbs.for_kb("应急管理").kb.index_folder
    two_kbs.kb_registry.delete("应急管理")
    two_kbs.forget_kb("应急管理")
    assert two_kbs.kb_registry.names() == ["default"] and not folder.exists()
    with pytest.raises(ConfigError, match="kb create 应急管理"):
        two_kbs.for_kb("应急管理").kb  # noqa: B018
    two_kbs.kb_registry.create("应急管理")
    assert two_kbs.for_kb("应急管理").kb.records() == {}
    assert titles(two_kbs.for_kb("default").search(SPEECH_QUESTION)) == {"乡村振兴推进会讲话"}


def test_names_are_checked_and_default_cannot_be_deleted(two_kbs):
    registry = two_kbs.kb_registry
    with pytest.raises(ConfigError, match="exists"):
        registry.create("应急管理")
    with pytest.raises(ConfigError, match="may not"):
        registry.create("../etc")
    with pytest.raises(ConfigError, match="cannot be deleted"):
        registry.delete("default")


def test_an_old_single_kb_store_opens_as_default_without_reingest(tmp_path):
    """A store written before knowledge bases existed: one collection, BM25 in the store."""
    store = tmp_path / "kb"
    speech = tmp_path / "乡村振兴推进会讲话.txt"
    shutil.copy(DATA / "speech.txt", speech)
    services_at(store).ingest([speech])
    old_files = sorted(p.relative_to(store) for p in (store / "bm25").rglob("*"))

    reopened = services_at(store)
    assert reopened.kb_registry.names() == ["default"]
    assert titles(reopened.search(SPEECH_QUESTION)) == {"乡村振兴推进会讲话"}
    reopened.kb_registry.create("新库")  # a second one beside it changes nothing of the first
    again = services_at(store, "default")
    assert titles(again.search(SPEECH_QUESTION)) == {"乡村振兴推进会讲话"}
    assert sorted(p.relative_to(store) for p in (store / "bm25").rglob("*")) == old_files
    assert again.pipeline().run([speech], progress=False).count("unchanged") == 1
