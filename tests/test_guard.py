"""rag.guard in front of an app, request by request (ASGI, no server): nothing from another site
reaches the app, GET and websockets included; every body is bounded; an upload's parts are
counted whatever its file names look like. The real Gradio app behind it: test_app.py."""

import asyncio

import pytest

from rag.guard import RequestGuard, from_another_site, multipart_boundary

HOST = "127.0.0.1:7860"
OWN = "http://127.0.0.1:7860"


class Recorder:
    """An app that reads the whole body and answers 200; it notes what it was given."""

    def __init__(self):
        self.calls, self.bodies = [], []

    async def __call__(self, scope, receive, send):
        self.calls.append((scope["type"], scope.get("path")))
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # a client that left: nothing is stored
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def call(guard, path="/", method="GET", headers=None, body_pieces=(b"",), kind="http"):
    """(status or websocket close code, app calls) for one request through `guard`."""
    headers = {"host": HOST, **(headers or {})}
    scope = {"type": kind, "path": path, "method": method,
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    pieces = list(body_pieces)
    sent = []

    async def receive():
        if pieces:
            piece = pieces.pop(0)
            return {"type": "http.request", "body": piece, "more_body": bool(pieces)}
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(guard(scope, receive, send))
    for message in sent:
        if message["type"] == "http.response.start":
            return message["status"]
        if message["type"] == "websocket.close":
            return message["code"]
        if message["type"] == "websocket.accept":
            return "accepted"
    return None


def guarded(**limits):
    app = Recorder()
    return RequestGuard(app, {"127.0.0.1", "localhost", "::1"}, limits.get("max_files", 3),
                        limits.get("max_upload_bytes", 10_000), limits.get("max_body_bytes", 1_000)), app


@pytest.mark.parametrize("path, method", [
    ("/gradio_api/token", "GET"),  # the session token a page on another site could read
    ("/gradio_api/queue/data", "GET"),  # the answers' event stream (SSE)
    ("/gradio_api/queue/join", "POST"),  # a question
    ("/", "GET"),
    ("/gradio_api/token", "OPTIONS"),  # a CORS preflight gets no Allow-Origin either
])
def test_a_foreign_origin_is_refused_on_every_method(path, method):
    guard, app = guarded()
    for origin in ("http://attacker.example", "null", "http://127.0.0.1:8000", "https://127.0.0.1:7860.evil"):
        assert call(guard, path, method, {"origin": origin}) == 403
    assert app.calls == []
    assert call(guard, path, method, {"origin": OWN}) == 200


def test_a_websocket_from_another_site_is_closed_before_the_app_sees_it():
    guard, app = guarded()
    assert call(guard, "/gradio_api/queue/join", kind="websocket", headers={"origin": "http://attacker.example"}) == 1008
    assert call(guard, "/gradio_api/queue/join", kind="websocket", headers={"sec-fetch-site": "cross-site"}) == 1008
    assert app.calls == []
    assert call(guard, "/gradio_api/queue/join", kind="websocket", headers={"origin": OWN}) == "accepted"


def test_without_an_origin_the_browsers_fetch_site_decides():
    guard, app = guarded()
    for site in ("cross-site", "same-site"):  # same-site: another port of this host, a sibling domain
        assert call(guard, "/gradio_api/token", headers={"sec-fetch-site": site, "sec-fetch-mode": "no-cors"}) == 403
        # a frame of the app inside another site's page (clickjacking) is no navigation of the user's
        assert call(guard, "/", headers={"sec-fetch-site": site, "sec-fetch-mode": "navigate",
                                         "sec-fetch-dest": "iframe"}) == 403
        # a navigation opens the API's answer in the user's tab, but not to the app's own URLs
        assert call(guard, "/gradio_api/token", headers={"sec-fetch-site": site, "sec-fetch-mode": "navigate",
                                                         "sec-fetch-dest": "document"}) == 403
    assert app.calls == []
    # a link to the app clicked on another site opens it; the user's own tab, bookmark, typed URL too
    assert call(guard, "/", headers={"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate",
                                     "sec-fetch-dest": "document"}) == 200
    assert call(guard, "/", headers={"sec-fetch-site": "none"}) == 200
    assert call(guard, "/gradio_api/token", headers={"sec-fetch-site": "same-origin"}) == 200
    assert call(guard, "/gradio_api/token") == 200  # gradio_client, curl: no browser headers at all


def test_origin_matching_is_exact():
    headers = lambda origin: {"host": HOST, "origin": origin}  # noqa: E731
    http = {"type": "http", "method": "GET", "path": "/"}
    assert from_another_site(http, headers(OWN)) is None
    assert from_another_site(http, headers("https://127.0.0.1:7860")) is None  # same host and port, TLS proxy
    assert from_another_site(http, headers("http://localhost:7860"))  # another origin to the browser
    assert from_another_site(http, headers("http://127.0.0.1"))


def test_every_body_is_bounded_by_its_length_or_as_it_arrives():
    guard, app = guarded(max_body_bytes=1_000)
    path = "/gradio_api/component_server"
    assert call(guard, path, "POST", {"origin": OWN, "content-length": "133000000"}) == 413
    assert call(guard, path, "POST", {"content-length": "12x"}) == 400
    # no Content-Length (chunked): counted as it comes, the app told the client left
    assert call(guard, path, "POST", body_pieces=[b"x" * 600, b"x" * 600]) == 413
    assert app.bodies == []
    assert call(guard, path, "POST", {"content-length": "600"}, body_pieces=[b"x" * 600]) == 200
    assert app.bodies == [b"x" * 600]


def multipart(names, boundary="b0undary"):
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="files"; {name}\r\n'
             f"Content-Type: text/plain\r\n\r\nText.\r\n" for name in names]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


@pytest.mark.parametrize("spelling", ['filename="a.txt"', "filename*=UTF-8''a.txt", "filename=a.txt",
                                      "FILENAME = 'a.txt'", 'filename="a.txt"; filename*=UTF-8\'\'b.txt'])
def test_an_upload_counts_its_parts_whatever_the_file_names_look_like(spelling):
    guard, app = guarded(max_files=3)
    body = multipart([spelling] * 4)
    headers = {"content-type": "multipart/form-data; boundary=b0undary", "content-length": str(len(body))}
    # the body in small pieces: a delimiter cut in two still counts once
    pieces = [body[i:i + 7] for i in range(0, len(body), 7)]
    assert call(guard, "/gradio_api/upload", "POST", headers, pieces) == 413
    assert app.bodies == []
    body = multipart([spelling] * 3)
    headers["content-length"] = str(len(body))
    assert call(guard, "/gradio_api/upload", "POST", headers, [body[i:i + 7] for i in range(0, len(body), 7)]) == 200


def test_an_upload_needs_its_length_and_a_boundary():
    guard, app = guarded()
    assert call(guard, "/gradio_api/upload", "POST", {"content-type": "multipart/form-data; boundary=x"}) == 411
    assert call(guard, "/gradio_api/upload", "POST", {"content-type": "application/json", "content-length": "2"},
                [b"{}"]) == 400
    assert call(guard, "/gradio_api/upload", "POST", {"content-type": "multipart/form-data; boundary=x",
                                                      "content-length": "20000"}) == 413
    assert app.calls == []
    assert multipart_boundary('multipart/form-data; boundary="a b"') == b"a b"
    assert multipart_boundary("Multipart/Form-Data;BOUNDARY=z") == b"z"
    assert multipart_boundary("text/plain; boundary=z") is None
