"""Login lockouts: too many failed logins lock a user name, or a client address, for a while;
while locked even the right password is refused.

The counters are rows of a Table (users.sqlite, or Chroma in server mode, so every node counts
the same failures), keyed "user:<name>" and "address:<ip>". An attempt is reserved as a
failure before the password is checked, so a burst of parallel guesses cannot all slip through
before the first one fails; a success takes its reservation back and clears the user's
count — not the address's (logging into one's own account must not wipe the count of the
guesses made from the same machine).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from assistant.access.tables import Row, Table
from assistant.access.users import user_key
from assistant.core.settings import AccessSettings

logger = logging.getLogger(__name__)

Keys = list[tuple[str, int]]  # (row key, failures allowed)


class Throttle:
    def __init__(self, table: Table, settings: AccessSettings,
                 clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()

    def keys(self, name: str, address: str) -> Keys:
        keys = [(f"address:{address}", self.settings.max_failures_per_address)] if address else []
        if name.strip():
            keys.append((f"user:{user_key(name)}", self.settings.max_failures))
        return keys

    def begin(self, keys: Keys) -> tuple[float, float]:
        """(seconds to wait, 0) when a key is locked; else (0, the time this attempt was
        reserved at), which `end` settles."""
        now = self.clock()
        with self._lock:
            rows = {key: self._row(key, now) for key, _ in keys}
            wait = max((rows[key]["locked_until"] - now for key, _ in keys), default=0.0)
            full = any(len(rows[key]["failures"]) >= limit for key, limit in keys)
            if wait > 0 or full:  # `full`: the in-flight attempts already reach the limit
                return max(wait, 1.0), 0.0
            for key, _ in keys:
                rows[key]["failures"].append(now)
                self.table.put(key, rows[key])
        return 0.0, now

    def end(self, keys: Keys, started: float, ok: bool) -> list[str]:
        """Settle the attempt reserved by `begin`; the keys that became locked."""
        now = self.clock()
        locked = []
        with self._lock:
            for key, limit in keys:
                row = self._row(key, now)
                if ok:
                    _take_back(row["failures"], started)
                    if key.startswith("user:"):
                        row["failures"] = []
                elif len(row["failures"]) >= limit:
                    row.update(failures=[], locked_until=now + self.settings.lockout_seconds)
                    locked.append(key)
                    logger.warning("login locked key=%s seconds=%s", key,
                                   self.settings.lockout_seconds)
                if row["failures"] or row["locked_until"]:
                    self.table.put(key, row)
                else:
                    self.table.delete(key)
        return locked

    def unlock(self, name: str) -> bool:
        return self.table.delete(f"user:{user_key(name)}")

    def _row(self, key: str, now: float) -> Row:
        row = self.table.get(key) or {}
        window = self.settings.window_seconds
        failures = [t for t in row.get("failures", []) if now - t < window]
        locked_until = float(row.get("locked_until", 0.0))
        return {"failures": failures, "locked_until": locked_until if locked_until > now else 0.0}


def _take_back(failures: list[float], started: float) -> None:
    if started in failures:
        failures.remove(started)
    elif failures:
        failures.pop()
