"""Server mode: two app instances (own store folders) on one real Chroma server share the
users, the lockouts, the audit log and the list of knowledge bases."""

import pytest

from assistant.core.settings import Settings
from assistant.services import Services
from tests.vectorstore.test_server_mode import chroma_url  # noqa: F401 (the server fixture)

pytestmark = pytest.mark.server
PASSWORD = "shared-secret-1"


def node(tmp_path, name, url):
    settings = Settings(store={"path": tmp_path / name, "chroma_url": url},
                        embedding={"mode": "hash"}, access={"max_failures": 2})
    return Services(settings)


def test_users_lockouts_audit_and_kbs_are_the_same_on_every_node(tmp_path, chroma_url):  # noqa: F811
    first, second = node(tmp_path, "app1", chroma_url), node(tmp_path, "app2", chroma_url)
    first.users.add("张三", "editor", ["财政"], PASSWORD)
    assert second.users.authenticate("张三", PASSWORD).kbs == ("财政",)
    assert second.users.login_required()

    keys = first.throttle.keys("张三", "10.1.1.1")
    for _ in range(2):  # two failures counted on the first node…
        wait, started = first.throttle.begin(keys)
        first.throttle.end(keys, started, ok=False)
    wait, _ = second.throttle.begin(second.throttle.keys("张三", "10.2.2.2"))
    assert wait > 0  # …lock the name on the second

    first.audit.record("login", "张三", result="failed", address="10.1.1.1")
    second.audit.record("ingest", "张三", kb="财政", file="通知.txt", result="ingested")
    assert [r["event"] for r in first.audit.entries(user="张三")] == ["login", "ingest"]

    first.kb_registry.create("财政")
    assert second.kb_registry.names() == ["default", "财政"]
    assert not (tmp_path / "app1" / "users.sqlite").exists()
    assert not (tmp_path / "app2" / "audit.jsonl").exists()
