"""What an ingest says: while it runs, files and chunks done, the embedding rate, the time left
and, before a long file embeds, its chunk count and expected time ("x.txt：2,310 段，预计 2 分钟");
when it is done, what became of each file (`IngestReport`).

`Progress` keeps the counts and draws nothing; `TqdmProgress` draws two bars on stderr for the
CLI; the web page subclasses `Progress` and streams `status()` and the notices.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

LONG_FILE_CHUNKS = 200  # a file with this many chunks is announced before it embeds


@dataclass(frozen=True)
class FileResult:
    source: str
    status: str  # ingested | unchanged | skipped
    reason: str = ""
    chunks: int = 0
    title: str = ""


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def chunks(self) -> int:
        return sum(r.chunks for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 when something was ingested or all was unchanged; 1 when nothing could be."""
        ok = self.count("ingested") + self.count("unchanged")
        return 0 if ok else 1

    def summary(self) -> str:
        counts = Counter(r.status for r in self.results)
        lines = [f"ingested {counts['ingested']} · unchanged {counts['unchanged']} · "
                 f"skipped {counts['skipped']} · chunks {self.chunks} · {self.seconds:.1f} s"]
        lines += [f"  skipped {r.source}: {r.reason}" for r in self.results
                  if r.status == "skipped"]
        return "\n".join(lines)


class Progress:
    """Counts of one ingest run; the pipeline calls the event methods in this order: planned,
    then per file [chunked, embedded…] and file_done, then close."""

    def __init__(self) -> None:
        self.files = self.files_done = 0
        self.chunks = self.chunks_done = 0  # chunks of the files chunked so far
        self.embed_seconds = 0.0
        self.started = time.perf_counter()
        self.notices: list[str] = []
        self._pending: list[tuple[str, int]] = []  # long files waiting for a known rate

    # --- events (subclasses extend them to draw) ----------------------------------------------
    def planned(self, files: int) -> None:
        self.files = files

    def chunked(self, name: str, chunks: int) -> None:
        """A file was parsed and chunked; its chunks embed next."""
        self.chunks += chunks
        if chunks >= LONG_FILE_CHUNKS:
            self._pending.append((name, chunks))
            self._announce()

    def embedded(self, chunks: int, seconds: float) -> None:
        self.chunks_done += chunks
        self.embed_seconds += seconds
        self._announce()

    def file_done(self, result: FileResult) -> None:
        self.files_done += 1

    def notice(self, text: str) -> None:
        self.notices.append(text)

    def close(self) -> None:
        """The run is over (also after an error)."""

    # --- derived ------------------------------------------------------------------------------
    def rate(self) -> float | None:
        """Chunks embedded per second of embedding so far; None before the first batch."""
        return self.chunks_done / self.embed_seconds if self.embed_seconds > 0 else None

    def status(self) -> str:
        """One line: files and chunks done, the rate and the time left for the known chunks."""
        line = f"文件 {self.files_done}/{self.files} · 段落 {self.chunks_done:,}/{self.chunks:,}"
        rate = self.rate()
        if rate:
            left = duration((self.chunks - self.chunks_done) / rate)
            line += f" · {rate:.1f} 段/秒 · 约剩 {left}"
        return line

    def _announce(self) -> None:
        """Say how long each long file will take, as soon as a rate is known: before it
        embeds, or, in a run's first file, after its first batch."""
        rate = self.rate()
        while self._pending and rate:
            name, chunks = self._pending.pop(0)
            self.notice(f"{name}：{chunks:,} 段，预计 {duration(chunks / rate)}")


def duration(seconds: float) -> str:
    """A rough duration in Chinese: 40 秒, 2 分钟, 1 小时 5 分钟."""
    if seconds < 60:
        return f"{max(1, round(seconds))} 秒"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} 分钟"
    return f"{minutes // 60} 小时 {minutes % 60} 分钟"


class TqdmProgress(Progress):
    """Two tqdm bars on stderr: files, and chunks embedded (rate and ETA); notices above them."""

    def __init__(self) -> None:
        super().__init__()
        from tqdm import tqdm

        self._tqdm = tqdm
        self._files: Any = None
        self._chunks: Any = None

    def planned(self, files: int) -> None:
        super().planned(files)
        self._files = self._tqdm(total=files, desc="files ", unit="file", file=sys.stderr,
                                 position=0, leave=False, dynamic_ncols=True)
        self._chunks = self._tqdm(total=0, desc="chunks", unit="chunk", file=sys.stderr,
                                  position=1, leave=False, dynamic_ncols=True, smoothing=0.1,
                                  miniters=1)  # one batch is seconds: draw every one

    def chunked(self, name: str, chunks: int) -> None:
        self._chunks.total = self.chunks + chunks
        self._chunks.refresh()
        super().chunked(name, chunks)

    def embedded(self, chunks: int, seconds: float) -> None:
        super().embedded(chunks, seconds)
        self._chunks.update(chunks)

    def file_done(self, result: FileResult) -> None:
        super().file_done(result)
        self._files.update(1)

    def notice(self, text: str) -> None:
        super().notice(text)
        self._tqdm.write(text, file=sys.stderr)

    def close(self) -> None:
        for bar in (self._chunks, self._files):
            if bar is not None:
                bar.close()
