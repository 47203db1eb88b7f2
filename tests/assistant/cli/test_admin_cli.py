"""`policyqa kb …`, `policyqa user …`, `policyqa audit`, `--kb` on every command and the
refusal to serve beyond this machine without users — run in process."""

import io
import json
import shutil
from pathlib import Path

import pytest

from assistant.cli.main import main
from assistant.cli.parser import build_parser

DATA = Path(__file__).resolve().parents[2] / "data"
FLOOD = ("关于做好汛期地质灾害防范工作的通知\n一、强化监测预警\n"
         "每个隐患点要落实不少于2名群测群防员。\n")


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYQA_EMBEDDING__MODE", "hash")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    shutil.copy(DATA / "speech.txt", tmp_path / "a" / "乡村振兴推进会讲话.txt")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "地质灾害通知.txt").write_text(FLOOD, encoding="utf-8")
    return tmp_path


def run(capsys, monkeypatch, *argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_knowledge_bases_keep_their_documents_apart(env, capsys, monkeypatch):
    cli = lambda *a: run(capsys, monkeypatch, *a)  # noqa: E731
    assert cli("kb", "create", "应急管理", "--store", "kb")[0] == 0
    assert cli("ingest", "a", "--store", "kb", "--no-progress")[0] == 0
    assert cli("ingest", "b", "--store", "kb", "--kb", "应急管理", "--no-progress")[0] == 0
    _, out, _ = cli("kb", "list", "--store", "kb", "--json")
    assert [k["name"] for k in json.loads(out)] == ["default", "应急管理"]

    _, out, _ = cli("list", "--store", "kb", "--kb", "应急管理", "--json")
    assert [d["title"] for d in json.loads(out)] == ["关于做好汛期地质灾害防范工作的通知"]
    _, out, _ = cli("search", "隐患点 群测群防员", "--store", "kb", "--json")
    assert "地质灾害" not in out
    code, out, _ = cli("ask", "每个隐患点要落实多少名群测群防员？", "--store", "kb",
                       "--kb", "应急管理", "--out", "答复.md")
    assert code == 0 and "2名群测群防员" in out
    assert "乡村振兴" not in (env / "答复.md").read_text("utf-8")

    code, _, err = cli("list", "--store", "kb", "--kb", "人社")
    assert code == 2 and "no knowledge base '人社'" in err and "kb create 人社" in err
    assert cli("kb", "delete", "应急管理", "--store", "kb")[0] == 0
    assert not (env / "kb" / "kbs").exists() or not any((env / "kb" / "kbs").iterdir())
    code, _, err = cli("kb", "delete", "default", "--store", "kb")
    assert code == 2 and "cannot be deleted" in err


def test_users_are_added_listed_changed_and_removed(env, capsys, monkeypatch):
    cli = lambda *a, stdin="": run(capsys, monkeypatch, *a, stdin=stdin)  # noqa: E731
    cli("kb", "create", "财政", "--store", "kb")
    code, out, _ = cli("user", "add", "王芳", "--role", "editor", "--kb", "财政",
                       "--password-stdin", "--store", "kb", stdin="pass word 1\n")
    assert code == 0 and "王芳（编辑：财政）" in out
    code, _, err = cli("user", "add", "李雷", "--role", "reader", "--kb", "财务",
                       "--password-stdin", "--store", "kb", stdin="pass word 1\n")
    assert code == 2 and "no knowledge base '财务'" in err
    code, _, err = cli("user", "add", "李雷", "--role", "reader", "--store", "kb")
    assert code == 2 and "--password-stdin" in err
    _, out, _ = cli("user", "list", "--store", "kb", "--json")
    assert json.loads(out) == [{"name": "王芳", "role": "editor", "kbs": ["财政"]}]

    from assistant.core.settings import Settings
    from assistant.services import Services

    users = Services(Settings(store={"path": env / "kb"})).users
    assert users.authenticate("王芳", "pass word 1")  # newline stripped, inner space kept
    cli("user", "passwd", "王芳", "--password-stdin", "--store", "kb", stdin="new pass 22\r\n")
    assert users.authenticate("王芳", "new pass 22") and not users.authenticate("王芳",
                                                                               "pass word 1")
    assert cli("user", "remove", "王芳", "--store", "kb")[0] == 0
    assert users.users() == []

    _, out, _ = cli("audit", "--store", "kb", "--json")
    events = [(r["event"], r.get("what", "")) for r in json.loads(out)]
    assert events[1:] == [("user-add", "王芳"), ("user-passwd", "王芳"), ("user-remove", "王芳")]
    assert all(r["user"].startswith("cli") for r in json.loads(out))
    store_text = b"".join(p.read_bytes() for p in (env / "kb").rglob("*") if p.is_file())
    assert b"pass word 1" not in store_text and b"new pass 22" not in store_text


def test_audit_lines_name_the_file_hash_and_filter_by_user(env, capsys, monkeypatch):
    cli = lambda *a: run(capsys, monkeypatch, *a)  # noqa: E731
    cli("ingest", "a", "--store", "kb", "--no-progress")
    _, out, _ = cli("audit", "--store", "kb", "--json", "--since", "2000")
    (row,) = json.loads(out)
    assert row["event"] == "ingest" and row["result"] == "ingested" and row["kb"] == "default"
    assert row["file"].endswith("乡村振兴推进会讲话.txt") and len(row["sha256"]) == 64
    _, out, _ = cli("audit", "--store", "kb", "--json", "--user", "nobody")
    assert json.loads(out) == []
    code, _, err = cli("audit", "--store", "kb", "--since", "yesterday")
    assert code == 2 and "--since" in err


def test_serving_beyond_this_machine_without_users_is_refused(env, capsys, monkeypatch):
    code, _, err = run(capsys, monkeypatch, "serve", "--store", "kb", "--host", "0.0.0.0",
                       "--port", "9")
    warning = [line for line in err.splitlines() if line.startswith("warning:")]
    assert code == 2 and len(warning) == 1 and "--allow-anonymous" in warning[0]
    assert "refusing to serve on 0.0.0.0" in err


def test_every_command_takes_kb_and_its_options_after_the_leaf():
    parser = build_parser()
    args = parser.parse_args(["user", "add", "x", "--role", "reader", "--kb", "甲", "--kb", "乙",
                              "--password-stdin", "--store", "s"])
    assert (args.grants, args.store, args.password_stdin) == (["甲", "乙"], Path("s"), True)
    args = parser.parse_args(["kb", "delete", "甲", "--store", "s", "--chroma-url", "http://h"])
    assert (args.action, args.name, args.chroma_url) == ("delete", "甲", "http://h")
    for argv in (["ingest", "d"], ["ask", "q"], ["search", "q"], ["list"], ["delete", "s"],
                 ["meta", "s"], ["eval", "f"], ["serve"], ["compare", "a", "b"], ["tasks", "s"]):
        assert parser.parse_args([*argv, "--kb", "财政"]).kb == "财政"


def test_config_never_prints_the_auth_password(env, capsys, monkeypatch):
    monkeypatch.setenv("POLICYQA_UI__AUTH", "staff:s3cret-pw")
    _, out, _ = run(capsys, monkeypatch, "config")
    assert "s3cret-pw" not in out and "ui.auth" in out
