"""The audit log: every login, failed or refused login, denied action and write — who, when,
which knowledge base, what, the file and its content hash, the result. One JSON line each in
`<store>/audit.jsonl` (or the shared Chroma log in server mode); `policyqa audit` prints it.

Only the fields below are ever written, so no password or request body can reach the log.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

from assistant.access.tables import Log, Row

FIELDS = ("time", "user", "event", "kb", "what", "file", "sha256", "result", "address")


class AuditLog:
    def __init__(self, log: Log, clock: Callable[[], float] = time.time) -> None:
        self.log = log
        self.clock = clock

    def record(self, event: str, user: str, *, kb: str = "", what: str = "", file: str = "",
               sha256: str = "", result: str = "ok", address: str = "") -> Row:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.clock()))
        row = dict(zip(FIELDS, (stamp, user, event, kb, what, file, sha256, result, address),
                       strict=True))
        self.log.append({k: v for k, v in row.items() if v or k in ("time", "user", "event")})
        return row

    def entries(self, since: str = "", user: str = "") -> list[Row]:
        """Lines on or after `since` (YYYY[-MM[-DD]]) by `user` (any case), oldest first."""
        rows = sorted(self.log.rows(), key=lambda r: str(r.get("time", "")))
        if since:
            rows = [r for r in rows if str(r.get("time", ""))[:len(since)] >= since]
        if user:
            wanted = user.strip().casefold()
            rows = [r for r in rows if str(r.get("user", "")).casefold() == wanted]
        return rows


def file_sha256(path: str | Path) -> str:
    """The content hash an audit line names (empty when the file is gone)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


def line(row: Row) -> str:
    """One audit line for a terminal."""
    cells = [str(row.get(k, "")) for k in FIELDS if row.get(k)]
    return "  ".join(cells)
