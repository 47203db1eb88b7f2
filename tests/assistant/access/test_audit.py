"""The audit log: fixed fields, filters by date and user, one line per write."""

from assistant.access.audit import AuditLog, file_sha256
from assistant.access.tables import JsonlLog


def test_lines_filter_by_date_and_user(tmp_path):
    times = iter([1_700_000_000.0, 1_730_000_000.0, 1_730_000_100.0])  # 2023-11, 2024-10 ×2
    audit = AuditLog(JsonlLog(tmp_path / "audit.jsonl"), clock=lambda: next(times))
    audit.record("login", "alice", result="failed", address="10.0.0.1")
    audit.record("ingest", "Bob", kb="财政", file="/x/通知.txt", sha256="ab", result="ingested")
    audit.record("denied", "alice", kb="财政", what="删除文件", result="denied")
    assert [r["event"] for r in audit.entries(since="2024")] == ["ingest", "denied"]
    assert [r["event"] for r in audit.entries(user="ALICE")] == ["login", "denied"]
    row = audit.entries(user="bob")[0]
    assert (row["kb"], row["file"], row["sha256"], row["result"]) == ("财政", "/x/通知.txt",
                                                                       "ab", "ingested")
    assert (tmp_path / "audit.jsonl").stat().st_mode & 0o077 == 0


def test_file_hash_is_the_sha256_of_the_bytes(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    assert file_sha256(path).startswith("ba7816bf")
    assert file_sha256(tmp_path / "gone.txt") == ""
