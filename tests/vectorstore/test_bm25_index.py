"""The SQLite BM25 index on its own: rankings equal a plain reference BM25 before and after
documents come and go, and a write touches rows in proportion to the document, not the store."""

import math
import random
from collections import Counter

import pytest

import vectorstore.postings as postings
from vectorstore.bm25_index import BM25Index, IndexedDoc
from vectorstore.tokenize import Tokenizer

TOPICS = ["农村人居环境整治", "高标准农田建设", "森林防火", "中小企业纾困", "义务教育", "养老服务",
          "河长制", "专精特新企业培育", "安全生产", "营商环境", "乡村振兴", "数字政府"]
VERBS = ["加强", "推进", "落实", "完善", "健全", "支持"]
UNITS = ["市财政局", "县农业农村局", "市应急管理局", "各乡镇人民政府", "市教育局"]


TOKENIZER = Tokenizer()


def make_doc(rng: random.Random, name: str, chunks: int) -> IndexedDoc:
    rows = []
    for i in range(chunks):
        topic = rng.choice(TOPICS)
        text = "".join(f"{rng.choice(VERBS)}{topic}工作，由{rng.choice(UNITS)}负责，"
                       f"在{rng.randint(1, 12)}月底前完成{rng.randint(5, 95)}%的任务。"
                       for _ in range(rng.randint(1, 6)))
        rows.append((f"{name}-{i:05d}", TOKENIZER.tokens(f"关于{topic}的通知\n{text}")))
    return IndexedDoc(name, rows)


def reference_scores(docs: list[IndexedDoc], query: list[str]) -> dict[str, float]:
    """BM25 as bm25s computes it ("lucene": k1 1.5, b 0.75), written out plainly."""
    chunks = [(cid, toks) for d in docs for cid, toks in d.chunks]
    n = len(chunks)
    mean = sum(len(t) for _, t in chunks) / n
    df = Counter(term for _, toks in chunks for term in set(toks))
    out = {}
    for cid, toks in chunks:
        tf = Counter(toks)
        score = 0.0
        for term in query:
            if tf[term]:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                score += idf * tf[term] / (tf[term] + 1.5 * (1 - 0.75 + 0.75 * len(toks) / mean))
        if score > 0:
            out[cid] = score
    return out


def assert_same_ranking(index: BM25Index, docs: list[IndexedDoc], query: list[str]) -> None:
    want = reference_scores(docs, query)
    got = index.top(query, len(want) + 10)
    assert len(got) == len(want)
    assert {cid for cid, _ in got} == set(want)
    for cid, score in got:
        assert score == pytest.approx(want[cid], rel=1e-4)
    scores = [s for _, s in got]
    assert scores == sorted(scores, reverse=True)


QUERIES = ["森林防火工作由哪个部门负责", "中小企业纾困 市财政局", "高标准农田建设 月底前 完成",
           "养老服务 养老服务", "数字政府"]


@pytest.fixture
def corpus():
    rng = random.Random(3)
    return [make_doc(rng, f"doc{d:03d}", rng.randint(1, 8)) for d in range(40)]


def test_rankings_equal_the_reference_bm25(tmp_path, corpus, monkeypatch):
    monkeypatch.setattr(postings, "BLOCK", 8)  # many blocks per term, as in a large store
    index = BM25Index(tmp_path / "bm25.sqlite", "t")
    index.add(corpus[:25])
    for doc in corpus[25:]:
        index.add([doc])  # one at a time, appended to the last blocks
    for q in QUERIES:
        assert_same_ranking(index, corpus, TOKENIZER.tokens(q))
    chunks = [toks for d in corpus for _, toks in d.chunks]
    df = sum(1 for toks in chunks if "森林" in toks)
    assert df and index.idf("森林") == pytest.approx(math.log(1 + (len(chunks) - df + 0.5)
                                                           / (df + 0.5)))
    assert index.idf("未收录的词") == pytest.approx(math.log(1 + (len(chunks) + 0.5) / 0.5))


def test_rankings_stay_equal_after_documents_are_removed_and_added(tmp_path, corpus,
                                                                  monkeypatch):
    monkeypatch.setattr(postings, "BLOCK", 8)
    index = BM25Index(tmp_path / "bm25.sqlite", "t")
    index.add(corpus)
    gone = corpus[3:30:3]
    assert index.remove([d.doc_hash for d in gone]) == sum(len(d.chunks) for d in gone)
    kept = [d for d in corpus if d not in gone]
    rng = random.Random(9)
    extra = [make_doc(rng, f"new{d}", 4) for d in range(5)]
    index.add(extra)
    for q in QUERIES:
        assert_same_ranking(index, kept + extra, TOKENIZER.tokens(q))
    assert set(index.chunk_ids()) == {cid for d in kept + extra for cid, _ in d.chunks}
    reopened = BM25Index(tmp_path / "bm25.sqlite", "t")
    assert_same_ranking(reopened, kept + extra, TOKENIZER.tokens(QUERIES[0]))


def test_allowed_documents_restrict_the_ranking(tmp_path, corpus):
    index = BM25Index(tmp_path / "bm25.sqlite", "t")
    index.add(corpus)
    query = TOKENIZER.tokens(QUERIES[1])
    allowed = {"doc004", "doc017"}
    hits = index.top(query, 50, allowed)
    want = {cid for cid in reference_scores(corpus, query) if cid.rsplit("-", 1)[0] in allowed}
    assert {cid for cid, _ in hits} == want
    assert index.top(query, 50, set()) == []


def rows_touched(index: BM25Index, write) -> int:  # noqa: ANN001
    before = index.touched
    write()
    return index.touched - before


def test_adding_or_removing_a_document_touches_rows_in_proportion_to_it(tmp_path, monkeypatch):
    monkeypatch.setattr(postings, "BLOCK", 16)
    rng = random.Random(5)
    small, large = (BM25Index(tmp_path / f"{n}.sqlite", "t") for n in ("small", "large"))
    base = [make_doc(rng, f"base{d}", 4) for d in range(30)]
    small.add(base)
    large.add(base + [make_doc(rng, f"more{d}", 4) for d in range(300)])  # 11× the chunks
    doc = make_doc(rng, "changed", 6)
    added = [rows_touched(index, lambda i=index: i.add([doc])) for index in (small, large)]
    removed = [rows_touched(index, lambda i=index: i.remove([doc.doc_hash]))
               for index in (small, large)]
    terms = len({t for _, toks in doc.chunks for t in toks})
    print(f"terms {terms}, rows touched: add {added}, remove {removed}")
    for touched in added + removed:  # per term: its df row, its last block(s), one write or two
        assert terms <= touched <= 5 * terms


def test_an_index_of_other_tokens_starts_anew(tmp_path, corpus):
    BM25Index(tmp_path / "bm25.sqlite", "jieba-v1").add(corpus)
    again = BM25Index(tmp_path / "bm25.sqlite", "jieba-v2")
    assert again.chunk_ids() == [] and again.generation == -1


def test_an_unreadable_index_file_starts_anew(tmp_path, corpus):
    path = tmp_path / "bm25.sqlite"
    path.write_bytes(b"not a database" * 100)
    index = BM25Index(path, "t")
    index.add(corpus[:2])
    assert len(index.chunk_ids()) == sum(len(d.chunks) for d in corpus[:2])
