"""Qdrant: one collection holds each chunk's dense vector, its BM25 terms as a sparse vector
(weighted by Qdrant's IDF modifier) and its article id for filters. The same client serves a
server or cluster (RAG_QDRANT_URL), Qdrant's local mode in the index folder (one process at a
time) and `QdrantClient(":memory:")` in the tests.

The index folder still holds the manifest and the chunks (segments without vectors.npy), so the
rest of the answer path, BM25 included, ranks exactly as with FAISS; the sparse vectors let a
deployment query the lexical side in the engine too (lexical_search).
"""

from __future__ import annotations

import atexit
import uuid
import warnings
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

from rag.index_folder import StoreError
from rag.vector_index.base import ChunkFilter

DENSE = "dense"
TERMS = "terms"
_NAMESPACE = uuid.UUID("6f1c9a52-2b9e-4c61-9d7e-3f0a1b2c4d5e")
# BM25's term-frequency saturation for the sparse vectors (the IDF part is Qdrant's modifier).
# AVERAGE_TERMS is about a 64-token chunk's terms with its headline (seed articles: 31).
K1, B, AVERAGE_TERMS = 1.2, 0.75, 31.0
UPSERT_BATCH = 256
_CLIENTS: dict[tuple, object] = {}


@atexit.register
def _close_clients() -> None:
    """Close the cached clients while Python can still run their close (local mode writes)."""
    while _CLIENTS:
        _, client = _CLIENTS.popitem()
        client.close()


def point_id(key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, key))


def term_id(term: str) -> int:
    """A term's dimension in the sparse vectors: a 32-bit hash, so no vocabulary is shared
    between writers (a collision merges two terms, about one in a million pairs at 100k terms)."""
    return zlib.crc32(term.encode("utf-8"))


def sparse_terms(terms: list[str]) -> tuple[list[int], list[float]]:
    """BM25's saturated term frequency of each distinct term of a chunk."""
    counts = Counter(term_id(t) for t in terms)
    norm = K1 * (1 - B + B * len(terms) / AVERAGE_TERMS)
    ids = sorted(counts)
    return ids, [counts[i] * (K1 + 1) / (counts[i] + norm) for i in ids]


PAYLOAD_FORMAT = 2


def day_number(iso: str) -> int:
    """An ISO date as the number Qdrant compares in a range: 2015-09-29 -> 20150929."""
    return int(iso[:10].replace("-", ""))


def _excludes_all(where: ChunkFilter | None) -> bool:
    return where is not None and (where.articles is not None and not where.articles
                                  or where.sources is not None and not where.sources)


class QdrantIndex:
    name = "qdrant"
    keeps_vectors = True

    def __init__(self, client, collection: str, dim: int):
        from qdrant_client import models

        self.client, self.collection, self.dim, self.models = client, collection, dim, models
        self._removed: list[str] = []
        if not client.collection_exists(collection):
            client.create_collection(
                collection,
                vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.DOT)},
                sparse_vectors_config={TERMS: models.SparseVectorParams(modifier=models.Modifier.IDF)})
            with warnings.catch_warnings():  # local mode says payload indexes do nothing there
                warnings.simplefilter("ignore", UserWarning)
                client.create_payload_index(collection, "article_id", models.PayloadSchemaType.KEYWORD)
                client.create_payload_index(collection, "source", models.PayloadSchemaType.KEYWORD)
                client.create_payload_index(collection, "day", models.PayloadSchemaType.INTEGER)
        else:
            size = client.get_collection(collection).config.params.vectors[DENSE].size
            if size != dim:
                raise StoreError(f"the Qdrant collection {collection!r} holds {size}-d vectors, not {dim}-d: "
                                 f"name another one (RAG_QDRANT_COLLECTION) or delete it")

    @classmethod
    def from_settings(cls, settings, dim: int) -> "QdrantIndex":
        from qdrant_client import QdrantClient

        if settings.qdrant_url:
            where = ("url", settings.qdrant_url, settings.qdrant_api_key)
        else:  # local mode: Qdrant's own files in the index folder, one process at a time
            where = ("path", str(settings.index_dir / "qdrant"), "")
        # One client a location and process: local mode refuses a second one on its folder
        # (the app's uploads and its searches share it).
        if where not in _CLIENTS:
            if where[0] == "url":
                _CLIENTS[where] = QdrantClient(url=where[1], api_key=where[2] or None)
            else:
                settings.index_dir.mkdir(parents=True, exist_ok=True)
                _CLIENTS[where] = QdrantClient(path=where[1])
        return cls(_CLIENTS[where], settings.qdrant_collection, dim)

    def describe(self) -> dict:
        # payload 2: points carry "day" (a date as a number, for ranges) and "source"
        return {"name": self.name, "collection": self.collection, "payload": PAYLOAD_FORMAT}

    def add(self, keys: list[str], vectors: np.ndarray, payloads: list[dict],
            terms: list[list[str]] | None = None) -> None:
        if len(keys) != len(vectors) or len(keys) != len(payloads):
            raise ValueError("one vector and one payload a key")
        models = self.models
        for start in range(0, len(keys), UPSERT_BATCH):
            points = []
            for i in range(start, min(start + UPSERT_BATCH, len(keys))):
                vector = {DENSE: np.asarray(vectors[i], dtype=np.float32).tolist()}
                if terms is not None and terms[i]:
                    ids, values = sparse_terms(terms[i])
                    vector[TERMS] = models.SparseVector(indices=ids, values=values)
                payload = {**payloads[i], "key": keys[i]}
                if payload.get("date"):
                    payload["day"] = day_number(payload["date"])
                points.append(models.PointStruct(id=point_id(keys[i]), vector=vector, payload=payload))
            self.client.upsert(self.collection, points, wait=True)

    def remove(self, keys: list[str]) -> None:
        self._removed += keys  # readers of the version still current search them until commit()

    def commit(self) -> None:
        removed, self._removed = self._removed, []
        for start in range(0, len(removed), UPSERT_BATCH):
            self.client.delete(self.collection, [point_id(k) for k in removed[start:start + UPSERT_BATCH]], wait=True)

    def stored_keys(self) -> list[str]:
        """Every key the collection holds (a rebuild sweeps out those its index no longer lists:
        a crashed ingest's batch, articles dropped since)."""
        keys, offset = [], None
        while True:
            records, offset = self.client.scroll(self.collection, limit=1024, offset=offset,
                                                 with_payload=["key"], with_vectors=False)
            keys += [r.payload["key"] for r in records]
            if offset is None:
                return keys

    def _filter(self, where: ChunkFilter | None):
        """The filter as Qdrant payload conditions, applied by the server before ranking."""
        if where is None or not where.restricts:
            return None
        models, must = self.models, []
        if where.articles is not None:
            must.append(models.FieldCondition(key="article_id", match=models.MatchAny(any=sorted(where.articles))))
        if where.since or where.until:
            must.append(models.FieldCondition(key="day", range=models.Range(
                gte=day_number(where.since) if where.since else None,
                lte=day_number(where.until) if where.until else None)))
        if where.sources is not None:
            must.append(models.FieldCondition(key="source", match=models.MatchAny(any=sorted(where.sources))))
        return models.Filter(must=must)

    def search(self, query: np.ndarray, k: int, where: ChunkFilter | None = None) -> list[tuple[str, float]]:
        if k <= 0 or _excludes_all(where):
            return []
        found = self.client.query_points(self.collection, query=np.asarray(query, dtype=np.float32).tolist(),
                                         using=DENSE, query_filter=self._filter(where), limit=k,
                                         with_payload=["key"]).points
        return [(p.payload["key"], float(p.score)) for p in found]

    def lexical_search(self, terms: list[str], k: int, where: ChunkFilter | None = None) -> list[tuple[str, float]]:
        """The k chunks whose sparse term vectors best match the query's terms (BM25 with
        Qdrant's IDF)."""
        ids = sorted({term_id(t) for t in terms})
        if not ids or k <= 0 or _excludes_all(where):
            return []
        query = self.models.SparseVector(indices=ids, values=[1.0] * len(ids))
        found = self.client.query_points(self.collection, query=query, using=TERMS, query_filter=self._filter(where),
                                         limit=k, with_payload=["key"]).points
        return [(p.payload["key"], float(p.score)) for p in found]

    def similarity(self, query: np.ndarray, keys: list[str]) -> np.ndarray:
        out = np.zeros(len(keys), dtype=np.float32)
        if not keys:
            return out
        ids = [point_id(k) for k in keys]
        records = self.client.retrieve(self.collection, list(dict.fromkeys(ids)), with_payload=False,
                                       with_vectors=[DENSE])
        vectors = {str(r.id): r.vector[DENSE] for r in records}
        query = np.asarray(query, dtype=np.float32)
        for i, pid in enumerate(ids):
            if pid in vectors:
                out[i] = float(np.asarray(vectors[pid], dtype=np.float32) @ query)
        return out

    def save(self, folder: Path) -> None:
        pass  # the engine keeps its own data

    def load(self, folder: Path, keys: list[str]) -> bool:
        """The collection holds the version's chunks: as many points at least, and a sample of
        its keys."""
        if not keys:
            return True
        if self.client.count(self.collection, exact=True).count < len(keys):
            return False
        step = max(1, len(keys) // 16)
        sample = [point_id(k) for k in keys[::step]]
        return len(self.client.retrieve(self.collection, sample, with_payload=False)) == len(sample)

