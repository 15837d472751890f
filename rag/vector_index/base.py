"""What the store needs of a vector engine, whichever holds the vectors: this process (FAISS) or
a server (Qdrant).

Vectors are unit vectors, scored by inner product (cosine). Each is known by a key the store
makes (rag.store.chunk_key): the chunk's id and its article's content hash, so a changed article's
new vectors never take the place of the old ones a reader of the previous version still searches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class ChunkFilter:
    """Which chunks a search may return: those of the given articles, of articles dated from
    `since` to `until` (ISO dates, both included), and of the given sources (None: any). With a
    date bound set, an article without a date is left out: nothing says it is in the range."""
    articles: frozenset[str] | None = None
    since: str | None = None
    until: str | None = None
    sources: frozenset[str] | None = None

    def allows(self, article_id: str, date: str = "", source: str = "") -> bool:
        if self.articles is not None and article_id not in self.articles:
            return False
        if (self.since or self.until) and not date:
            return False
        if (self.since and date < self.since) or (self.until and date > self.until):
            return False
        return self.sources is None or source in self.sources

    @property
    def restricts(self) -> bool:
        return any(v is not None for v in (self.articles, self.since, self.until, self.sources))


class VectorIndex(Protocol):
    name: str  # the engine, as the manifest records it
    keeps_vectors: bool  # True: the engine stores the vectors itself (a server); the store need not

    def describe(self) -> dict:
        """What the manifest records of the engine, checked when the index is opened again."""

    def add(self, keys: list[str], vectors: np.ndarray, payloads: list[dict],
            terms: list[list[str]] | None = None) -> None:
        """Add vectors (payloads: each chunk's article id and metadata, for filters; terms: its
        BM25 terms, for an engine that searches them too)."""

    def remove(self, keys: list[str]) -> None:
        """Remove vectors; an engine shared with readers of the previous version may wait for
        commit() to do it."""

    def commit(self) -> None:
        """Called once the version that no longer lists the removed keys is current."""

    def stored_keys(self) -> list[str]:
        """Every key the engine holds (for a server: those of every version and writer)."""

    def search(self, query: np.ndarray, k: int, where: ChunkFilter | None = None) -> list[tuple[str, float]]:
        """The k keys nearest to a unit query vector, best first, with their cosines."""

    def similarity(self, query: np.ndarray, keys: list[str]) -> np.ndarray:
        """The cosine of the query with each given key's vector (0 for a key it does not hold)."""

    def save(self, folder: Path) -> None:
        """Write what the engine keeps of a version into its folder (nothing for a server)."""

    def load(self, folder: Path, keys: list[str]) -> bool:
        """Called when a version is opened, after the store added its vectors (engines that do
        not keep them): take what the engine saved in the version's folder for exactly these
        keys, or check that a server holds them; False when it cannot."""
