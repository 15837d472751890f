"""The passages' sentences, one list for every stage that reads them: what the LLM is given of
the passages (rag.condense) and what the claim check compares an answer with (rag.claims) are
the same sentences, split the same way, less those that speak to the assistant (rag.injection)."""

from __future__ import annotations

from rag.arabic import sentence_spans
from rag.injection import is_instruction
from rag.types import Evidence, Passage


def passage_sentences(passages: list[Passage]) -> list[Evidence]:
    """Each passage's sentences in order, numbered by passage from 1, with their article spans."""
    return [Evidence(n, p.text[s:e], p.start + s, p.start + e)
            for n, p in enumerate(passages, 1) for s, e in sentence_spans(p.text)
            if not is_instruction(p.text[s:e])]
