"""Two app nodes on one Chroma server: how long an upload through one takes to be answerable
through the other, and a deletion likewise; and that the other node indexed only what changed.

    .venv/bin/python bench/bench_nodes.py [--laws DIR] [--docs 100] [--rounds 5]

Starts `chroma run` on a free loopback port, fills it with the first --docs laws documents
(`policyqa ingest --chroma-url`, hash embedder), then two `policyqa serve` processes, each with
its own --store folder. Node 2 answers once (its first look builds its BM25 index from the
stored chunks). Then, --rounds times: a new small notice is uploaded through node 1's `/ingest`
(gradio_client); from the moment that call returns, node 2's `/chat` is asked every 0.2 s until
its answer quotes the notice (propagation; goal <= 5 s); then the notice is deleted through
node 1 and node 2 is asked until it refuses. Node 2's log says what each catch-up did.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_stages import LAWS, corpus_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), POLICYQA_EMBEDDING__MODE="hash",
           ANONYMIZED_TELEMETRY="False", GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
CATCH_UP = re.compile(r"bm25 index at generation=(\d+): (\d+) logged changes read, (\d+) chunks "
                      r"indexed, (\d+) chunks removed, compared with the registry: (\w+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, what: str, seconds: float = 180) -> None:
    deadline = time.time() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                sys.exit(f"error: {what} did not start")
            time.sleep(0.3)


def notice(i: int) -> tuple[str, str, str]:
    """(file text, question, words the answer must quote) of round i's notice."""
    text = (f"关于开展第{i}轮城乡供水设施安全检查的通知\n\n一、检查范围\n"
            f"全市城乡供水厂站、加压泵站和输配水管网均纳入第{i}轮检查。\n\n二、工作要求\n"
            f"各县（市）水利局要在11月{i + 10}日前完成检查，"
            f"市水务集团第{i}分公司负责汇总上报检查结果。\n")
    question = f"第{i}轮城乡供水设施安全检查由谁负责汇总上报检查结果？"
    return text, question, f"第{i}分公司负责汇总上报"


def until(fn, limit: float = 60.0) -> float | None:  # noqa: ANN001
    """Seconds until fn() is true, asking every 0.2 s; None after `limit`."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if fn():
            return time.perf_counter() - start
        time.sleep(0.2)
    return None


def rounds(url1: str, url2: str, folder: Path, n: int) -> list[tuple[float | None, ...]]:
    from gradio_client import Client, handle_file

    from assistant.answer.gate import REFUSAL

    first, second = Client(url1, verbose=False), Client(url2, verbose=False)
    second.predict("供水设施安全检查", api_name="/chat")  # node 2's first look
    out = []
    for i in range(1, n + 1):
        text, question, quote = notice(i)
        path = folder / f"第{i}轮供水设施安全检查通知.txt"
        path.write_text(text, encoding="utf-8")
        start = time.perf_counter()
        first.predict([handle_file(path)], api_name="/ingest")
        upload_s = time.perf_counter() - start
        seen = until(lambda q=question, w=quote: w in second.predict(q, api_name="/chat"))
        stored = folder / "node1" / "uploads" / path.name
        first.predict(str(stored.resolve()), api_name="/delete_document")
        gone = until(lambda q=question: REFUSAL in second.predict(q, api_name="/chat"))
        out.append((upload_s, seen, gone))
    return out


def start(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "w") as handle:
        return subprocess.Popen([sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, env=ENV,
                                stdout=handle, stderr=handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--laws", type=Path, default=LAWS, help="laws/ corpus folder")
    parser.add_argument("--docs", type=int, default=100, help="laws documents stored first")
    parser.add_argument("--rounds", type=int, default=5, help="upload/delete rounds")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-nodes-"))
    procs: list[subprocess.Popen] = []
    try:
        port = free_port()
        chroma = Path(sys.executable).parent / "chroma"
        procs.append(subprocess.Popen([str(chroma), "run", "--path", str(tmp / "server"),
                                       "--host", "127.0.0.1", "--port", str(port)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/api/v2/heartbeat", procs[0], "chroma run")
        laws = tmp / "laws"
        for path in corpus_files(args.laws)[:args.docs]:
            (laws / path.relative_to(args.laws)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, laws / path.relative_to(args.laws))
        start_s = time.perf_counter()
        subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", str(laws), "--store",
                        str(tmp / "node1"), "--chroma-url", url, "--no-progress"], cwd=ROOT,
                       env=ENV, check=True, capture_output=True)
        fill_s = time.perf_counter() - start_s
        urls = []
        for name in ("node1", "node2"):
            node_port = free_port()
            procs.append(start(["--verbose", "serve", "--store", str(tmp / name), "--chroma-url",
                                url, "--port", str(node_port)], tmp / f"{name}.log"))
            urls.append(f"http://127.0.0.1:{node_port}")
            wait_http(urls[-1], procs[-1], name)
        results = rounds(urls[0], urls[1], tmp, args.rounds)
        report(args.docs, fill_s, results, tmp / "node2.log")
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def report(docs: int, fill_s: float, results: list, log: Path) -> None:
    catch_ups = CATCH_UP.findall(log.read_text(encoding="utf-8"))
    print(f"\nload: {os.getloadavg()[0]:.2f} (1-min average, 2 cores shared); server filled "
          f"with {docs} laws documents in {fill_s:.0f} s; hash embedder\n")
    print("| round | upload via node 1 s | visible on node 2 after s | deletion visible after s |")
    print("|---|---|---|---|")
    for i, (upload_s, seen, gone) in enumerate(results, 1):
        print(f"| {i} | {upload_s:.1f} | {_s(seen)} | {_s(gone)} |")
    seen = [s for _, s, _ in results if s is not None]
    gone = [g for _, _, g in results if g is not None]
    if seen and gone:
        print(f"| median | | {statistics.median(seen):.1f} | {statistics.median(gone):.1f} |")
    print("\nnode 2's catch-ups (generation, logged changes read, chunks indexed, chunks removed, "
          "compared with the registry):")
    for row in catch_ups:
        print("  " + ", ".join(row))


def _s(value: float | None) -> str:
    return "not within 60 s" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    main()
