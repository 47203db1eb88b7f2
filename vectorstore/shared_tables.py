"""Users, lockouts and the audit log kept in Chroma collections, for server mode: every node
that talks to the same Chroma server sees the same users, counts the same failed logins and
writes one audit log. (The Table and Log Protocols they satisfy are in assistant/access/
tables.py; locally they are users.sqlite and audit.jsonl instead.)

A row is JSON in the record's document, under a placeholder embedding, as the document
registry does it. Chroma has no transactions: two nodes counting the same failed login at the
same instant may both write, so a burst spread over several nodes can get a few more tries
than the limit — each node still serialises its own.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from assistant.core.settings import StoreSettings
from vectorstore.chroma_store import _make_client  # one way to open the store's client

Row = dict[str, Any]


class ChromaTable:
    def __init__(self, client: Any, name: str) -> None:
        self.collection = client.get_or_create_collection(name, embedding_function=None)

    def get(self, key: str) -> Row | None:
        got = self.collection.get(ids=[key], include=["documents"])
        docs = got.get("documents") or []
        return json.loads(docs[0]) if docs else None

    def put(self, key: str, row: Row) -> None:
        self.collection.upsert(ids=[key], embeddings=[[1.0]],
                               documents=[json.dumps(row, ensure_ascii=False)])

    def delete(self, key: str) -> bool:
        found = bool(self.collection.get(ids=[key], include=[])["ids"])
        if found:
            self.collection.delete(ids=[key])
        return found

    def rows(self) -> list[Row]:
        got = self.collection.get(include=["documents"])
        pairs = sorted(zip(got["ids"], got.get("documents") or [], strict=True))
        return [json.loads(doc) for _, doc in pairs]

    def append(self, row: Row) -> None:
        self.put(f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}", row)


def shared_tables(store: StoreSettings) -> dict[str, ChromaTable]:
    """The `users`, `lockouts` and `audit` tables on the store's Chroma server."""
    client = _make_client(store)
    return {name: ChromaTable(client, f"{store.collection}-access-{name}")
            for name in ("users", "lockouts", "audit")}
