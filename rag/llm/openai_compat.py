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
"""

from __future__ import annotations

import json
import time
from typing import Iterator

import httpx

from rag.llm.base import LLMError

# A server's tokenizer is not ours to call; prompts are budgeted with a cautious estimate
# (Qwen's tokenizer: about 3.5 characters a token in English, 2.5 in Arabic).
CHARS_PER_TOKEN = 2.5
MESSAGE_OVERHEAD_TOKENS = 5  # role markers and separators, per message
START_INSTRUCTION = "Begin your answer with these words: {start}"


class OpenAICompatible:
    prefills = False  # no common way to continue an assistant turn: see base.LLM.stream

    def __init__(self, url: str, model: str = "", api_key: str = "", timeout: float = 120.0,
                 options: dict | None = None, transport: httpx.BaseTransport | None = None):
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=self.url, headers=headers, transport=transport,
                                    timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))
        self.timeout = timeout
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
            raise LLMError(f"no LLM server answers at {self.url} ({type(exc).__name__}: {exc}); "
                           f"start it, or correct RAG_LLM_URL / --llm-url") from None
        _raise_for_status(response, self.url)
        return response

    def stream(self, messages: list[dict], max_tokens: int = 256, start: str = "",
               fixed: int = 0) -> Iterator[str]:
        if start:  # no prefill: asked for in words, and the answer streamed as it is written
            messages = [dict(m) for m in messages]
            messages[-1]["content"] += "\n\n" + START_INSTRUCTION.format(start=start)
        body = {"model": self.model, "messages": messages, "temperature": 0.0, "top_p": 1.0,
                "max_tokens": max_tokens, "stream": True, "seed": 0, **self.options}
        started, first, pieces, logprobs = time.perf_counter(), None, 0, []
        try:
            with self._client.stream("POST", "/chat/completions", json=body) as response:
                if response.status_code != 200:
                    response.read()
                    _raise_for_status(response, self.url)
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = _event(data, self.url)
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
                           "generation_s": ended - first, "logprobs": logprobs or None}

    def prepare(self, fixed: list[dict]) -> None:
        """Nothing: a server keeps the common prompt prefix itself (llama.cpp's do), and a warm-up
        request would sit in other users' queue."""

    def prompt_tokens(self, messages: list[dict]) -> int:
        return sum(int(len(m.get("content") or "") / CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS for m in messages)


def _event(data: str, url: str) -> dict:
    try:
        chunk = json.loads(data)
    except ValueError:
        raise LLMError(f"the LLM server at {url} sent an unreadable event: {data[:200]!r}") from None
    if isinstance(chunk, dict) and chunk.get("error"):
        raise LLMError(f"the LLM server at {url} failed midway: {_message(chunk)}")
    return chunk if isinstance(chunk, dict) else {}


def _raise_for_status(response: httpx.Response, url: str) -> None:
    if response.status_code < 400:
        return
    try:
        detail = _message(response.json())
    except ValueError:
        detail = response.text[:300]
    if response.status_code in (401, 403):
        raise LLMError(f"the LLM server at {url} refused the request (HTTP {response.status_code}: {detail}); "
                       f"check RAG_LLM_API_KEY")
    raise LLMError(f"the LLM server at {url} answered HTTP {response.status_code}: {detail}")


def _message(payload) -> str:
    error = payload.get("error", payload) if isinstance(payload, dict) else payload
    if isinstance(error, dict):
        return str(error.get("message") or error)[:300]
    return str(error)[:300]
