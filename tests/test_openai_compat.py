"""The OpenAI-compatible backend against servers that misbehave (httpx's mock transport, no
network): an answer has a deadline and a length, no proxy from the environment is handed the key,
and nothing shown holds the credentials."""

import json
import time

import httpx
import pytest

from rag.llm.base import LLMError
from rag.llm.openai_compat import OpenAICompatible, without_credentials

KEY = "sk-very-secret-key"


def event(text: str) -> bytes:
    return b"data: " + json.dumps({"choices": [{"delta": {"content": text}}]}).encode() + b"\n\n"


def server(answer):
    """A transport that lists one model and answers chat requests with `answer(request)`."""
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": [{"id": "m"}]})
        return answer(request)
    return httpx.MockTransport(handle)


def backend(answer, **kwargs):
    return OpenAICompatible("http://user:pass@127.0.0.1:9/v1", api_key=KEY, transport=server(answer), **kwargs)


def test_a_server_that_trickles_bytes_is_stopped_at_the_answers_deadline():
    def trickle():
        yield event("Once")
        while True:  # a byte at a time, each well within the read timeout
            time.sleep(0.05)
            yield b" "

    llm = backend(lambda request: httpx.Response(200, content=trickle()), timeout=5, deadline=0.5)
    started = time.perf_counter()
    with pytest.raises(LLMError, match="more than 0.5 s for one answer"):
        list(llm.stream([{"role": "user", "content": "q"}], max_tokens=8))
    assert time.perf_counter() - started < 2


def test_an_answer_longer_than_asked_for_is_cut():
    def endless():
        while True:
            yield event("word ")

    llm = backend(lambda request: httpx.Response(200, content=endless()))
    pieces = list(llm.stream([{"role": "user", "content": "q"}], max_tokens=10))
    assert 10 <= len(pieces) <= 10 + 16 and llm.last_stats["cut"]


def test_an_event_line_without_end_is_no_answer():
    def one_long_line():
        yield b"data: "
        while True:
            yield b"x" * 65536

    llm = backend(lambda request: httpx.Response(200, content=one_long_line()))
    with pytest.raises(LLMError, match="event of more than"):
        list(llm.stream([{"role": "user", "content": "q"}]))


def test_the_environments_proxy_is_not_handed_the_key(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:1")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:1")
    llm = OpenAICompatible("http://127.0.0.1:9/v1", api_key=KEY, transport=server(lambda r: httpx.Response(500)))
    assert llm._client._trust_env is False and not llm._client._mounts
    assert llm.model == "m"  # answered by the server itself
    from processes import free_port

    with pytest.raises(LLMError, match="no LLM server answers"):  # a proxy named is used: none listens there
        OpenAICompatible("http://127.0.0.1:9/v1", transport=server(lambda r: httpx.Response(500)),
                         proxy=f"http://127.0.0.1:{free_port()}")


def test_nothing_shown_holds_the_credentials():
    assert without_credentials("http://user:pass@host:8000/v1") == "http://host:8000/v1"
    assert without_credentials("https://[::1]:8/v1") == "https://[::1]:8/v1"
    echoed = {"error": {"message": f"Invalid API key {KEY} for user pass"}}
    for status in (401, 403, 500):
        llm = backend(lambda request, status=status: httpx.Response(status, json=echoed))
        with pytest.raises(LLMError) as refused:
            list(llm.stream([{"role": "user", "content": "q"}]))
        shown = str(refused.value) + llm.name
        assert KEY not in shown and "pass" not in shown and "user:" not in shown, shown
        assert "127.0.0.1:9/v1" in shown
    midway = backend(lambda request: httpx.Response(200, content=b"data: " + json.dumps(echoed).encode() + b"\n\n"))
    with pytest.raises(LLMError) as failed:
        list(midway.stream([{"role": "user", "content": "q"}]))
    assert KEY not in str(failed.value)
