"""How the page is served safely: who must log in (Gradio's own login with an auth callable,
so `gradio_client.Client(url, auth=(name, password))` works), the lockout middleware in front
of /login with every attempt in the audit log, and the refusal to serve beyond this machine
without any user. Nothing here imports gradio."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.services import Services

AUTH_MESSAGE = ("请登录政策问答助手。连续输错密码会暂时锁定该用户名和本机地址，"
                "锁定期间请稍后再试或联系管理员。")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, login_required: bool) -> str:
    """The one-line warning for serving beyond this machine with nobody logging in."""
    if login_required or is_loopback(host):
        return ""
    return (f"warning: serving on {host or '0.0.0.0'} without any user: anyone who reaches it "
            f"may upload and delete documents. Add one with `policyqa user add NAME --role "
            f"admin --password-stdin`, or pass --allow-anonymous")


def login_options(services: Services) -> dict[str, Any]:
    """gr.Blocks.launch keyword arguments for the login; none when nobody has to log in."""
    if not services.users.login_required():
        return {}
    import anyio.to_thread
    from starlette.middleware import Middleware

    from assistant.access.middleware import LoginThrottle

    users = services.users

    async def check(name: str, password: str) -> bool:
        # scrypt takes ~50 ms: off the event loop, so other users' pages keep answering
        return await anyio.to_thread.run_sync(users.authenticate, name, password) is not None

    def on_result(name: str, address: str, outcome: str) -> None:
        known = users.get(name)
        services.audit.record("login", known.name if known else name, result=outcome,
                              address=address)

    throttle = Middleware(LoginThrottle, throttle=services.throttle, on_result=on_result)
    return dict(auth=check, auth_message=AUTH_MESSAGE, app_kwargs={"middleware": [throttle]})
