"""Cold start: `policyqa search` from a new process, and `policyqa serve` until it answers.

    python bench/bench_coldstart.py [--store DIR] [--repeats 5] [--serve-repeats 3] [--stages]

With no --store, the seed corpus (../shared/corpus/seed, else samples/docs) is ingested with the
default embedder into a temporary store first. Each search run is a new `policyqa search "<q>"
--store S` process (imports, Chroma opens, the embedder loads, BM25 index and jieba's dictionary
load); the wall time to exit 0 is measured, median of --repeats. Each serve run starts `policyqa
serve --store S --port P` and polls http://127.0.0.1:P/ until it returns 200; then the process
is stopped. --stages times each step of a cold search one after the other in a new process
(no step overlaps another, unlike `policyqa search`, which loads jieba on a second thread).
Goals: search <= 2.5 s, serve ready <= 15 s.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_POLICYQA = ROOT / ".venv" / "bin" / "policyqa"
POLICYQA = [str(VENV_POLICYQA)] if VENV_POLICYQA.is_file() else \
    [sys.executable, "-m", "assistant.cli"]  # a worktree without its own venv
SEED = ROOT.parent / "shared" / "corpus" / "seed"
QUESTIONS = ("当前制约县域经济发展的突出瓶颈有哪些", "数字经济核心产业增加值目标是多少",
             "优化营商环境的主要措施")
STAGES = """
import sys, time
marks, t0 = [], time.perf_counter()
def mark(name):
    global t0
    now = time.perf_counter(); marks.append((name, now - t0)); t0 = now
import assistant.cli.commands; mark("import assistant.cli + commands (pydantic, langchain_core)")
import chromadb; mark("import chromadb")
from assistant.core.settings import Settings
from assistant.core.types import SearchFilter
from assistant.services import Services
services = Services(Settings(store={"path": sys.argv[1]}))
services.embedding_settings; mark("read the store's embedding identity (opens Chroma)")
services.tokenizer.tokens("预热"); mark("jieba dictionary (policy terms added)")
kb = services.kb; mark("open the knowledge base")
kb.ensure_bm25(); mark("BM25 index load")
services.embeddings.embed_query("预热"); mark("embedder load + one query")
services.chain("extractive").search(sys.argv[2], 5, SearchFilter()); mark("first search")
for name, seconds in marks:
    print(f"{name}\t{seconds:.3f}")
"""


def env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
            "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(ROOT)}


def build_store(folder: Path) -> None:
    corpus = SEED if SEED.is_dir() else ROOT / "samples" / "docs"
    got = subprocess.run([*POLICYQA, "ingest", str(corpus), "--store", str(folder),
                          "--no-progress"], capture_output=True, text=True, env=env(),
                         check=False)
    if got.returncode:
        sys.exit(f"error: ingest of {corpus} failed:\n{got.stderr[-2000:]}")
    print(f"{corpus}: {got.stdout.strip().splitlines()[-1] if got.stdout.strip() else ''}",
          file=sys.stderr)


def stages(store: Path, question: str) -> list[tuple[str, float]]:
    got = subprocess.run([sys.executable, "-c", STAGES, str(store), question],
                         capture_output=True, text=True, env=env(), check=False)
    if got.returncode:
        sys.exit(f"error: the stage run failed:\n{got.stderr[-2000:]}")
    return [(name, float(s)) for name, s in (line.split("\t") for line in
                                              got.stdout.strip().splitlines())]


def search_once(store: Path, question: str) -> float:
    start = time.perf_counter()
    got = subprocess.run([*POLICYQA, "search", question, "--store", str(store), "-k", "5"],
                         capture_output=True, text=True, env=env(), check=False)
    seconds = time.perf_counter() - start
    if got.returncode or not got.stdout.strip():
        sys.exit(f"error: policyqa search exited {got.returncode}:\n{got.stderr[-2000:]}")
    return seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_once(store: Path, timeout: float = 180.0) -> float:
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen([*POLICYQA, "serve", "--store", str(store), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env())
    try:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                sys.exit(f"error: policyqa serve exited {proc.returncode}:\n"
                         f"{proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
            if answers(f"http://127.0.0.1:{port}/"):
                return time.perf_counter() - start
            time.sleep(0.1)
        sys.exit(f"error: policyqa serve was not ready after {timeout:.0f} s")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--store", type=Path, help="an existing store (default: build one "
                        "from the seed corpus with the default embedder)")
    parser.add_argument("--repeats", type=int, default=5, help="search processes")
    parser.add_argument("--serve-repeats", type=int, default=3, help="serve processes (0 = skip)")
    parser.add_argument("--stages", type=int, default=0, metavar="N",
                        help="also time each step of a cold search, median of N processes")
    args = parser.parse_args()
    if args.store and not (args.store / "chroma").is_dir():
        sys.exit(f"error: --store {args.store} holds no knowledge base: ingest into it first")
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        store = args.store or Path(tmp) / "kb"
        if not args.store:
            build_store(store)
        search = [search_once(store, QUESTIONS[i % len(QUESTIONS)])
                  for i in range(max(1, args.repeats))]
        load = os.getloadavg()
        serve = [serve_once(store) for _ in range(args.serve_repeats)]
        steps = [stages(store, QUESTIONS[0]) for _ in range(args.stages)]
        model = subprocess.run([*POLICYQA, "models", "--store", str(store)], capture_output=True,
                               text=True, env=env(), check=False).stdout.splitlines()[2:3]
    print(f"\nload during the searches: {load[0]:.2f} / {load[1]:.2f} (1 / 5-min averages, "
          f"2 cores shared); {''.join(model).strip()}\n")
    print("| command (new process) | runs | median s | min s | max s | goal |")
    print("|---|---|---|---|---|---|")
    print(f"| `policyqa search \"…\" --store S` | {len(search)} | {statistics.median(search):.1f} "
          f"| {min(search):.1f} | {max(search):.1f} | ≤ 2.5 s |")
    if serve:
        print(f"| `policyqa serve --store S` until HTTP 200 | {len(serve)} | "
              f"{statistics.median(serve):.1f} | {min(serve):.1f} | {max(serve):.1f} | ≤ 15 s |")
    if steps:
        print(f"\n| step of a cold search, one after the other (median of {len(steps)}) | s |")
        print("|---|---|")
        for i, (name, _) in enumerate(steps[0]):
            print(f"| {name} | {statistics.median(run[i][1] for run in steps):.2f} |")
        print(f"| **sum** | {statistics.median(sum(s for _, s in run) for run in steps):.2f} |")


if __name__ == "__main__":
    main()
