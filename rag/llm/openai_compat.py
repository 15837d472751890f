"""An LLM behind an OpenAI-compatible HTTP API: llama.cpp's llama-server, llama_cpp.server,
vLLM, Ollama, or a hosted one. `/v1/chat/completions`, streamed (server-sent events).

Only the common request fields are sent (model, messages, temperature, top_p, max_tokens, stop,
stream, seed); engine-specific ones (llama.cpp's `repeat_penalty`, vLLM's `repetition_penalty`,
`cache_prompt`, `logprobs` where the server computes them) come from the `llm_options` setting
(RAG_LLM_OPTIONS, a JSON object) and are sent as they are. The API key comes from the
environment (RAG_LLM_API_KEY), never from a command line.

The model is checked against `/v1/models` when the backend is made: some servers
(llama_cpp.server) silently answer with their default model when asked for one they do not
have. A streamed answer is never retried (it would repeat what the user has already seen); a
failure midway is an LLMError that says so.

A server is not trusted to end its answer: one answer has a deadline in all (`deadline`, besides
the wait for each read), and it is cut at a little more than the tokens asked for. Requests go
straight to the server, never through the environment's HTTP_PROXY (which would be handed the
bearer token), unless a proxy is named. What is shown of the server (errors, the model's name)
never holds the URL's credentials or the API key, and a refused request's body, which a server
may echo the key in, is not shown.
"""

from __future__ import annotations

import json
import time
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx

from rag.llm.base import LLMError

# A server's tokenizer is not ours to call; prompts are budgeted with a cautious estimate
# (Qwen's tokenizer: about 3.5 characters a token in English, 2.5 in Arabic).
CHARS_PER_TOKEN = 2.5
MESSAGE_OVERHEAD_TOKENS = 5  # role markers and separators, per message
START_INSTRUCTION = "Begin your answer with these words: {start}"
EXTRA_PIECES = 16  # pieces read past max_tokens before an answer is cut (a server may send a few more)
MAX_EVENT_BYTES = 1024 * 1024  # one server-sent event line; a longer one is no answer


def without_credentials(url: str) -> str:
    """The URL as it may be shown: 'http://user:key@host:8000/v1' -> 'http://host:8000/v1'."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class OpenAICompatible:
    prefills = False  # no common way to continue an assistant turn: see base.LLM.stream

    def __init__(self, url: str, model: str = "", api_key: str = "", timeout: float = 120.0,
                 options: dict | None = None, transport: httpx.BaseTransport | None = None,
                 deadline: float = 300.0, proxy: str = ""):
        self.url = without_credentials(url.rstrip("/"))  # the one form of it that is ever shown
        parts = urlsplit(url)
        self._secrets = [s for s in (api_key, parts.password, parts.username) if s]
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout, self.deadline = timeout, deadline
        read = min(timeout, deadline)
        self._client = httpx.Client(base_url=url.rstrip("/"), headers=headers, transport=transport,
                                    timeout=httpx.Timeout(read, connect=min(read, 10.0)),
                                    trust_env=False, proxy=proxy or None)
        self.options = dict(options or {})
        self.model = self._served_model(model)
        self.name = f"{self.model} ({self.url})"
        self.last_stats: dict = {}

    def _served_model(self, wanted: str) -> str:
        """`wanted` if the server has it; with none wanted, the server's only model."""
        response = self._request("GET", "/models")
        try:
            models = [m["id"] for m in response.json()["data"]]
        except (ValueError, KeyError, TypeError):
            raise LLMError(f"{self.url}/models did not answer as an OpenAI-compatible server does") from None
        if wanted and wanted not in models:
            raise LLMError(f"the LLM server at {self.url} has no model {wanted!r}; it has "
                           f"{', '.join(models) or 'none'} (set RAG_LLM_MODEL or --llm-model)")
        if not wanted:
            if len(models) != 1:
                raise LLMError(f"the LLM server at {self.url} has {len(models)} models "
                               f"({', '.join(models)}); name one with RAG_LLM_MODEL or --llm-model")
            wanted = models[0]
        return wanted

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise LLMError(f"the LLM server at {self.url} did not answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise LLMError(f"no LLM server answers at {self.url} ({type(exc).__name__}: {self._scrub(str(exc))}); "
                           f"start it, or correct RAG_LLM_URL / --llm-url") from None
        self._raise_for_status(response)
        return response

    def _scrub(self, text: str) -> str:
        """`text` without the API key or the URL's credentials, wherever a server echoed them."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code in (401, 403):  # its body may echo the key that was refused
            raise LLMError(f"the LLM server at {self.url} refused the request (HTTP {response.status_code}); "
                           f"check RAG_LLM_API_KEY")
        if response.status_code < 400:
            return
        try:
            detail = _message(response.json())
        except ValueError:
            detail = response.text[:300]
        raise LLMError(f"the LLM server at {self.url} answered HTTP {response.status_code}: {self._scrub(detail)}")

    def _lines(self, response: httpx.Response, until: float) -> Iterator[str]:
        """The response's lines as they arrive; LLMError past the deadline `until` (checked as
        each piece arrives, so a server that trickles bytes cannot hold an answer) or on a line
        longer than any event."""
        pending = b""
        for data in response.iter_bytes():
            if time.perf_counter() > until:
                raise LLMError(f"the LLM server at {self.url} took more than {self.deadline:g} s for one answer; "
                               f"the answer was stopped (RAG_LLM_DEADLINE)")
            pending += data
            *lines, pending = pending.split(b"\n")
            if len(pending) > MAX_EVENT_BYTES:
                raise LLMError(f"the LLM server at {self.url} sent an event of more than "
                               f"{MAX_EVENT_BYTES // 1024} KB; that is no answer")
            for line in lines:
                yield line.decode("utf-8", errors="replace").rstrip("\r")
        if pending:
            yield pending.decode("utf-8", errors="replace")

    def stream(self, messages: list[dict], max_tokens: int = 256, start: str = "",
               fixed: int = 0) -> Iterator[str]:
        if start:  # no prefill: asked for in words, and the answer streamed as it is written
            messages = [dict(m) for m in messages]
            messages[-1]["content"] += "\n\n" + START_INSTRUCTION.format(start=start)
        body = {"model": self.model, "messages": messages, "temperature": 0.0, "top_p": 1.0,
                "max_tokens": max_tokens, "stream": True, "seed": 0, **self.options}
        started, first, pieces, logprobs, cut = time.perf_counter(), None, 0, [], False
        try:
            with self._client.stream("POST", "/chat/completions", json=body) as response:
                if response.status_code != 200:
                    response.read()
                    self._raise_for_status(response)
                for line in self._lines(response, started + self.deadline):
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    if pieces >= max_tokens + EXTRA_PIECES:  # a server that does not keep to max_tokens
                        cut = True
                        break
                    chunk = self._event(data)
                    choice = (chunk.get("choices") or [{}])[0]
                    text = (choice.get("delta") or {}).get("content")
                    for item in ((choice.get("logprobs") or {}).get("content") or []):
                        logprobs.append((item.get("token", ""), item.get("logprob")))
                    if text:
                        first = first or time.perf_counter()
                        pieces += 1
                        yield text
        except httpx.TimeoutException:
            raise LLMError(f"the LLM server at {self.url} stopped answering for {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise LLMError(f"the connection to the LLM server at {self.url} failed "
                           f"{'midway through the answer' if first else 'before it answered'} "
                           f"({type(exc).__name__}); ask again") from None
        ended = time.perf_counter()
        first = first or ended
        self.last_stats = {"prompt_tokens": self.prompt_tokens(messages), "reused_tokens": None,
                           "generated_tokens": pieces, "prompt_s": first - started,
                           "generation_s": ended - first, "logprobs": logprobs or None, "cut": cut}

    def _event(self, data: str) -> dict:
        try:
            chunk = json.loads(data)
        except ValueError:
            raise LLMError(f"the LLM server at {self.url} sent an unreadable event: {self._scrub(data[:200])!r}") from None
        if isinstance(chunk, dict) and chunk.get("error"):
            raise LLMError(f"the LLM server at {self.url} failed midway: {self._scrub(_message(chunk))}")
        return chunk if isinstance(chunk, dict) else {}

    def prepare(self, fixed: list[dict]) -> None:
        """Nothing: a server keeps the common prompt prefix itself (llama.cpp's do), and a warm-up
        request would sit in other users' queue."""

    def prompt_tokens(self, messages: list[dict]) -> int:
        return sum(int(len(m.get("content") or "") / CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS for m in messages)


def _message(payload) -> str:
    error = payload.get("error", payload) if isinstance(payload, dict) else payload
    if isinstance(error, dict):
        return str(error.get("message") or error)[:300]
    return str(error)[:300]
