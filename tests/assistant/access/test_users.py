"""Users and roles: salted hashes only, names looked up the way Gradio passes them, the role
rule every front end asks, the `--auth user:pass` admin shortcut."""

import sqlite3

import pytest

from assistant.access.passwords import hash_password, verify_password
from assistant.access.tables import SqliteTable
from assistant.access.users import Directory, User
from assistant.core.errors import ConfigError

PASSWORD = "ein-langes-Passwort-7"


@pytest.fixture
def directory(tmp_path):
    return Directory(SqliteTable(tmp_path / "users.sqlite", "users"))


def test_passwords_are_salted_hashes_that_verify(directory, tmp_path):
    directory.add("王芳", "editor", ["财政"], PASSWORD)
    directory.add("李雷", "reader", None, PASSWORD)
    raw = (tmp_path / "users.sqlite").read_bytes()
    assert PASSWORD.encode() not in raw
    rows = sqlite3.connect(tmp_path / "users.sqlite").execute("SELECT row FROM users").fetchall()
    hashes = [r[0].split('"password": "')[1].split('"')[0] for r in rows]
    assert hashes[0] != hashes[1] and all(h.startswith("scrypt$") for h in hashes)  # salted
    assert (tmp_path / "users.sqlite").stat().st_mode & 0o077 == 0  # owner only
    assert directory.authenticate("王芳", PASSWORD) == User("王芳", "editor", ("财政",))
    assert directory.authenticate("王芳", PASSWORD + "x") is None
    assert directory.authenticate("韩梅梅", PASSWORD) is None


def test_a_name_is_found_whatever_its_case_and_spaces(directory):
    directory.add("Alice", "reader", None, PASSWORD)
    assert directory.authenticate(" ALICE ", PASSWORD).name == "Alice"
    assert directory.get("alice").name == "Alice"
    with pytest.raises(ConfigError, match="exists"):
        directory.add("alice", "admin", None, PASSWORD)


def test_roles_decide_what_a_user_may_do_where():
    reader = User("r", "reader", ("财政",))
    editor = User("e", "editor", ("财政",))
    everywhere = User("e2", "editor")
    admin = User("a", "admin")
    assert reader.may("read", "财政") and not reader.may("read", "人社")
    assert not reader.may("write", "财政")
    assert editor.may("write", "财政") and not editor.may("write", "人社")
    assert everywhere.may("write", "以后新建的库")
    assert not editor.may("admin") and admin.may("admin") and admin.may("write", "人社")


def test_bad_names_roles_and_passwords_are_refused_with_a_reason(directory):
    with pytest.raises(ConfigError, match="':'"):
        directory.add("a:b", "reader", None, PASSWORD)
    with pytest.raises(ConfigError, match="reader, editor, admin"):
        directory.add("bob", "owner", None, PASSWORD)
    with pytest.raises(ConfigError, match="at least 8") as short:
        directory.add("bob", "reader", None, "kurz")
    assert "kurz" not in str(short.value)
    with pytest.raises(ConfigError, match="every knowledge base"):
        directory.add("bob", "admin", ["财政"], PASSWORD)
    assert directory.users() == []


def test_passwd_remove_and_revoking_a_deleted_knowledge_base(directory):
    directory.add("bob", "editor", ["财政", "人社"], PASSWORD)
    directory.set_password("bob", "ein-anderes-Passwort")
    assert directory.authenticate("bob", PASSWORD) is None
    assert directory.authenticate("bob", "ein-anderes-Passwort")
    assert directory.revoke_kb("财政") == ["bob"]
    assert directory.get("bob").kbs == ("人社",)
    directory.remove("bob")
    assert directory.get("bob") is None and not directory.login_required()
    with pytest.raises(ConfigError, match="user list"):
        directory.remove("bob")


def test_the_auth_shortcut_is_one_admin_kept_only_in_memory(tmp_path):
    directory = Directory(SqliteTable(tmp_path / "users.sqlite", "users"), "staff:s3cret:x")
    assert directory.login_required() and directory.users() == []
    assert directory.authenticate("staff", "s3cret:x") == User("staff", "admin")
    assert directory.authenticate("staff", "s3cret") is None
    with pytest.raises(ConfigError, match="user:pass"):
        Directory(SqliteTable(tmp_path / "users.sqlite", "users"), "staff")


def test_a_malformed_stored_hash_never_verifies():
    assert verify_password("x", hash_password("x"))
    assert not verify_password("x", "scrypt$1$2")
    assert not verify_password("x", "md5$abc")
