"""An ASGI middleware in front of Gradio's `POST /login`: Gradio calls the auth callable with
the name and password only, so the client address — and the lockout — must be seen here.

It reads the login form (urlencoded from gradio_client, multipart from the browser), refuses
a locked name or address with 429 and Retry-After without asking Gradio, otherwise replays
the form to Gradio and counts its answer (200 logged in, anything else failed). Every attempt
is reported to `on_result(name, address, outcome)` with outcome ok | failed | locked; the
password is never looked at. Installed by `launch(app_kwargs={"middleware": [...]})`.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio.to_thread
from starlette.requests import Request

from assistant.access.throttle import Throttle

logger = logging.getLogger(__name__)

MAX_FORM_BYTES = 64 * 1024
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ResultHook = Callable[[str, str, str], None]


def is_login(scope: Scope) -> bool:
    """POST /login or /login/ (also under a mount path such as /ui/login)."""
    return (scope["type"] == "http" and scope["method"] == "POST"
            and scope["path"].rstrip("/").endswith("/login"))


class LoginThrottle:
    def __init__(self, app: Callable[..., Awaitable[None]], throttle: Throttle,
                 on_result: ResultHook | None = None) -> None:
        self.app = app
        self.throttle = throttle
        self.on_result = on_result

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_login(scope):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            await _respond(send, 413, "login form too large")
            return
        replay = _replay(body, receive)
        name = await _username(scope, _replay(body, receive))
        address = str((scope.get("client") or ("", 0))[0])
        keys = self.throttle.keys(name, address)
        wait, started = await anyio.to_thread.run_sync(self.throttle.begin, keys)
        if wait > 0:
            seconds = math.ceil(wait)
            await self._report(name, address, "locked")
            await _respond(send, 429, f"登录失败次数过多，请 {seconds} 秒后再试。",
                           [(b"retry-after", str(seconds).encode())])
            return
        status: dict[str, int] = {}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, replay, watch)
        finally:
            ok = status.get("code") == 200
            await anyio.to_thread.run_sync(self.throttle.end, keys, started, ok)
            await self._report(name, address, "ok" if ok else "failed")

    async def _report(self, name: str, address: str, outcome: str) -> None:
        if outcome != "ok":
            logger.info("login %s user=%s address=%s", outcome, name, address)
        if self.on_result is not None:
            await anyio.to_thread.run_sync(self.on_result, name, address, outcome)


async def _read_body(receive: Receive) -> bytes | None:
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive() that hands out the buffered body once, then waits on the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _username(scope: Scope, receive: Receive) -> str:
    try:
        form = await Request(scope, receive=receive).form()
        return str(form.get("username") or "").strip()  # Gradio strips it too
    except Exception:  # noqa: BLE001 - a malformed form: Gradio answers it (422)
        return ""


async def _respond(send: Send, status: int, detail: str,
                   headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
