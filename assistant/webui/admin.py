"""What the 管理 tab does (admins only; ui.py checks the role first): create and delete
knowledge bases, read the audit log. Also the header line saying who is logged in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.access.users import User
from assistant.core.errors import PolicyQAError
from assistant.webui.render import md_escape

if TYPE_CHECKING:
    from assistant.services import Services

AUDIT_HEADERS = ["时间", "用户", "事件", "知识库", "内容", "文件", "结果", "地址"]
AUDIT_FIELDS = ("time", "user", "event", "kb", "what", "file", "result", "address")
AUDIT_SHOWN = 200


@dataclass
class AdminView:
    """The 管理 tab as one user sees it (hidden and empty for everyone but admins)."""

    visible: bool = False
    kb_rows: list[list[str]] = field(default_factory=list)
    deletable: list[str] = field(default_factory=list)
    audit_rows: list[list[str]] = field(default_factory=list)


def admin_view(services: Services, user: User) -> AdminView:
    if not user.may("admin"):
        return AdminView()
    kbs = services.kb_registry.kbs()
    return AdminView(True, [[kb.name, kb.collection, kb.created] for kb in kbs],
                     [kb.name for kb in kbs if kb.name != "default"], audit_rows(services))


def audit_rows(services: Services, limit: int = AUDIT_SHOWN) -> list[list[str]]:
    """The newest audit lines first."""
    rows = services.audit.entries()[-limit:]
    return [[str(r.get(k, "")) for k in AUDIT_FIELDS] for r in reversed(rows)]


def create_kb(services: Services, user: User, name: str | None) -> str:
    try:
        info = services.kb_registry.create(name or "")
    except PolicyQAError as exc:
        return md_escape(str(exc))
    services.audit.record("kb-create", user.name, kb=info.name, what=info.collection)
    return f"已新建知识库“{md_escape(info.name)}”。"


def delete_kb(services: Services, user: User, name: str | None) -> str:
    try:
        info = services.kb_registry.delete(name or "")
    except PolicyQAError as exc:
        return md_escape(str(exc))
    services.forget_kb(info.name)
    revoked = services.users.revoke_kb(info.name)
    services.audit.record("kb-delete", user.name, kb=info.name, what=info.collection)
    note = f"，已从 {len(revoked)} 个用户的授权中移除" if revoked else ""
    return f"已删除知识库“{md_escape(info.name)}”及其全部文件{note}。"


def who_label(user: User, login_required: bool) -> str:
    if not login_required:
        return "未启用登录（仅本机访问）"
    return f"当前用户：{md_escape(user.describe())}"
