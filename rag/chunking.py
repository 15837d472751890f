"""Article -> chunks of whole sentences, sized in embedder tokens, with character spans."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rag.arabic import clause_spans, sentence_spans
from rag.corpus import Article

TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class Chunk:
    article_id: str
    position: int  # 0, 1, 2 … within the article
    start: int  # character span in Article.text
    end: int
    text: str
    title: str

    @property
    def chunk_id(self) -> str:
        return f"{self.article_id}#{self.position}"


def _pieces(text: str, count: TokenCounter, max_tokens: int) -> list[tuple[int, int, int]]:
    """Sentences as (start, end, tokens); a sentence over max_tokens is cut at commas, then words."""
    pieces = []
    for start, end in sentence_spans(text):
        tokens = count(text[start:end])
        if tokens <= max_tokens:
            pieces.append((start, end, tokens))
            continue
        for c_start, c_end in clause_spans(text, start, end):
            c_tokens = count(text[c_start:c_end])
            if c_tokens <= max_tokens:
                pieces.append((c_start, c_end, c_tokens))
            else:
                pieces += _word_windows(text, c_start, c_end, count, max_tokens)
    return pieces


def _word_windows(text, start, end, count, max_tokens) -> list[tuple[int, int, int]]:
    """Last resort for a run-on clause: windows of whole words."""
    windows, window_start, cursor = [], start, start
    words = text[start:end].split(" ")
    for word in words:
        word_end = cursor + len(word)
        if count(text[window_start:word_end]) > max_tokens and cursor > window_start:
            windows.append((window_start, cursor - 1, count(text[window_start:cursor - 1])))
            window_start = cursor
        cursor = word_end + 1
    windows.append((window_start, end, count(text[window_start:end])))
    return windows


def chunk_article(article: Article, count: TokenCounter, max_tokens: int = 120,
                  overlap_sentences: int = 1) -> list[Chunk]:
    """Group consecutive sentences up to `max_tokens`; each chunk after the first repeats the
    last `overlap_sentences` sentences of the one before, so no fact is cut in half."""
    pieces = _pieces(article.text, count, max_tokens)
    groups: list[list[tuple[int, int, int]]] = []
    current: list[tuple[int, int, int]] = []
    for piece in pieces:
        if current and sum(p[2] for p in current) + piece[2] > max_tokens:
            groups.append(current)
            tail = current[-overlap_sentences:] if overlap_sentences else []
            # keep the overlap only while it leaves room for the new sentence
            while tail and sum(p[2] for p in tail) + piece[2] > max_tokens:
                tail = tail[1:]
            current = list(tail)
        current.append(piece)
    if current:
        groups.append(current)
    chunks = []
    for position, group in enumerate(groups):
        start, end = group[0][0], group[-1][1]
        chunks.append(Chunk(article.id, position, start, end, article.text[start:end], article.title))
    return chunks
