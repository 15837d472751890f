"""Question -> ranked chunks -> passages for the LLM.

Ranking is hybrid: EmbeddingGemma's cosine (dense) plus BM25 (rag.lexical), the BM25 side
weighted by how much of the question the corpus vocabulary holds at all. An Arabic question
over Arabic articles gets the lexical help; an English question over the same articles matches
almost none of their terms, so it is ranked by the dense side alone and keeps its cross-lingual
quality (a plain fusion would drag it down: see BENCHMARKS.md, XQuAD).

Chunks are short (a sentence or two) because the 1.5B model answers best from little text:
given long passages it mixes up who said what, and every extra token costs prompt time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from rag import lexical
from rag.config import BM25_WEIGHT, CONTEXT_WEIGHT, Settings
from rag.embedder import Embedder
from rag.store import Store
from rag.vector_index.base import ChunkFilter
from rag.types import Chunk, Passage


@dataclass
class Retrieval:
    ranked: list[tuple[Chunk, float]]  # best first (hybrid order), each with its cosine score
    passages: list[Passage]
    query_vector: np.ndarray | None = None  # the query's embedding, kept so nothing embeds it again

    def with_passages(self, passages: list[Passage]) -> "Retrieval":
        return replace(self, passages=passages)

    @property
    def best_score(self) -> float:
        """Best cosine among the candidates: what the evidence gate is calibrated on."""
        return max((score for _, score in self.ranked), default=0.0)


@dataclass(frozen=True)
class Fusion:
    """How the dense and BM25 rankings combine. Defaults from rag.config, which says what each
    was chosen on."""
    dense: bool = True  # False: BM25 alone (for the benchmark)
    weight: float = BM25_WEIGHT  # BM25's part at full coverage: the top BM25 chunk gains this much cosine
    no_coverage: float = 0.3  # share of query terms known to the corpus under which BM25 counts nothing
    full_coverage: float = 0.7  # … and from which it counts fully
    context_weight: float = CONTEXT_WEIGHT  # weight of the mean cosine of the chunk and its neighbours
    candidates: int = 50  # taken from each side

    @classmethod
    def from_settings(cls, settings: Settings) -> "Fusion":
        return cls(weight=settings.bm25_weight, context_weight=settings.context_weight)

    def lexical_weight(self, coverage: float) -> float:
        if not self.dense:
            return 1.0
        ramp = (coverage - self.no_coverage) / max(self.full_coverage - self.no_coverage, 1e-6)
        return self.weight * min(1.0, max(0.0, ramp))


def rank_rows(dense_top: list[tuple[int, float]], dense_of: Callable[[np.ndarray], np.ndarray],
              neighbours: tuple[np.ndarray, np.ndarray] | None, lexical_scores: np.ndarray, coverage: float,
              fusion: Fusion, k: int) -> list[tuple[int, float]]:
    """The k best rows as (row, cosine), in hybrid order.

    `dense_top` is the dense side's candidates with their cosines, `dense_of(rows)` gives the
    cosine of any other row, `lexical_scores` is BM25 over all rows, and `neighbours` each row's
    neighbours in its article (Store.neighbours), needed only with `fusion.context_weight`: then
    a chunk's neighbours count too. On a corpus of single-topic texts the answer sits where the
    text around it is about the question as well (XQuAD R@1 +0.01), but a news article covers
    several stories and on news it helps nothing, so it is off by default (rag.config).
    """
    weight = fusion.lexical_weight(coverage)
    rows = [r for r, _ in dense_top] if fusion.dense else []
    lexical_best = 0.0
    if weight > 0 and lexical_scores.size:
        n = min(fusion.candidates, lexical_scores.size)
        top = np.argpartition(-lexical_scores, n - 1)[:n]
        top = top[lexical_scores[top] > 0]
        seen = set(rows)
        rows += [int(r) for r in top if int(r) not in seen]
        lexical_best = float(lexical_scores[top].max()) if top.size else 0.0
    if not rows:
        return []
    rows_array = np.asarray(rows)
    known = dict(dense_top)
    missing = [i for i, r in enumerate(rows) if r not in known]
    cosines = np.asarray([known.get(r, 0.0) for r in rows], dtype=np.float32)
    if missing:
        cosines[missing] = dense_of(rows_array[missing])
    bm25 = lexical_scores[rows_array] / lexical_best if lexical_best > 0 else np.zeros(len(rows))
    fused = weight * bm25
    if fusion.dense:
        dense = cosines
        if fusion.context_weight:
            before, after = neighbours
            context = (cosines + dense_of(before[rows_array]) + dense_of(after[rows_array])) / 3
            # a weighted mean, so the dense side stays on the cosine's scale for the BM25 weight
            dense = (cosines + fusion.context_weight * context) / (1 + fusion.context_weight)
        fused = fused + dense
    order = np.argsort(-fused, kind="stable")[:k]
    return [(rows[i], float(cosines[i])) for i in order]


def search_query(question: str, history: list[tuple[str, str]]) -> str:
    """A follow-up ("and what did he say about …?") is searched together with the question before
    it, so the retriever sees who and what it is about (the claim check reads it so too)."""
    if history:
        return f"{history[-1][0]}\n{question}"
    return question


def ranked_json(ranked: list[tuple[Chunk, float]]) -> list[dict]:
    """A ranking as `rag ask --json` and `rag eval` report it."""
    return [{"article_id": c.article_id, "chunk_id": c.chunk_id, "score": round(s, 4)} for c, s in ranked]


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
    def __init__(self, store: Store, embedder: Embedder, fusion: Fusion = Fusion()):
        self.store = store
        self.embedder = embedder
        self.fusion = fusion

    def search(self, query: str, k: int = 20, where: ChunkFilter | None = None,
               vector: np.ndarray | None = None) -> list[tuple[Chunk, float]]:
        """The k best chunks for the query, hybrid order, each with its cosine score; with
        `where`, only chunks it allows (applied before ranking, on both sides). `vector`: the
        query's embedding when the caller has it."""
        if vector is None:
            vector = self.embedder.encode_query([query])[0]
        dense_top = self.store.search_rows(vector, max(k, self.fusion.candidates), where)
        query_terms = lexical.terms(query)
        coverage = self.store.lexical.coverage(query_terms)
        lexical_scores = (self.store.lexical.scores(query_terms) if self.fusion.lexical_weight(coverage) > 0
                          else np.zeros(0, dtype=np.float32))
        if where is not None and lexical_scores.size:
            lexical_scores = lexical_scores * self.store.allowed_rows(where)
        neighbours = self.store.neighbours if self.fusion.context_weight else None  # built on first use
        rows = rank_rows(dense_top, lambda rows: self.store.similarity(vector, rows), neighbours,
                         lexical_scores, coverage, self.fusion, k)
        return [(self.store.chunks[r], score) for r, score in rows]

    def retrieve(self, query: str, top_k: int, candidates: int = 20, budget_tokens: int = 400,
                 passages_per_article: int = 2, where: ChunkFilter | None = None) -> Retrieval:
        """Up to `top_k` of the best chunks as passages for the LLM (overlapping chunks of one
        article merged), within `budget_tokens` embedder tokens (headlines counted) and at most
        `passages_per_article` separate passages from one article, so it cannot crowd out the rest."""
        vector = self.embedder.encode_query([query])[0]
        ranked = self.search(query, max(candidates, top_k), where, vector)
        chosen: list[tuple[Chunk, float]] = []
        used = 0
        for chunk, score in ranked:
            if len(chosen) == top_k:
                break
            tokens = self.embedder.count_tokens(f"{chunk.title}\n{chunk.text}")  # the headline is sent too
            if chosen and used + tokens > budget_tokens:
                continue
            same_article = [cs for cs in chosen if cs[0].article_id == chunk.article_id]
            if len(merge_chunks(same_article + [(chunk, score)])) > passages_per_article:
                continue
            chosen.append((chunk, score))
            used += tokens
        return Retrieval(ranked, merge_chunks(chosen), vector)
