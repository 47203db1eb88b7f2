"""Ingest with the default embedder: wall time, chunks/s, the pipeline's overhead above raw
embedding, parsing ahead on or off; and `policyqa reindex` of an existing store.

    python bench/bench_ingest.py [--laws DIR] [--chunks 3000] [--reindex STORE]

1. A fixed subset of laws/ (every k-th file in name order, k chosen so the subset holds about
   --chunks chunks; 0 = every file) is ingested by `IngestPipeline.run` into a fresh store with
   a fresh embedding cache, once with `ingest.parse_ahead` 2 (the default: files parsed on a
   second thread) and once with 0 (one after the other). Raw `embed_documents` on exactly the
   same chunk texts (title + heading + body, one call) runs before and after; their mean is the
   reference, their spread shows how much the shared machine drifted. CPU use during the raw
   run (process CPU seconds / wall seconds) says whether the embedder already keeps both cores
   busy. Goal: overhead <= 10 %.
2. With --reindex STORE: the store is copied to a temporary folder and `policyqa reindex` runs
   on the copy in a new process (to the default embedder, or --target), timed end to end.
"""

from __future__ import annotations

import argparse
import os
import shutil
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
    return services.ingest(files, progress=False)


def ingest_table(laws: Path, target: int, tmp: Path) -> None:
    from vectorstore.embeddings.factory import make_embeddings

    settings = Settings()
    embeddings = make_embeddings(settings.embedding)
    embeddings.embed_query("预热")  # model load and graph build are not ingest work
    files = subset(laws, target, settings)
    from ingest.pipeline import IngestPipeline

    texts = texts_of(IngestPipeline(None, settings, embeddings), files)  # type: ignore[arg-type]
    print(f"\nsubset: {len(files)} of the laws/ files, {len(texts)} chunks, "
          f"{sum(map(len, texts)) / len(texts):.0f} characters each (title + heading + body); "
          f"embedder {embeddings.identity}\n")
    rows = [("raw embed_documents (before)", *timed(lambda: embeddings.embed_documents(texts)))]
    runs = {}
    for ahead in (2, 0):
        start = time.perf_counter()
        report = ingest_once(embeddings, tmp / f"kb-ahead{ahead}", files, ahead)
        runs[ahead] = time.perf_counter() - start
        if report.chunks != len(texts):
            sys.exit(f"error: ingest stored {report.chunks} chunks, expected {len(texts)}")
        rows.append((f"IngestPipeline.run, parse_ahead={ahead}", runs[ahead], float("nan")))
    rows.append(("raw embed_documents (after)", *timed(lambda: embeddings.embed_documents(texts))))
    raw = (rows[0][1] + rows[-1][1]) / 2
    print("| run | wall s | chunks/s | CPU use (cores) | overhead above raw |")
    print("|---|---|---|---|---|")
    for name, wall, cpu in rows:
        use = f"{cpu / wall:.2f}" if cpu == cpu else "—"
        over = f"{(wall - raw) / raw * 100:+.1f} %" if name.startswith("Ingest") else "—"
        print(f"| {name} | {wall:.1f} | {len(texts) / wall:.2f} | {use} | {over} |")
    drift = abs(rows[-1][1] - rows[0][1]) / raw * 100
    print(f"\nraw runs differ by {drift:.1f} %; parsing ahead saved "
          f"{(runs[0] - runs[2]) / runs[0] * 100:+.1f} % of the wall time (goal: overhead <= 10 %)")


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
            ingest_table(args.laws, args.chunks, Path(tmp))
        if args.reindex:
            reindex_table(args.reindex, args.target, Path(tmp))
    print(f"\nload after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
