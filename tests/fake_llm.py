"""A scripted LLM for fast tests of everything around the model (the answer pipeline, streaming,
the second try, the checks, the UI): it answers from a script, word by word, and records the
prompts it was given. It follows rag.llm.base.LLM."""

from __future__ import annotations

import re
from typing import Callable, Iterator


class FakeLLM:
    name = "fake"
    prefills = True

    def __init__(self, answers: list[str] | Callable[[list[dict], str], str]):
        """`answers`: one answer a call, in order (the last repeats), or a function of the messages
        and the start words that returns the answer."""
        self.answers = answers
        self.calls: list[dict] = []  # {"messages", "start", "max_tokens"} for each stream
        self.last_stats: dict = {}

    def stream(self, messages: list[dict], max_tokens: int = 256, start: str = "", fixed: int = 0) -> Iterator[str]:
        self.calls.append({"messages": messages, "start": start, "max_tokens": max_tokens})
        if callable(self.answers):
            text = self.answers(messages, start)
        else:
            text = self.answers[min(len(self.calls) - 1, len(self.answers) - 1)]
        if start:
            yield start
        pieces = re.findall(r"\S+\s*|\s+", text)
        yield from pieces
        self.last_stats = {"prompt_tokens": self.prompt_tokens(messages), "reused_tokens": 0,
                           "generated_tokens": len(pieces), "prompt_s": 0.0, "generation_s": 0.0, "logprobs": None}

    def prepare(self, fixed: list[dict]) -> None:
        pass

    def prompt_tokens(self, messages: list[dict]) -> int:
        return sum(len(m["content"]) // 4 + 4 for m in messages)


def sources_of(messages: list[dict]) -> str:
    """The sources block of the last user message (what the model was given to answer from)."""
    return messages[-1]["content"]
