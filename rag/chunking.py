"""Article -> chunks of whole sentences, sized in embedder tokens, with character spans."""

from __future__ import annotations

import re
from typing import Callable

from rag.arabic import clause_spans, sentence_spans
from rag.corpus import Article
from rag.types import Chunk

TokenCounter = Callable[[str], int]
_WORD = re.compile(r"\S+")


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
    """Last resort for a run-on clause: windows of whole words (split on any whitespace, the
    no-break space too), a word longer than a window cut into pieces that fit."""
    windows: list[tuple[int, int, int]] = []
    window_start = window_end = None
    for word in _words(text, start, end, count, max_tokens):
        if window_start is not None and count(text[window_start:word[1]]) > max_tokens:
            windows.append((window_start, window_end, count(text[window_start:window_end])))
            window_start = None
        if window_start is None:
            window_start = word[0]
        window_end = word[1]
    if window_start is not None:
        windows.append((window_start, window_end, count(text[window_start:window_end])))
    return windows


def _words(text, start, end, count, max_tokens):
    """(start, end) of each whitespace-separated word of text[start:end]; one over `max_tokens`
    comes as consecutive pieces of at most that many tokens."""
    for match in _WORD.finditer(text, start, end):
        w_start, w_end = match.span()
        while w_start < w_end:
            # a token is rarely over a few characters: look no further than this for one piece
            high = min(w_end, w_start + max_tokens * 32)
            if count(text[w_start:high]) > max_tokens:
                low = w_start + 1  # the longest piece that fits, by halving
                while low < high:
                    middle = (low + high + 1) // 2
                    if count(text[w_start:middle]) <= max_tokens:
                        low = middle
                    else:
                        high = middle - 1
                high = low
            yield w_start, high
            w_start = high


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
