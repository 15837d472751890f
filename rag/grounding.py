"""Checks around the LLM: the evidence gate before it; refusals and citation markers after it
(the claim check itself is rag.claims)."""

from __future__ import annotations

import re

from rag.arabic import normalize, sentence_spans

CITATION = re.compile(r"\s*\[(\d+(?:\s*[,،]\s*\d+)*)\]")
_LEADING_MARKERS = re.compile(r"(?:\s*\[\d+(?:\s*[,،]\s*\d+)*\][.]?)+")

# Best retrieval score (cosine) under which the LLM is not asked at all. Calibrated on the seed
# question set: docs/design.md, "The gate and the LLM".
GATE = 0.25

# Ways the model says the sources lack the answer besides the exact sentence it is told to use.
_REFUSAL_MARKERS = [normalize(s) for s in (
    "the articles do not say", "the articles don't say", "the sources do not", "the sources don't",
    "the articles do not mention", "not mentioned in the", "do not contain", "does not say",
    "لا تذكر المقالات", "لا تذكر المصادر", "لم تذكر المقالات", "لم تذكر المصادر", "لا تتضمن المصادر",
    "لا توجد معلومات", "لم يرد في المصادر",
)]


def passes_gate(best_score: float, gate: float = GATE) -> bool:
    return best_score >= gate


# Best retrieval score from which a refusal by the LLM gets a second try. On the seed set the
# answerable questions the model refused scored 0.43-0.60, the unanswerable ones that reached
# the model 0.27-0.43 (one, 0.63, asks about a meeting the articles only announce).
SECOND_TRY = 0.44


def worth_a_second_try(best_score: float) -> bool:
    return best_score >= SECOND_TRY


def is_refusal(answer: str, refusal: str) -> bool:
    """Whether an answer says the sources lack it: the given refusal sentence (rag.prompts) or
    one of the other ways the model says so."""
    text = normalize(answer)
    if not text:
        return True
    return normalize(refusal) in text or any(marker in text for marker in _REFUSAL_MARKERS)


def cited_numbers(answer: str) -> list[int]:
    """Source numbers the answer cites, in order of first use."""
    found = []
    for group in CITATION.findall(answer):
        for n in re.split(r"\s*[,،]\s*", group):
            if int(n) not in found:
                found.append(int(n))
    return found


def clean_citations(answer: str, passage_count: int) -> str:
    """Drop markers that point at no passage, e.g. [7] when five were given."""
    def keep(match: re.Match) -> str:
        numbers = [n for n in re.split(r"\s*[,،]\s*", match.group(1)) if 1 <= int(n) <= passage_count]
        return f" [{'], ['.join(numbers)}]" if numbers else ""
    return CITATION.sub(keep, answer).strip()


def answer_sentences(answer: str) -> list[str]:
    """Sentences of an answer, each with the markers that close it."""
    sentences: list[str] = []
    for start, end in sentence_spans(answer):
        piece = answer[start:end]
        leading = _LEADING_MARKERS.match(piece)
        if sentences and leading:  # "… Lavrov. [2] Then …": the [2] closes the sentence before
            sentences[-1] += " " + leading.group().strip()
            piece = piece[leading.end():].strip()
        if piece and (not sentences or CITATION.sub("", piece).strip(" .،,")):
            sentences.append(piece)
        elif piece:
            sentences[-1] += " " + piece
    return sentences
