"""What the web server lets in, before Gradio sees a request: the right Host, nothing from another
site, bounded bodies and uploads, and a login that cannot be guessed at speed.

- Host: a page on another site can point its own name at 127.0.0.1 (DNS rebinding) and then
  drive the app as if it were its own origin; a request whose Host is not a name this server
  is reached by is refused (403). On loopback those names are 127.0.0.1, localhost and ::1.
- Origin: any request, GET included, whose Origin is not this server's own (its Host) is refused
  (403), and so is one without an Origin that the browser marks as sent from another site
  (`Sec-Fetch-Site: cross-site` or `same-site`, another port of the same host among them). A GET
  is not harmless: Gradio answers `GET /gradio_api/token` to any Origin with credentials allowed,
  so a page the user visits could read the session token and then ask and upload as the user.
  The one exception is a top-level navigation to the page itself (a link to the app clicked on
  another site): the other site cannot read what it opens. Clients that send neither header
  (gradio_client, curl) are not browsers on another site.
- Bodies: a request's body holds at most MAX_BODY_BYTES (413), uploads MAX_UPLOAD_BYTES in all and
  at most `max_files` parts, counted by the multipart boundary (so no spelling of `filename`
  slips past); a body without a Content-Length is counted as it arrives.
- Login: LoginThrottle checks the password in constant time and slows and then locks out
  guessing (every failure waits; after a few the login is shut for a while, right password or not).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
import time
from urllib.parse import urlsplit

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
UPLOAD_PATH = "/gradio_api/upload"
# A request body other than an upload: a question with its history is a few KB; Gradio's
# component_server took a 133 MB one before this limit.
MAX_BODY_BYTES = 2 * 1024 * 1024
# Pages a link on another site may open (top-level navigations only): the app and its login.
PAGE_PATHS = {"/", "/login"}
FOREIGN_FETCH_SITES = {"cross-site", "same-site"}


def host_name(value: str) -> str:
    """'Example.org:7860' -> 'example.org'; '[::1]:7860' -> '::1'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class RequestGuard:
    """ASGI middleware: refuse foreign Host headers, requests from other sites and oversized bodies.

    `allowed_hosts` are the host names (no ports) requests may carry; None allows any (a server
    bound to every interface, behind its login, with no names configured)."""

    def __init__(self, app, allowed_hosts: set[str] | None, max_files: int, max_upload_bytes: int,
                 max_body_bytes: int = MAX_BODY_BYTES):
        self.app = app
        self.allowed_hosts = {h.lower().strip("[]") for h in allowed_hosts} if allowed_hosts is not None else None
        self.max_files = max_files
        self.max_upload_bytes = max_upload_bytes
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if self.allowed_hosts is not None and host_name(host) not in self.allowed_hosts:
            return await _refuse(scope, send, 403, f"host {host!r} is not served here")
        foreign = from_another_site(scope, headers)
        if foreign:
            return await _refuse(scope, send, 403, f"{foreign} refused")
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        upload = scope.get("method") == "POST" and scope.get("path", "").endswith(UPLOAD_PATH)
        limit = self.max_upload_bytes if upload else self.max_body_bytes
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return await _refuse(scope, send, 400, "a Content-Length is a number")
            if int(length) > limit:
                return await _refuse(scope, send, 413, _too_large(limit, upload))
        elif upload:
            return await _refuse(scope, send, 411, "an upload needs a Content-Length")
        boundary = None
        if upload:
            boundary = multipart_boundary(headers.get("content-type", ""))
            if boundary is None:
                return await _refuse(scope, send, 400, "an upload is multipart/form-data with a boundary")
        return await self._bounded(scope, receive, send, limit, boundary)

    async def _bounded(self, scope, receive, send, limit: int, boundary: bytes | None):
        """Pass the request on, counting its body as it arrives: past `limit` bytes, or past
        max_files parts of an upload, the app is told the client left (it stores nothing) and the
        client gets 413."""
        received, parts, tail, over = 0, 0, b"", ""
        delimiter = b"--" + boundary if boundary else b""

        async def counted_receive():
            nonlocal received, parts, tail, over
            message = await receive()
            if message["type"] == "http.request" and not over:
                body = message.get("body", b"")
                received += len(body)
                if received > limit:
                    over = _too_large(limit, boundary is not None)
                elif delimiter:
                    data = tail + body
                    parts += data.count(delimiter) - tail.count(delimiter)
                    tail = data[-(len(delimiter) - 1):]
                    if parts - 1 > self.max_files:  # the last delimiter closes the body
                        over = f"an upload may hold at most {self.max_files} files"
                if over:
                    return {"type": "http.disconnect"}
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
            await _refuse(scope, send, 413, over)


def from_another_site(scope, headers: dict[str, str]) -> str | None:
    """What marks this request as sent by a page of another site, None when nothing does."""
    host = headers.get("host", "").lower()
    origin = headers.get("origin")
    if origin is not None:
        if origin == "null" or urlsplit(origin).netloc.lower() != host:
            return f"a request from {origin!r}"
        return None
    site = headers.get("sec-fetch-site", "").lower()
    if site not in FOREIGN_FETCH_SITES:
        return None
    navigation = (scope["type"] == "http" and scope.get("method") in ("GET", "HEAD")
                  and headers.get("sec-fetch-mode") == "navigate" and headers.get("sec-fetch-dest") == "document"
                  and scope.get("path", "") in PAGE_PATHS)
    return None if navigation else f"a {site} request"


def multipart_boundary(content_type: str) -> bytes | None:
    """The boundary of a multipart/form-data Content-Type, None for any other body."""
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        value = value.strip().strip('"')
        if key.strip().lower() == "boundary" and value:
            return value.encode("latin-1")
    return None


def _too_large(limit: int, upload: bool) -> str:
    return (f"an upload may hold {limit / 2**20:g} MB in all" if upload
            else f"a request body may hold {limit / 2**20:g} MB at most")


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


# An absolute POSIX path in a message (not the path of a URL: no word, ':' or '/' before it).
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~])/(?:[^\s/'\"`<>()]+/)+([^\s/'\"`<>()]*)")


def hide_paths(text: str, folders: dict[str, str]) -> str:
    """`text` as a user on another machine may see it: each of the server's `folders` (path ->
    what it is: "the index folder") named by what it is, any other absolute path by its last part
    ("…/x.txt"). Server paths tell a remote user how the machine is laid out, and nothing they
    can use."""
    for folder, name in sorted(folders.items(), key=lambda item: -len(item[0])):
        text = text.replace(folder.rstrip("/"), name)
    return _ABSOLUTE_PATH.sub(lambda m: "…/" + m.group(1), text)
