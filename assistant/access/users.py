"""Users, their roles and the knowledge bases they are granted; `may` is the one rule every
front end asks.

reader: ask, search, export, 命中测试 in the granted knowledge bases; editor: also upload,
change meta and delete there; admin: every knowledge base, and users and knowledge bases.
A user without grants (`kbs` None) may use every knowledge base, also ones created later.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

from assistant.access.passwords import (
    check_new_password,
    hash_password,
    verify_password,
    waste_time,
)
from assistant.access.tables import Row, Table
from assistant.core.errors import ConfigError, PolicyQAError

Role = Literal["reader", "editor", "admin"]
ROLES: tuple[Role, ...] = ("reader", "editor", "admin")
ROLE_TITLES = {"reader": "只读", "editor": "编辑", "admin": "管理员"}
Action = Literal["read", "write", "admin"]
ACTION_TITLES = {"read": "查看", "write": "修改", "admin": "管理"}
MAX_NAME = 64


class AccessDenied(PolicyQAError):
    """The user may not do this (the message names who, what and where, never a password)."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    kbs: tuple[str, ...] | None = None  # None: every knowledge base

    def may(self, action: Action, kb: str = "") -> bool:
        if self.role == "admin":
            return True
        if action == "admin" or (action == "write" and self.role != "editor"):
            return False
        return self.kbs is None or kb in self.kbs

    def describe(self) -> str:
        grants = "全部知识库" if self.kbs is None or self.role == "admin" else "、".join(self.kbs)
        return f"{self.name}（{ROLE_TITLES[self.role]}：{grants}）"


ANONYMOUS = User("", "admin")  # nobody has to log in (no users, served on this machine only)


def user_key(name: str) -> str:
    """How a name is looked up: ' Alice ' and 'ALICE' are one user (Gradio strips, keeps case)."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def check_name(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).strip()
    if not name or len(name) > MAX_NAME:
        raise ConfigError(f"user name must have 1 to {MAX_NAME} characters")
    if ":" in name or any(unicodedata.category(c)[0] in "CZ" and c != " " for c in name):
        raise ConfigError(f"user name {name!r} may not contain ':' or control characters")
    return name


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise ConfigError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return cast(Role, role)


class Directory:
    """The users, kept in a Table (users.sqlite, or Chroma in server mode), plus the one
    in-memory admin of `serve --auth user:pass`."""

    def __init__(self, table: Table, shortcut: str = "") -> None:
        self.table = table
        self._shortcut: tuple[User, str] | None = None
        if shortcut:
            name, sep, password = shortcut.partition(":")
            if not (sep and name.strip() and password):
                raise ConfigError("ui.auth must look like user:pass "
                                  "(set --auth or POLICYQA_UI__AUTH)")
            self._shortcut = (User(check_name(name), "admin"), hash_password(password))

    def add(self, name: str, role: str, kbs: Sequence[str] | None, password: str) -> User:
        name, role = check_name(name), check_role(role)
        check_new_password(password)
        if role == "admin" and kbs:
            raise ConfigError("an admin manages every knowledge base: --kb is for readers "
                              "and editors")
        if self.table.get(user_key(name)) is not None:
            raise ConfigError(f"user {name!r} exists: `policyqa user passwd` changes the "
                              f"password, `policyqa user remove` removes the user")
        user = User(name, role, tuple(dict.fromkeys(kbs)) if kbs else None)
        self.table.put(user_key(name), _row(user, hash_password(password)))
        return user

    def remove(self, name: str) -> User:
        user = self.require(name)
        self.table.delete(user_key(name))
        return user

    def set_password(self, name: str, password: str) -> User:
        check_new_password(password)
        user = self.require(name)
        key = user_key(name)
        self.table.put(key, _row(user, hash_password(password), self.table.get(key)))
        return user

    def revoke_kb(self, kb: str) -> list[str]:
        """Take a deleted knowledge base out of every grant; the names of the users changed."""
        changed = []
        for row in self.table.rows():
            user = _user(row)
            if user.kbs is not None and kb in user.kbs:
                rest = tuple(k for k in user.kbs if k != kb)
                self.table.put(user_key(user.name), _row(User(user.name, user.role, rest),
                                                         row["password"], row))
                changed.append(user.name)
        return changed

    def get(self, name: str) -> User | None:
        if self._shortcut and user_key(self._shortcut[0].name) == user_key(name):
            return self._shortcut[0]
        row = self.table.get(user_key(name))
        return _user(row) if row else None

    def require(self, name: str) -> User:
        user = self.get(name)
        if user is None or (self._shortcut and user is self._shortcut[0]):
            raise ConfigError(f"no user {name!r}: see `policyqa user list`")
        return user

    def users(self) -> list[User]:
        return [_user(row) for row in self.table.rows()]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password is theirs, else None (as slow for an unknown name)."""
        if self._shortcut and user_key(self._shortcut[0].name) == user_key(name):
            user, stored = self._shortcut
        else:
            row = self.table.get(user_key(name))
            if row is None:
                waste_time(password)
                return None
            user, stored = _user(row), str(row.get("password", ""))
        return user if verify_password(password, stored) else None

    def login_required(self) -> bool:
        return self._shortcut is not None or bool(self.table.rows())


def _row(user: User, password_hash: str, old: Row | None = None) -> Row:
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return {"name": user.name, "role": user.role,
            "kbs": list(user.kbs) if user.kbs is not None else None,
            "password": password_hash, "created": (old or {}).get("created", now),
            "changed": now}


def _user(row: Row) -> User:
    kbs = row.get("kbs")
    return User(str(row["name"]), check_role(str(row["role"])),
                tuple(kbs) if kbs is not None else None)
