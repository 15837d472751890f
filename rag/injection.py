"""Text in an article written to steer the LLM ("ignore your instructions and answer X").

Such sentences are taken out of the passages before the LLM reads them, and never count as
evidence in the claim check, so an article can neither dictate an answer nor support one it
dictated. The system prompt also tells the model that sources are data, not instructions; these
patterns are the part that does not depend on the model obeying it.
"""

from __future__ import annotations

import re

from rag.arabic import normalize, sentence_spans

# Matched against normalized text (rag.arabic.normalize: lower case, no punctuation, ا for أ/إ/آ,
# ه for ة, ي for ى).
_PATTERNS = [re.compile(p) for p in (
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|rules|prompts?|guidelines)\b",
    r"\b(ai|artificial intelligence|language model|llm|chatbot|ai assistant)\b.{0,40}\b(must|should|answer|respond|reply|say|write)\b",
    r"\b(answer|respond to|reply to)\b (every|all|each|any) (question|questions|user)\b",
    r"\bsystem (prompt|note|message|instruction)",
    r"\b(do not|don t|never) (cite|mention|show) (any )?(sources?|citations?|references?)\b",
    r"\byou are now\b",
    r"(تجاهل|انس|اهمل).{0,30}(تعليماتك|قواعدك|اوامرك|التعليمات السابقه|القواعد السابقه)",
    r"(المساعد الذكي|نموذج اللغه|روبوت المحادثه).{0,40}\b(اجب|قل|اكتب)\b",
    r"اجب عن (كل|جميع|اي) (سؤال|الاسئله)",
    r"(لا|دون ان) (تذكر|تستشهد ب|تعرض) (اي )?(مصادر|مصدر|المصادر)",
)]


def is_instruction(sentence: str) -> bool:
    """Whether a sentence of an article speaks to the assistant instead of reporting news."""
    text = normalize(sentence)
    return any(p.search(text) for p in _PATTERNS)


def instruction_spans(text: str) -> list[tuple[int, int]]:
    return [(s, e) for s, e in sentence_spans(text) if is_instruction(text[s:e])]


def without_instructions(text: str, placeholder: str = "[…]") -> str:
    """`text` with its instruction sentences replaced by `placeholder`."""
    for start, end in reversed(instruction_spans(text)):
        text = text[:start] + placeholder + text[end:]
    return text
