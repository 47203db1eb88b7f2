"""A first-come, first-served waiting line in front of one slow model.

The local model answers one question at a time (its `compute_lock`), and a plain lock is not
fair and says nothing while it blocks. A `ModelQueue` hands out tickets in arrival order: a
ticket knows how many questions are ahead of it, so the page can show "排队中：前面还有 N 个问题"
and refresh it while it waits, and the line moves on when the ticket at its head is released
(also when a waiting user leaves: a released ticket simply drops out of the line).

    with queue.ticket() as ticket:
        while not ticket.wait(1.0):
            show(ticket.position)
        ...call the model...
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from types import TracebackType


class ModelQueue:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._line: deque[Ticket] = deque()
        self._numbers = itertools.count(1)

    def ticket(self) -> Ticket:
        """Join the end of the line."""
        with self._cond:
            ticket = Ticket(self, next(self._numbers))
            self._line.append(ticket)
            return ticket

    def __len__(self) -> int:
        """Questions in line, the one being answered included."""
        with self._cond:
            return len(self._line)

    def _position(self, ticket: Ticket) -> int:
        with self._cond:
            return self._line.index(ticket) if ticket in self._line else 0

    def _wait(self, ticket: Ticket, timeout: float | None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: ticket not in self._line or self._line[0] is ticket,
                                       timeout)

    def _release(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket in self._line:
                self._line.remove(ticket)
                self._cond.notify_all()


class Ticket:
    """One place in a `ModelQueue`; release it (or leave its `with` block) when done."""

    def __init__(self, queue: ModelQueue, number: int) -> None:
        self.queue = queue
        self.number = number

    @property
    def position(self) -> int:
        """Questions ahead of this one (0 = its turn)."""
        return self.queue._position(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until it is this ticket's turn, or `timeout` seconds; True when it is."""
        return self.queue._wait(self, timeout)

    def release(self) -> None:
        self.queue._release(self)

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"Ticket(number={self.number}, position={self.position})"
