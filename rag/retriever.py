"""Question -> ranked chunks -> passages for the LLM.

Chunks are short (a sentence or two) because the 1.5B model answers best from little text:
given long passages it mixes up who said what, and every extra token costs prompt time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.chunking import Chunk
from rag.embedder import Embedder
from rag.store import Store


@dataclass
class Passage:
    """Consecutive sentences of one article given to the LLM: a chunk, or overlapping chunks merged."""
    article_id: str
    title: str
    start: int  # character span in the article text
    end: int
    text: str
    score: float
    chunk_ids: list[str] = field(default_factory=list)


@dataclass
class Retrieval:
    ranked: list[tuple[Chunk, float]]  # best first
    passages: list[Passage]

    @property
    def best_score(self) -> float:
        return self.ranked[0][1] if self.ranked else 0.0


def merge_chunks(chunks: list[tuple[Chunk, float]]) -> list[Passage]:
    """Chunks of one article whose spans overlap become one passage."""
    passages: list[Passage] = []
    by_article: dict[str, list[tuple[Chunk, float]]] = {}
    for chunk, score in chunks:
        by_article.setdefault(chunk.article_id, []).append((chunk, score))
    for article_chunks in by_article.values():
        article_chunks.sort(key=lambda cs: cs[0].start)
        current = None
        for chunk, score in article_chunks:
            if current is not None and chunk.start <= current.end:
                if chunk.end > current.end:
                    current.text += chunk.text[current.end - chunk.start:]
                    current.end = chunk.end
                current.score = max(current.score, score)
                current.chunk_ids.append(chunk.chunk_id)
                continue
            current = Passage(chunk.article_id, chunk.title, chunk.start, chunk.end, chunk.text,
                              score, [chunk.chunk_id])
            passages.append(current)
    passages.sort(key=lambda p: -p.score)
    return passages


class Retriever:
    def __init__(self, store: Store, embedder: Embedder):
        self.store = store
        self.embedder = embedder

    def search(self, query: str, k: int = 20) -> list[tuple[Chunk, float]]:
        vector = self.embedder.encode_query([query])[0]
        return self.store.search(vector, k)

    def retrieve(self, query: str, top_k: int, candidates: int = 20) -> Retrieval:
        """The `top_k` best chunks, merged where they overlap, as passages."""
        ranked = self.search(query, max(candidates, top_k))
        return Retrieval(ranked, merge_chunks(ranked[:top_k]))
