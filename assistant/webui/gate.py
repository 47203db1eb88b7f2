"""Who may do what on the page. Every handler in ui.py first asks the Gate for a Session —
the user of Gradio's login session, the knowledge base the action works on, the view of the
services on it — so hiding a button is never the only check; a refusal is an AccessDenied
(and, for anything but reading, an audit line).

Without any user configured (and not served beyond this machine) nobody logs in and everyone
is ANONYMOUS, an admin: the page works as it did before users existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.access.audit import file_sha256
from assistant.access.users import ACTION_TITLES, ANONYMOUS, AccessDenied, Action, User

if TYPE_CHECKING:
    from assistant.services import Services

DEFAULT_KB = "default"


@dataclass(frozen=True)
class Session:
    user: User
    kb: str  # the knowledge base acted on
    services: Services  # the view on it

    def record(self, event: str, what: str = "", file: str = "", result: str = "ok",
               sha256: str = "") -> None:
        """One audit line for a write in this session (the file's hash when it exists)."""
        digest = sha256 or (file_sha256(file) if file else "")
        self.services.audit.record(event, self.user.name, kb=self.kb, what=what, result=result,
                                   file=file, sha256=digest)


class Gate:
    def __init__(self, services: Services, login_required: bool) -> None:
        self.services = services
        self.login_required = login_required

    def user(self, username: str | None) -> User:
        if not self.login_required:
            return ANONYMOUS
        if not username:
            raise AccessDenied("请先登录。")
        user = self.services.users.get(username)
        if user is None:
            raise AccessDenied(f"用户 {username} 已被删除，请联系管理员。")
        return user

    def readable(self, user: User) -> list[str]:
        """The knowledge bases `user` may read, `default` first."""
        return [n for n in self.services.kb_registry.names() if user.may("read", n)]

    def session(self, username: str | None, action: Action, kb: str = "",
                what: str = "") -> Session:
        """The user, allowed to do `action` in `kb` (default: their first knowledge base)."""
        user = self.user(username)
        readable = self.readable(user)
        name = kb or (DEFAULT_KB if DEFAULT_KB in readable else next(iter(readable), ""))
        if not name:
            raise AccessDenied(f"{user.describe()}还没有可用的知识库，请联系管理员授权。")
        if self.services.kb_registry.find(name) is None:
            raise AccessDenied(f"没有名为“{name}”的知识库。")
        self.check(user, action, name, what)
        return Session(user, name, self.services.for_kb(name))

    def check(self, user: User, action: Action, kb: str = "", what: str = "") -> None:
        if user.may(action, kb):
            return
        if action != "read":
            self.services.audit.record("denied", user.name, kb=kb, what=what or action,
                                       result="denied")
        where = f"知识库“{kb}”" if kb else "用户和知识库"
        raise AccessDenied(f"权限不足：{user.describe()}不能{ACTION_TITLES[action]}{where}"
                           + (f"（{what}）" if what else "") + "。")

    def reader(self, username: str | None) -> tuple[User, Services]:
        """The user and a view searching every knowledge base they may read."""
        user = self.user(username)
        names = self.readable(user)
        if not names:
            raise AccessDenied(f"{user.describe()}还没有可用的知识库，请联系管理员授权。")
        return user, self.services.reading(names)

    def admin(self, username: str | None, what: str) -> User:
        user = self.user(username)
        self.check(user, "admin", "", what)
        return user
