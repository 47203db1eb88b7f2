"""`policyqa kb …`, `policyqa user …` and `policyqa audit`: knowledge bases, users and the
audit log. The command line needs no login — whoever may write the store folder (or reach the
Chroma server) administers it — and its writes are audited as `cli:<login name>`."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from assistant.access.audit import file_sha256, line
from assistant.cli.output import print_json
from assistant.core.dates import parse_date
from assistant.core.errors import ConfigError

if TYPE_CHECKING:
    from assistant.services import Services


def who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def record_write(services: Services, event: str, what: str = "", file: str = "",
                 result: str = "ok", sha256: str = "") -> None:
    """The audit line of a write made from the command line."""
    digest = sha256 or (file_sha256(file) if file else "")
    services.audit.record(event, who(), kb=services.kb_name, what=what, file=file,
                          sha256=digest, result=result)


def cmd_kb(services: Services, args: argparse.Namespace) -> int:
    registry = services.kb_registry
    if args.action == "list":
        kbs = registry.kbs()
        if args.json:
            print_json([{"name": k.name, "collection": k.collection, "created": k.created}
                        for k in kbs])
        for kb in kbs if not args.json else []:
            print(f"{kb.name}\t{kb.collection}\t{kb.created}")
        return 0
    if args.action == "create":
        info = registry.create(args.name)
        services.audit.record("kb-create", who(), kb=info.name, what=info.collection)
        print(f"created knowledge base {info.name} (collection {info.collection})")
        return 0
    info = registry.delete(args.name)
    revoked = services.users.revoke_kb(info.name)
    services.audit.record("kb-delete", who(), kb=info.name, what=info.collection)
    note = f"; removed from the grants of {', '.join(revoked)}" if revoked else ""
    print(f"deleted knowledge base {info.name} with all its documents{note}")
    return 0


def cmd_user(services: Services, args: argparse.Namespace) -> int:
    users = services.users
    if args.action == "list":
        return _list_users(services, args.json)
    if args.action == "add":
        for name in args.grants:
            services.kb_registry.require(name)  # a typo names the knowledge bases there are
        user = users.add(args.name, args.role, args.grants, read_password(args))
        print(f"added {user.describe()}")
    elif args.action == "remove":
        user = users.remove(args.name)
        print(f"removed {user.name}")
    elif args.action == "passwd":
        user = users.set_password(args.name, read_password(args))
        print(f"password changed for {user.name}")
    else:
        user = users.require(args.name)
        found = services.throttle.unlock(user.name)
        print(f"unlocked {user.name}" if found else f"{user.name} was not locked")
    services.audit.record(f"user-{args.action}", who(), what=user.name,
                          file="", result="ok")
    return 0


def _list_users(services: Services, as_json: bool) -> int:
    rows = [{"name": u.name, "role": u.role, "kbs": list(u.kbs) if u.kbs is not None else None}
            for u in services.users.users()]
    if as_json:
        print_json(rows)
        return 0
    for row in rows:
        kbs = row["kbs"]
        print(f"{row['name']}\t{row['role']}\t{'、'.join(kbs) if kbs is not None else '(all)'}")
    if not rows:
        print("(no users: `policyqa serve` needs no login on this machine)", file=sys.stderr)
    return 0


def read_password(args: argparse.Namespace) -> str:
    """One line from stdin (--password-stdin, newline stripped), or asked for twice."""
    if args.password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        if not password:
            raise ConfigError("--password-stdin read an empty line: pipe the password in, "
                              "e.g. `printf '%s\\n' \"$PW\" | policyqa user add …`")
        return password
    if not sys.stdin.isatty():
        raise ConfigError("no password: pass --password-stdin and the password on stdin "
                          "(never as an argument)")
    password = getpass.getpass("password: ")
    if getpass.getpass("again: ") != password:
        raise ConfigError("the two passwords differ")
    return password


def cmd_audit(services: Services, args: argparse.Namespace) -> int:
    since = ""
    if args.since:
        try:
            since = parse_date(args.since)
        except ValueError:
            raise ConfigError(f"--since {args.since!r} is not a date: use YYYY, YYYY-MM or "
                              f"YYYY-MM-DD") from None
    rows = services.audit.entries(since=since, user=args.user or "")
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        print(line(row))
    print(f"{len(rows)} lines", file=sys.stderr)
    return 0
