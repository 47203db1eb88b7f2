"""Where users, lockouts and audit lines are kept. Two small Protocols — a keyed Table of JSON
rows and an append-only Log — with the local implementations: SQLite tables in
`<store>/users.sqlite`, JSON lines in `<store>/audit.jsonl`. In server mode the composition
root passes Chroma-backed ones instead (vectorstore/shared_tables.py), so every node sees the
same users, lockouts and audit."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

Row = dict[str, Any]


class Table(Protocol):
    def get(self, key: str) -> Row | None: ...

    def put(self, key: str, row: Row) -> None: ...

    def delete(self, key: str) -> bool: ...

    def rows(self) -> list[Row]: ...


class Log(Protocol):
    def append(self, row: Row) -> None: ...

    def rows(self) -> list[Row]: ...


class SqliteTable:
    """One table of (key, JSON row) in a SQLite file the owner alone may read (0600)."""

    def __init__(self, path: Path, name: str) -> None:
        if not name.isidentifier():
            raise ValueError(f"table name {name!r} is not an identifier")
        self.path = Path(path)
        self.name = name
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            private(self.path)
        db = sqlite3.connect(self.path, timeout=10)
        try:
            if not self._ready:
                db.execute(f"CREATE TABLE IF NOT EXISTS {self.name} "
                           "(key TEXT PRIMARY KEY, row TEXT NOT NULL)")
                self._ready = True
            with db:  # one transaction per call
                yield db
        finally:
            db.close()

    def get(self, key: str) -> Row | None:
        with self._connect() as db:
            got = db.execute(f"SELECT row FROM {self.name} WHERE key = ?", (key,)).fetchone()
        return json.loads(got[0]) if got else None

    def put(self, key: str, row: Row) -> None:
        text = json.dumps(row, ensure_ascii=False)
        with self._connect() as db:
            db.execute(f"INSERT OR REPLACE INTO {self.name} (key, row) VALUES (?, ?)", (key, text))

    def delete(self, key: str) -> bool:
        with self._connect() as db:
            return db.execute(f"DELETE FROM {self.name} WHERE key = ?", (key,)).rowcount > 0

    def rows(self) -> list[Row]:
        if not self.path.exists():
            return []
        with self._connect() as db:
            return [json.loads(r) for (r,) in db.execute(f"SELECT row FROM {self.name} "
                                                          "ORDER BY key")]


class JsonlLog:
    """Append-only JSON lines (one write per line, so two processes never interleave)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, row: Row) -> None:
        line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def rows(self) -> list[Row]:
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]


def private(path: Path) -> None:
    """Create `path` readable and writable by its owner only (it holds password hashes)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
