"""What the answer path needs of an LLM, whichever engine runs it (rag.llm.load picks one).

    stream(messages, max_tokens, start="", fixed=0) -> pieces of the answer as they come
        greedy (the same prompt gives the same answer where the engine allows). `start`: words
        the answer must begin with (a second try's "According to the sources,"); a backend that
        can prefill the assistant's turn (llama.cpp) continues from them, one that cannot (an
        OpenAI-style server) is asked in the user's turn to begin with them, and yields them
        first only if the answer does begin so (`prefills` says which). `fixed`: how many
        leading messages are the same for many prompts (the system prompt and examples of a
        language), whose state a backend may keep.
    prepare(fixed_messages)  compute and keep that state ahead of the first question; may do nothing.
    prompt_tokens(messages)  tokens the prompt takes: exact for llama.cpp, an estimate for a server.
    last_stats              after a stream: prompt/generated tokens, seconds, and `logprobs`
                            (one (token text, log-probability) a generated token) where the
                            engine returns them, else None.
    name                    what the UI and `rag eval` show.
"""

from __future__ import annotations

from typing import Iterator, Protocol


class LLMError(RuntimeError):
    """The LLM cannot be used: missing model, server down or refusing, unknown model, …"""


class LLM(Protocol):
    name: str
    prefills: bool
    last_stats: dict

    def stream(self, messages: list[dict], max_tokens: int = 256, start: str = "",
               fixed: int = 0) -> Iterator[str]: ...

    def prepare(self, fixed: list[dict]) -> None: ...

    def prompt_tokens(self, messages: list[dict]) -> int: ...
