"""Local GGUF model speed on policy context: load, prompt eval, first token, generation, RSS.

    .venv/bin/python bench/bench_llm.py [--corpus DIR] [--chars 1500] [--max-tokens 200]

Three ~1,500-character contexts are cut from the seed corpus (read-only). The first prompt is
sent twice: the repeat shows the prompt cache (everything but the last token is reused); the
other two share only the system prompt with it.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from assistant.core.settings import LLMSettings
from assistant.llm.local import LocalLlamaChat, make_local_chat

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "seed"
SYSTEM = ("你是政策文件问答助手。只根据用户给出的资料回答问题，不要编造资料中没有的内容。"
          "回答要简明，用中文，每个要点后用[编号]注明出处；资料不足时直接说明无法回答。")
QUESTIONS = ["根据资料，这部分提出了哪些主要任务和时间要求？",
             "资料中对各县（市）提出了什么具体要求？",
             "概括资料中提到的主要问题和改进措施。"]
PASSAGES_PER_CONTEXT = 3


@dataclass(frozen=True)
class Row:
    name: str
    context_chars: int
    prompt_tokens: int
    cached_tokens: int
    prompt_tok_s: float
    ttft_s: float
    gen_tokens: int
    gen_tok_s: float
    total_s: float


def cut_contexts(corpus: Path, chars: int, count: int) -> list[str]:
    """`count` consecutive windows of about `chars` characters, cut at line ends."""
    lines = [line.strip() for path in sorted(corpus.glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    windows, current = [], ""
    for line in lines:
        current += line[: chars - len(current)]
        if len(current) >= chars:
            windows.append(current)
            current = ""
    if len(windows) < count:
        raise SystemExit(f"{corpus} has text for only {len(windows)} windows of {chars} chars")
    return windows[:count]


def to_passages(context: str) -> str:
    size = -(-len(context) // PASSAGES_PER_CONTEXT)
    pieces = [context[i:i + size] for i in range(0, len(context), size)]
    return "\n\n".join(f"[{n}] {piece}" for n, piece in enumerate(pieces, start=1))


def build_messages(context: str, question: str) -> list[BaseMessage]:
    return [SystemMessage(SYSTEM),
            HumanMessage(f"资料：\n{to_passages(context)}\n\n问题：{question}")]


def run_one(model: LocalLlamaChat, name: str, context: str, question: str) -> Row:
    start = time.perf_counter()
    first_token, merged = 0.0, None
    for chunk in model.stream(build_messages(context, question)):
        if chunk.text and not first_token:
            first_token = time.perf_counter() - start
        merged = chunk if merged is None else merged + chunk
    total = time.perf_counter() - start
    assert merged is not None
    t = merged.response_metadata["timings"]
    return Row(name, len(context), t["prompt_tokens"] + t["cached_tokens"], t["cached_tokens"],
               t["prompt_tokens"] / max(t["prompt_ms"], 1e-9) * 1000, first_token,
               t["generated_tokens"], t["generated_tokens"] / max(t["gen_ms"], 1e-9) * 1000,
               total)


def print_table(rows: list[Row]) -> None:
    header = (f"{'call':<14}{'ctx chars':>10}{'prompt tok':>11}{'cached':>8}{'prompt tok/s':>14}"
              f"{'TTFT s':>9}{'gen tok':>9}{'gen tok/s':>11}{'total s':>9}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.name:<14}{r.context_chars:>10}{r.prompt_tokens:>11}{r.cached_tokens:>8}"
              f"{r.prompt_tok_s:>14.1f}{r.ttft_s:>9.2f}{r.gen_tokens:>9}{r.gen_tok_s:>11.1f}"
              f"{r.total_s:>9.2f}")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--chars", type=int, default=1500)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=0, help="generation threads, 0 = all")
    parser.add_argument("--threads-batch", type=int, default=0, help="prompt threads, 0 = same")
    args = parser.parse_args(argv)
    contexts = cut_contexts(args.corpus, args.chars, len(QUESTIONS))
    settings = LLMSettings(mode="local", n_ctx=args.n_ctx, max_tokens=args.max_tokens,
                           threads=args.threads)
    start = time.perf_counter()
    model = make_local_chat(settings)
    model.threads_batch = args.threads_batch
    resolve_s = time.perf_counter() - start
    start = time.perf_counter()
    model.load()
    load_s = time.perf_counter() - start
    print(f"model: {Path(model.model_path).name}  n_ctx={args.n_ctx}  "
          f"max_tokens={args.max_tokens}  threads={model.threads or 'all'}/"
          f"{model.threads_batch or 'same'} (gen/prompt)  load avg {os.getloadavg()[0]:.1f}")
    print(f"resolve/verify model file: {resolve_s:.2f} s   load: {load_s:.2f} s   "
          f"peak RSS after load: {peak_rss_mb():.0f} MB\n")
    plan = [("A (cold)", 0), ("A (repeat)", 0), ("B", 1), ("C", 2)]
    rows = [run_one(model, name, contexts[i], QUESTIONS[i]) for name, i in plan]
    print_table(rows)
    print(f"\npeak RSS: {peak_rss_mb():.0f} MB")
    model.close()


if __name__ == "__main__":
    main()
