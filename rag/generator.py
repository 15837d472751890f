"""Prompt building from the templates in prompts/, and streaming answers from llama.cpp."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from rag.config import PROMPTS_DIR
from rag.retriever import Passage


class GeneratorError(RuntimeError):
    pass


@lru_cache(maxsize=None)
def template(name: str, prompts_dir: Path = PROMPTS_DIR) -> str:
    return (prompts_dir / name).read_text(encoding="utf-8").strip()


def refusal(lang: str) -> str:
    """The fixed sentence that says the articles do not hold the answer."""
    return template(f"refusal_{lang}.txt")


def format_sources(passages: list[dict] | list[Passage]) -> str:
    source = template("source.txt")
    rows = []
    for n, p in enumerate(passages, 1):
        title, text = (p["title"], p["text"]) if isinstance(p, dict) else (p.title, p.text)
        rows.append(source.format(n=n, title=title, text=text))
    return "\n\n".join(rows)


def user_message(question: str, passages) -> str:
    return template("question.txt").format(sources=format_sources(passages), question=question)


def build_messages(question: str, passages: list[Passage], lang: str,
                   history: list[tuple[str, str]] = ()) -> list[dict]:
    """System prompt and worked examples first (the same for every question, so llama.cpp keeps
    them cached), then the conversation so far, then the sources with the question."""
    messages = [{"role": "system", "content": template(f"system_{lang}.txt")}]
    for example in json.loads(template(f"examples_{lang}.json")):
        messages.append({"role": "user", "content": user_message(example["question"], example["sources"])})
        messages.append({"role": "assistant", "content": example["answer"]})
    for asked, answered in history:
        messages.append({"role": "user", "content": asked})
        messages.append({"role": "assistant", "content": answered})
    messages.append({"role": "user", "content": user_message(question, passages)})
    return messages


class Generator:
    def __init__(self, model_path: Path, context_tokens: int = 4096, threads: int = 2):
        from llama_cpp import Llama

        model_path = Path(model_path)
        if not model_path.is_file():
            raise GeneratorError(
                f"no GGUF model at {model_path}; run the setup command (./setup.sh) "
                f"or point RAG_LLM at a GGUF file")
        self.path = model_path
        self.llm = Llama(model_path=str(model_path), n_ctx=context_tokens, n_threads=threads,
                         n_threads_batch=threads, n_batch=512, verbose=False)

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, messages: list[dict], max_tokens: int = 256) -> Iterator[str]:
        """Yield the answer piece by piece; greedy decoding, so the same prompt gives the same answer."""
        parts = self.llm.create_chat_completion(
            messages=messages, stream=True, temperature=0.0, top_k=1, max_tokens=max_tokens,
            repeat_penalty=1.05)
        for part in parts:
            delta = part["choices"][0]["delta"].get("content")
            if delta:
                yield delta
