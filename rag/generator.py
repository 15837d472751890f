"""Prompt building from the templates in prompts/, and streaming answers from llama.cpp."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from rag.config import PROMPTS_DIR
from rag.injection import without_instructions
from rag.retriever import Passage


class GeneratorError(RuntimeError):
    pass


@lru_cache(maxsize=None)
def template(name: str, prompts_dir: Path = PROMPTS_DIR) -> str:
    return (prompts_dir / name).read_text(encoding="utf-8").strip()


def refusal(lang: str) -> str:
    """The fixed sentence that says the articles do not hold the answer."""
    return template(f"refusal_{lang}.txt")


def answer_start(lang: str) -> str:
    """Words a second try at an answer begins with, after the model refused on strong evidence."""
    return template(f"answer_start_{lang}.txt")


def format_sources(passages: list[dict] | list[Passage]) -> str:
    source = template("source.txt")
    rows = []
    for n, p in enumerate(passages, 1):
        title, text = (p["title"], p["text"]) if isinstance(p, dict) else (p.title, p.text)
        rows.append(source.format(n=n, title=title, text=without_instructions(text)))
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
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        model_path = Path(model_path)
        if not model_path.is_file():
            raise GeneratorError(
                f"no GGUF model at {model_path}; run the setup command (./setup.sh) "
                f"or point RAG_LLM at a GGUF file")
        self.path = model_path
        self.llm = Llama(model_path=str(model_path), n_ctx=context_tokens, n_threads=threads,
                         n_threads_batch=threads, n_batch=512, verbose=False)
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise GeneratorError(f"{model_path} has no chat template; an instruction-tuned GGUF is needed")
        # The model's own chat template, as llama-cpp-python's chat completion uses it; formatted
        # here so that an answer can be started with a few given words (see `stream`).
        eos, bos = self.llm.token_eos(), self.llm.token_bos()
        self.formatter = Jinja2ChatFormatter(
            template=template, stop_token_ids=[eos],
            eos_token=self.llm._model.token_get_text(eos) if eos != -1 else "",
            bos_token=self.llm._model.token_get_text(bos) if bos != -1 else "")

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, messages: list[dict], max_tokens: int = 256, start: str = "") -> Iterator[str]:
        """Yield the answer piece by piece, `start` (words the answer is made to begin with)
        first; greedy decoding, so the same prompt gives the same answer."""
        formatted = self.formatter(messages=messages)
        prompt = self.llm.tokenize((formatted.prompt + start).encode("utf-8"),
                                   add_bos=not formatted.added_special, special=True)
        parts = self.llm.create_completion(
            prompt=prompt, stream=True, temperature=0.0, top_k=1, max_tokens=max_tokens,
            repeat_penalty=1.05, stop=formatted.stop, stopping_criteria=formatted.stopping_criteria)
        if start:
            yield start
        for part in parts:
            text = part["choices"][0]["text"]
            if text:
                yield text
