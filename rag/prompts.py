"""Prompt building: the templates in prompts/ (installed as the package data rag.prompt_templates)
made into chat messages. No engine here: every LLM backend (rag.llm) gets the same messages.

The refusal sentence and a second try's opening words are read here, the one place; the answer
path hands them on to the checks.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from rag.injection import without_instructions
from rag.types import Passage

TEMPLATES = "rag.prompt_templates"


@lru_cache(maxsize=None)
def template(name: str) -> str:
    return resources.files(TEMPLATES).joinpath(name).read_text(encoding="utf-8").strip()


def refusal(lang: str) -> str:
    """The fixed sentence that says the articles do not hold the answer."""
    return template(f"refusal_{lang}.txt")


def withheld(lang: str) -> str:
    """What is said instead of an answer the LLM wrote but the verifier did not confirm; the
    closest passages are shown with it."""
    return template(f"withheld_{lang}.txt")


def answer_start(lang: str) -> str:
    """Words a second try at an answer begins with, after the model refused on strong evidence."""
    return template(f"answer_start_{lang}.txt")


def format_sources(passages: list[dict] | list[Passage], headlines: bool = True) -> str:
    """Numbered sources as the LLM reads them (a passage's `prompt_text` where rag.condense
    chose its sentences), each under its article's headline unless `headlines` is False;
    sentences that address the assistant (headlines too) replaced by […] (rag.injection)."""
    source = template("source.txt")
    rows = []
    for n, p in enumerate(passages, 1):
        title, text = (p["title"], p["text"]) if isinstance(p, dict) else (p.title, p.prompt_text or p.text)
        row = source.format(n=n, title=without_instructions(title) if headlines else "", text=without_instructions(text))
        rows.append(row.replace(" \n", "\n", 1))
    return "\n\n".join(rows)


def user_message(question: str, passages, headlines: bool = True) -> str:
    return template("question.txt").format(sources=format_sources(passages, headlines), question=question)


def fixed_messages(lang: str, headlines: bool = True) -> list[dict]:
    """The system prompt and worked examples of a language: the start of every prompt in it
    (the examples' sources with headlines or without, as the questions' will be)."""
    return [dict(message) for message in _fixed_messages(lang, headlines)]


@lru_cache(maxsize=None)
def _fixed_messages(lang: str, headlines: bool) -> tuple[dict, ...]:
    messages = [{"role": "system", "content": template(f"system_{lang}.txt")}]
    for example in json.loads(template(f"examples_{lang}.json")):
        messages.append({"role": "user", "content": user_message(example["question"], example["sources"], headlines)})
        messages.append({"role": "assistant", "content": example["answer"]})
    return tuple(messages)


def build_messages(question: str, passages: list[Passage], lang: str,
                   history: list[tuple[str, str]] = (), headlines: bool = True) -> list[dict]:
    """The fixed messages first (the same for every question in a language, so a backend can keep
    their state, see LLM.stream's `fixed`), then the conversation so far, then the sources with
    the question."""
    messages = fixed_messages(lang, headlines)
    for asked, answered in history:
        messages.append({"role": "user", "content": asked})
        messages.append({"role": "assistant", "content": answered})
    messages.append({"role": "user", "content": user_message(question, passages, headlines)})
    return messages
