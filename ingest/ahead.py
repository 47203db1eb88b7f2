"""Work done on a second thread a few items ahead of its consumer: ingest reads, parses and
chunks the next files while the current ones embed. Order is kept; an error on the second
thread is raised in the consumer; a consumer that stops early stops the thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_DONE = object()  # the worker's last item


def ahead(items: Sequence[T], work: Callable[[T], R], depth: int) -> Generator[R, None, None]:
    """work(item) for each item in order, computed on a second thread up to `depth` items
    ahead of the caller; in line when depth is 0. Close the generator when done with it."""
    if depth == 0:
        yield from (work(item) for item in items)
        return
    handed: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand(value: object) -> bool:
        while not stop.is_set():
            try:
                handed.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand(work(item)):
                    return
            hand(_DONE)
        except BaseException as exc:  # noqa: BLE001 - raised again in the consumer
            hand(exc)

    threading.Thread(target=produce, name="ingest-ahead", daemon=True).start()
    try:
        while (value := handed.get()) is not _DONE:
            if isinstance(value, BaseException):
                raise value
            yield value  # type: ignore[misc]
    finally:
        stop.set()
