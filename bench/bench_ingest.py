"""Ingest with the default embedder: wall time, chunks/s, the pipeline's overhead above raw
embedding, parsing ahead on or off; and `policyqa reindex` of an existing store.

    python bench/bench_ingest.py [--laws DIR] [--chunks 3000] [--reindex STORE]

1. A fixed subset of laws/ (every k-th file in name order, k chosen so the subset holds about
   --chunks chunks; 0 = every file) is ingested by `IngestPipeline.run` into a fresh store with
   a fresh embedding cache, with `ingest.parse_ahead` 2 (the default: files parsed on a second
   thread) and 0 (one after the other), against raw `embed_documents` on exactly the same chunk
   texts (title + heading + body, one call). The three kinds run interleaved for --rounds
   rounds (medians), so a shared machine's drift hits them alike; process CPU seconds are
   printed beside wall seconds (the work done, which drifts far less than wall time), and CPU /
   wall says whether the embedder already keeps both cores busy. Goal: overhead <= 10 %.
2. With --reindex STORE: the store is copied to a temporary folder and `policyqa reindex` runs
   on the copy in a new process (to the default embedder, or --target), timed end to end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.core.settings import Settings  # noqa: E402
from ingest.loaders.dispatch import iter_source_files  # noqa: E402

LAWS = ROOT.parent / "shared" / "corpus" / "laws"


def subset(folder: Path, target: int, settings: Settings) -> list[Path]:
    """Every k-th file in name order, k picked from a first pass so ~`target` chunks result."""
    from ingest.document import parse_document

    files = sorted(p for p, skip in iter_source_files([folder]) if skip is None)
    if not files:
        sys.exit(f"error: no .md/.txt files under {folder}: pass the laws/ corpus folder")
    if not target:
        return files
    sample = files[:: max(1, len(files) // 100)]
    per_file = sum(len(parse_document(p, settings.ingest).chunks) for p in sample) / len(sample)
    step = max(1, round(len(files) * per_file / target))
    return files[::step]


def texts_of(pipeline, files: list[Path]) -> list[str]:  # noqa: ANN001
    from assistant.core.types import indexed_text

    out = []
    for path in files:
        record, chunks = pipeline.prepare(path, str(path.resolve()), "x")
        out += [indexed_text(record.title, c.heading, c.text) for c in chunks]
    return out


def timed(fn) -> tuple[float, float]:  # noqa: ANN001
    """(wall seconds, process CPU seconds) of fn()."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def ingest_once(embeddings, folder: Path, files: list[Path], ahead: int):  # noqa: ANN001
    from assistant.services import Services

    settings = Settings(store={"path": folder}, ingest={"parse_ahead": ahead})
    services = Services(settings, embeddings=embeddings)
    services.tokenizer.tokens("预热")  # jieba's dictionary: once per process, not per ingest
    _ = services.kb  # opening Chroma is not ingest work either
    return services.ingest(files, progress=False)


def ingest_table(laws: Path, target: int, rounds: int, tmp: Path) -> None:
    from ingest.pipeline import IngestPipeline
    from vectorstore.embeddings.factory import make_embeddings

    settings = Settings()
    embeddings = make_embeddings(settings.embedding)
    embeddings.embed_query("预热")  # model load and graph build are not ingest work
    files = subset(laws, target, settings)
    start = time.perf_counter()
    texts = texts_of(IngestPipeline(None, settings, embeddings), files)  # type: ignore[arg-type]
    parse = time.perf_counter() - start
    print(f"\nsubset: {len(files)} of the laws/ files (every k-th by name), {len(texts)} chunks, "
          f"{sum(map(len, texts)) / len(texts):.0f} characters each (title + heading + body); "
          f"embedder {embeddings.identity}; reading, parsing and chunking them: {parse:.1f} s\n")
    runs: dict[str, list[tuple[float, float]]] = {}
    ingest_once(embeddings, tmp / "warm-up", files[:1], 2)  # one-off imports (bm25s, scipy …)

    def record(name: str, fn) -> None:  # noqa: ANN001
        runs.setdefault(name, []).append(timed(fn))

    for n in range(rounds):  # interleaved, so the machine's drift hits every kind alike
        record("raw embed_documents (one call, all texts)",
               lambda: embeddings.embed_documents(texts))
        for ahead in (2, 0):
            def run(ahead: int = ahead, n: int = n) -> None:
                report = ingest_once(embeddings, tmp / f"kb-{n}-{ahead}", files, ahead)
                if report.chunks != len(texts):
                    sys.exit(f"error: ingest stored {report.chunks} chunks, not {len(texts)}")
            record(f"IngestPipeline.run, parse_ahead={ahead}", run)
    raw = statistics.median(w for w, _ in runs["raw embed_documents (one call, all texts)"])
    raw_cpu = statistics.median(c for _, c in runs["raw embed_documents (one call, all texts)"])
    print(f"| run (median of {rounds}, interleaved) | wall s | chunks/s | CPU s | cores busy "
          f"| overhead above raw, wall | overhead above raw, CPU |")
    print("|---|---|---|---|---|---|---|")
    for name, got in runs.items():
        wall, cpu = statistics.median(w for w, _ in got), statistics.median(c for _, c in got)
        over = (f"{(wall - raw) / raw * 100:+.1f} % | {(cpu - raw_cpu) / raw_cpu * 100:+.1f} %"
                if name.startswith("Ingest") else "— | —")
        print(f"| {name} | {wall:.1f} | {len(texts) / wall:.2f} | {cpu:.1f} | {cpu / wall:.2f} "
              f"| {over} |")
    every = "; ".join(f"{name.split(' (')[0]}: " + ", ".join(f"{w:.0f}" for w, _ in got)
                      for name, got in runs.items())
    print(f"\nevery run's wall s — {every} (goal: overhead <= 10 %)")


def reindex_table(store: Path, target: str, tmp: Path) -> None:
    if not (store / "chroma").is_dir():
        sys.exit(f"error: --reindex {store} holds no knowledge base")
    copy = tmp / "reindex-copy"
    shutil.copytree(store, copy)
    command = [sys.executable, "-m", "assistant.cli", "reindex", "--store", str(copy),
               "--no-progress"] + (["--embedding", target] if target else [])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    got = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if got.returncode:
        sys.exit(f"error: reindex exited {got.returncode}:\n{got.stderr[-2000:]}")
    print(f"\n| `policyqa reindex` (new process) | wall s | report |\n|---|---|---|\n"
          f"| {store.name} → {target or 'default'} | {seconds:.1f} | {got.stdout.strip()} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--laws", type=Path, default=LAWS, help="laws/ corpus folder")
    parser.add_argument("--chunks", type=int, default=3000,
                        help="about this many chunks in the subset (0 = all of laws/)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of (raw, parse_ahead 2, parse_ahead 0), interleaved")
    parser.add_argument("--reindex", type=Path, help="also time `policyqa reindex` of a copy "
                        "of this store")
    parser.add_argument("--target", default="", help="reindex to this embedding.mode "
                        "(default: the configured one)")
    parser.add_argument("--no-ingest", action="store_true", help="only the reindex row")
    args = parser.parse_args()
    if not args.no_ingest and not args.laws.is_dir():
        sys.exit(f"error: --laws {args.laws} is not a folder: pass the laws/ corpus folder")
    print(f"load before: {os.getloadavg()} (1/5/15-min averages; 2 cores shared)")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        if not args.no_ingest:
            ingest_table(args.laws, args.chunks, max(1, args.rounds), Path(tmp))
        if args.reindex:
            reindex_table(args.reindex, args.target, Path(tmp))
    print(f"\nload after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
