"""BM25 side index candidates side by side: bm25s (the index this project had), SQLite FTS5 over
pre-tokenised jieba text, and the project's own inverted index in SQLite (vectorstore/bm25_index).

    .venv/bin/python bench/bench_lexical.py [--laws DIR] [--ncp DIR] [--sizes 10000 100000]

1. Ranking quality of BM25 alone on ncp-dev: every document chunked as ingest chunks it, the
   indexed text (title, heading path, body) tokenised by vectorstore/tokenize.py; each question's
   top 10 from each index, span-hit@1/@5 and MRR@10 against the qa.jsonl evidence (whitespace
   ignored, as `policyqa eval` matches it).
2. Speed and size on laws/ text repeated to --sizes chunks (copies get a "第N册" token, as in
   bench_scale.py): bulk build; adding one mid-sized law and removing it again (bm25s cannot,
   so its row is the full re-index + save the old code did on every commit); search p50/p95 of
   the top 30 over law-question-like queries, in a new process that opens the saved index; that
   process's peak RSS above the same interpreter with numpy and sqlite3 imported; disk size.

FTS5: one row per chunk, tokens joined by spaces, `unicode61` with every letter, number, mark,
punctuation and symbol category as token characters (so a jieba token is one FTS5 token,
checked below), diacritics kept, ranked by FTS5's built-in bm25() (k1 1.2, b 0.75, fixed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import numpy as np  # noqa: E402
from bench_stages import LAWS, corpus_files, one_pass  # noqa: E402
from lexical_engines import ENGINES, Doc, make_engine  # noqa: E402

NCP = LAWS.parent / "ncp-dev"


def tokenized_laws(laws: Path) -> list[Doc]:
    from assistant.core.settings import Settings
    from assistant.core.types import chunk_id, indexed_text
    from ingest.chunking import ChunkSizes
    from vectorstore.tokenize import Tokenizer

    ing = Settings().ingest
    sizes = ChunkSizes(ing.target_chars, ing.max_chars, ing.min_chars, ing.overlap_chars)
    _, parsed = one_pass(corpus_files(laws), sizes)
    tokenizer = Tokenizer()
    docs = []
    for d, (title, chunks) in enumerate(parsed):
        doc_hash = f"law{d:05d}"
        docs.append(Doc(doc_hash, [(chunk_id(doc_hash, i),
                                    tokenizer.tokens(indexed_text(title, c.heading, c.text)))
                                   for i, c in enumerate(chunks)]))
    return [d for d in docs if d.chunks]


def copies(docs: list[Doc], target: int) -> list[Doc]:
    out, total, copy = [], 0, 0
    while total < target:
        for doc in docs:
            chunks = doc.chunks[:target - total]
            marker = [f"第{copy}册"] if copy else []
            out.append(Doc(f"{doc.doc_hash}c{copy}",
                           [(f"{doc.doc_hash}c{copy}-{cid.rsplit('-', 1)[1]}", marker + toks)
                            for cid, toks in chunks]))
            total += len(chunks)
            if total >= target:
                break
        copy += 1
    return out


def law_queries(docs: list[Doc], n: int) -> list[list[str]]:
    """A clause's run of 4–9 tokens plus 规定 (what "……有哪些规定？" tokenises to)."""
    rng = random.Random(7)
    out: list[list[str]] = []
    while len(out) < n:
        tokens = rng.choice(rng.choice(docs).chunks)[1]
        if len(tokens) >= 12:
            start = rng.randrange(0, len(tokens) - 9)
            out.append(tokens[start:start + rng.randint(4, 9)] + ["规定"])
    return out


# --- 1. ranking quality ---------------------------------------------------------------------
def ncp_corpus(ncp: Path) -> tuple[list[Doc], dict[str, str]]:
    from assistant.core.settings import Settings
    from assistant.core.text import squash
    from assistant.core.types import chunk_id, indexed_text
    from ingest.document import parse_document
    from vectorstore.tokenize import Tokenizer

    settings, tokenizer = Settings().ingest, Tokenizer()
    docs, bodies = [], {}
    for path in sorted((ncp / "docs").iterdir()):
        parsed = parse_document(path, settings)
        rows = []
        for i, c in enumerate(parsed.chunks):
            cid = chunk_id(path.stem, i)
            bodies[cid] = squash(c.text)
            rows.append((cid, tokenizer.tokens(indexed_text(parsed.meta.title, c.heading,
                                                            c.text))))
        docs.append(Doc(path.stem, rows))
    return docs, bodies


def quality(ncp: Path, root: Path) -> list[str]:
    from assistant.core.text import squash
    from vectorstore.tokenize import Tokenizer

    docs, bodies = ncp_corpus(ncp)
    tokenizer = Tokenizer()
    qa = [json.loads(line) for line in (ncp / "qa.jsonl").read_text("utf-8").splitlines()
          if line.strip()]
    qa = [q for q in qa if q.get("evidence")]
    queries = [tokenizer.tokens(q["question"]) for q in qa]
    rows = []
    for name in ENGINES:
        engine = make_engine(name, root / f"q-{name}")
        if engine is None:
            continue
        engine.build(docs)
        ranks = []
        for q, tokens in zip(qa, queries, strict=True):
            wanted = [squash(e) for e in q["evidence"] if squash(e)]
            hits = [cid for cid, _ in engine.top(tokens, 10)]
            ranks.append(next((r for r, cid in enumerate(hits, 1)
                               if any(w in bodies[cid] for w in wanted)), None))
        rows.append(f"| {name} | {len(qa)} | {_share(ranks, 1):.3f} | {_share(ranks, 5):.3f} | "
                    f"{np.mean([1 / r if r else 0 for r in ranks]):.3f} |")
        if hasattr(engine, "unmatched"):
            print(f"{name}: {engine.unmatched(docs)} distinct jieba tokens not kept whole",
                  file=sys.stderr)
        engine.close()
    return rows


def _share(ranks: list[int | None], k: int) -> float:
    return sum(1 for r in ranks if r and r <= k) / len(ranks)


# --- 2. speed and size ----------------------------------------------------------------------
def speed(engine_name: str, docs: list[Doc], queries: list[list[str]], folder: Path) -> str:
    engine = make_engine(engine_name, folder)
    if engine is None:
        return f"| {engine_name} | (not installed) |"
    one = sorted(docs, key=lambda d: len(d.chunks))[len(docs) // 2]
    start = time.perf_counter()
    engine.build([d for d in docs if d is not one])
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    touched = engine.add(one)
    add_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    engine.remove(one.doc_hash)
    remove_ms = (time.perf_counter() - start) * 1000
    engine.add(one)
    engine.close()
    found = child(engine_name, folder, queries)
    chunks = sum(len(d.chunks) for d in docs)
    return (f"| {engine_name} | {chunks:,} | {build_s:.1f} | {add_ms:,.0f} | {remove_ms:,.0f} | "
            f"{touched} | {found['p50']:.1f} / {found['p95']:.1f} | {found['rss']:,.0f} | "
            f"{disk_mb(folder):,.0f} |")


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss, not inherited from the parent
    that forked it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def search_child(engine_name: str, folder: Path, queries: list[list[str]]) -> dict:
    base = peak_rss_mb()
    engine = make_engine(engine_name, folder, fresh=False)
    assert engine is not None
    times = []
    for tokens in queries:
        start = time.perf_counter()
        engine.top(tokens, 30)
        times.append((time.perf_counter() - start) * 1000)
    rss = peak_rss_mb() - base
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))],
            "rss": rss}


def child(engine_name: str, folder: Path, queries: list[list[str]]) -> dict:
    got = subprocess.run([sys.executable, __file__, "--search-only", engine_name, str(folder)],
                         input=json.dumps(queries, ensure_ascii=False), capture_output=True,
                         text=True, check=False)
    if got.returncode:
        sys.exit(f"error: search process failed:\n{got.stderr[-2000:]}")
    return json.loads(got.stdout.strip().splitlines()[-1])


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--laws", type=Path, default=LAWS, help="laws/ corpus folder")
    parser.add_argument("--ncp", type=Path, default=NCP, help="ncp-dev folder (docs/, qa.jsonl)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=100, help="queries per store size")
    parser.add_argument("--search-only", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.search_only:
        name, folder = args.search_only
        print(json.dumps(search_child(name, Path(folder), json.loads(sys.stdin.read()))))
        return
    root = Path(tempfile.mkdtemp(prefix="bench-lexical-"))
    try:
        quality_rows = quality(args.ncp, root)
        laws = tokenized_laws(args.laws)
        queries = law_queries(laws, args.queries)
        speed_rows = [speed(name, copies(laws, size), queries, root / f"{name}-{size}")
                      for size in args.sizes for name in ENGINES]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\nload: {os.getloadavg()[0]:.2f} (1-min average, 2 cores shared); sqlite "
          f"{sqlite3.sqlite_version}\n")
    print("| index | questions | span-hit@1 | span-hit@5 | MRR@10 |")
    print("|---|---|---|---|---|")
    print("\n".join(quality_rows))
    print("\n| index | chunks | build s | add one law ms | remove it ms | rows touched (add) "
          "| search ms p50 / p95 | search process RSS MB (above bare) | disk MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(speed_rows))


if __name__ == "__main__":
    main()
