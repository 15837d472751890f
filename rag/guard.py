"""What the web server lets in, before Gradio sees a request: the right Host, no cross-site
writes, bounded uploads, and a login that cannot be guessed at speed.

- Host: a page on another site can point its own name at 127.0.0.1 (DNS rebinding) and then
  drive the app as if it were its own origin; a request whose Host is not a name this server
  is reached by is refused (403). On loopback those names are 127.0.0.1, localhost and ::1.
- Origin: a browser sends Origin with a cross-site POST (an upload, a chat message); any
  state-changing request whose Origin is not this server's own (Host) is refused (403).
  Clients that send no Origin (gradio_client, curl) are not browsers on another site.
- Uploads: one upload request holds at most MAX_FILES files and MAX_UPLOAD_BYTES in all (413).
- Login: LoginThrottle checks the password in constant time and slows and then locks out
  guessing (every failure waits; after a few the login is shut for a while, right password or not).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from urllib.parse import urlsplit

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
UPLOAD_PATH = "/gradio_api/upload"


def host_name(value: str) -> str:
    """'Example.org:7860' -> 'example.org'; '[::1]:7860' -> '::1'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class RequestGuard:
    """ASGI middleware: refuse foreign Host headers, cross-site writes and oversized uploads.

    `allowed_hosts` are the host names (no ports) requests may carry; None allows any (a server
    bound to every interface, behind its login, with no names configured)."""

    def __init__(self, app, allowed_hosts: set[str] | None, max_files: int, max_upload_bytes: int):
        self.app = app
        self.allowed_hosts = {h.lower().strip("[]") for h in allowed_hosts} if allowed_hosts is not None else None
        self.max_files = max_files
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if self.allowed_hosts is not None and host_name(host) not in self.allowed_hosts:
            return await _refuse(scope, send, 403, f"host {host!r} is not served here")
        method = scope.get("method", "GET")
        origin = headers.get("origin")
        if scope["type"] == "websocket" or method not in SAFE_METHODS:
            if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != host.lower()):
                return await _refuse(scope, send, 403, f"cross-site request from {origin!r} refused")
        if scope["type"] == "http" and method == "POST" and scope.get("path", "").endswith(UPLOAD_PATH):
            return await self._upload(scope, receive, send, headers)
        return await self.app(scope, receive, send)

    async def _upload(self, scope, receive, send, headers):
        try:
            length = int(headers.get("content-length", ""))
        except ValueError:
            return await _refuse(scope, send, 411, "an upload needs a Content-Length")
        if length > self.max_upload_bytes:
            return await _refuse(scope, send, 413, f"an upload may hold {self.max_upload_bytes // 2**20} MB in all")
        files, tail, over = 0, b"", False

        async def counted_receive():
            nonlocal files, tail, over
            message = await receive()
            if message["type"] == "http.request" and not over:
                data = tail + message.get("body", b"")
                files += data.count(b'filename="') - tail.count(b'filename="')
                tail = data[-16:]
                if files > self.max_files:
                    over = True
                    return {"type": "http.disconnect"}  # the app stops reading and stores nothing
            return message

        async def held_send(message):
            if not over:
                await send(message)

        try:
            await self.app(scope, counted_receive, held_send)
        except Exception:
            if not over:
                raise
        if over:
            await _refuse(scope, send, 413, f"an upload may hold at most {self.max_files} files")


async def _refuse(scope, send, status: int, reason: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps({"error": reason}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class LoginThrottle:
    """Gradio's `auth` callable for one USER:PASSWORD. Each wrong try waits `delay` seconds;
    after `free_tries` wrong tries in a row the login is closed for `lockout` seconds, doubling
    with each further failure up to `max_lockout`, and a right password in that time is refused
    too. One counter for all clients: Gradio does not tell the callable who is asking."""

    def __init__(self, user: str, password: str, free_tries: int = 5, delay: float = 1.0,
                 lockout: float = 30.0, max_lockout: float = 900.0, clock=time.monotonic):
        self.user, self.password = user, password
        self.free_tries, self.delay, self.lockout, self.max_lockout = free_tries, delay, lockout, max_lockout
        self.failures, self.closed_until, self.clock = 0, 0.0, clock

    async def __call__(self, username: str, password: str) -> bool:
        if self.clock() < self.closed_until:
            return False
        right = (hmac.compare_digest(username.encode(), self.user.encode())
                 & hmac.compare_digest(password.encode(), self.password.encode()))
        if right:
            self.failures = 0
            return True
        self.failures += 1
        if self.failures >= self.free_tries:
            doubled = self.lockout * 2 ** (self.failures - self.free_tries)
            self.closed_until = self.clock() + min(doubled, self.max_lockout)
        await asyncio.sleep(self.delay)
        return False


def parse_login(value: str | None) -> tuple[str, str]:
    """'USER:PASSWORD' -> (user, password); ValueError with what is wrong."""
    user, colon, password = (value or "").strip().partition(":")
    if not colon or not user or not password:
        raise ValueError("a login is USER:PASSWORD, both non-empty")
    return user, password
