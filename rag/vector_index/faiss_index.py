"""FAISS in this process, the embedded default: exact search while small, an inverted file past
APPROXIMATE_FROM vectors. The vectors themselves are kept by the store in its segments; this
index is built from them when first searched (and, when large, saved with the version, so the
inverted file is trained once)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from rag.vector_index.base import ChunkFilter

# Exact search up to this many chunks, an inverted file (IVF-Flat) past it. bench/retrieval.py,
# 768-d, two cores: exact search takes 3 ms at p95 over 10k chunks, 25-48 ms over 100k and
# 250 ms over 1M. An HNSW graph answered in 1-7 ms but found only 0.70-0.89 of the exact top 10
# at 1M; the inverted file, probing 64 of its lists, finds 0.99+ within a few ms (BENCHMARKS.md).
APPROXIMATE_FROM = 100_000
IVF_PROBES = 64  # lists searched a query (nprobe)
IVF_TRAINING_PER_LIST = 64  # k-means sample: this many vectors a list at most
SAVED = "faiss.index"


def ivf_lists(count: int) -> int:
    """Lists of an inverted file over `count` vectors: about 4 sqrt(count), a power of two
    (1,024 at 100k, 4,096 at 1M)."""
    return 1 << round(np.log2(4 * np.sqrt(count)))


def build_index(vectors: np.ndarray) -> faiss.Index:
    """Inner-product index over unit vectors: exact while small, an inverted file when large."""
    dim = vectors.shape[1]
    if len(vectors) < APPROXIMATE_FROM:
        index = faiss.IndexFlatIP(dim)
    else:
        lists = ivf_lists(len(vectors))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).permutation(len(vectors))[:lists * IVF_TRAINING_PER_LIST]
        index.train(vectors[np.sort(sample)])
        index.nprobe = IVF_PROBES
    index.add(vectors)
    return index


class FaissIndex:
    name = "faiss"
    keeps_vectors = False

    def __init__(self, dim: int):
        self.dim = dim
        self.keys: list[str] = []
        self.articles: list[str] = []
        self._parts: list[np.ndarray] = []
        self._vectors: np.ndarray | None = np.zeros((0, dim), dtype=np.float32)
        self._rows: dict[str, int] | None = None
        self._index: faiss.Index | None = None

    def describe(self) -> dict:
        return {"name": self.name}

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def vectors(self) -> np.ndarray:
        """All vectors, rows in key order."""
        if self._parts:
            self._vectors = np.vstack([self._vectors, *self._parts])
            self._parts = []
        return self._vectors

    @property
    def rows(self) -> dict[str, int]:
        if self._rows is None:
            self._rows = {key: i for i, key in enumerate(self.keys)}
        return self._rows

    @property
    def index(self) -> faiss.Index:
        if self._index is None:
            self._index = build_index(self.vectors)
        return self._index

    def add(self, keys: list[str], vectors: np.ndarray, payloads: list[dict],
            terms: list[list[str]] | None = None) -> None:  # BM25 stays with the store
        if len(keys) != len(vectors) or len(keys) != len(payloads):
            raise ValueError("one vector and one payload a key")
        self.keys += keys
        self.articles += [p["article_id"] for p in payloads]
        self._parts.append(np.asarray(vectors, dtype=np.float32).reshape(len(keys), self.dim))
        self._rows = self._index = None

    def remove(self, keys: list[str]) -> None:
        gone = {self.rows[k] for k in keys if k in self.rows}
        if not gone:
            return
        keep = [i for i in range(len(self.keys)) if i not in gone]
        self._vectors = self.vectors[keep]
        self.keys = [self.keys[i] for i in keep]
        self.articles = [self.articles[i] for i in keep]
        self._rows = self._index = None

    def commit(self) -> None:
        pass  # nothing shared: the removals are already done

    def search(self, query: np.ndarray, k: int, where: ChunkFilter | None = None) -> list[tuple[str, float]]:
        if not self.keys or k <= 0:
            return []
        query = np.asarray(query, dtype=np.float32).reshape(1, -1)
        params = None
        if where is not None and where.articles is not None:
            allowed = np.asarray([i for i, a in enumerate(self.articles) if where.allows(a)], dtype=np.int64)
            if not allowed.size:
                return []
            selector = faiss.IDSelectorBatch(allowed)
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nprobe)
                      if isinstance(self.index, faiss.IndexIVF) else faiss.SearchParameters(sel=selector))
        scores, rows = self.index.search(query, min(k, len(self.keys)), params=params)
        return [(self.keys[r], float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def similarity(self, query: np.ndarray, keys: list[str]) -> np.ndarray:
        rows = [self.rows.get(k, -1) for k in keys]
        known = np.asarray([r for r in rows if r >= 0], dtype=np.int64)
        out = np.zeros(len(keys), dtype=np.float32)
        if known.size:
            mask = np.asarray(rows) >= 0
            out[mask] = self.vectors[known] @ np.asarray(query, dtype=np.float32)
        return out

    def save(self, folder: Path) -> None:
        """Only an inverted file is worth saving: it took k-means to train (minutes at 1M)."""
        if isinstance(self.index, faiss.IndexIVF):
            faiss.write_index(self.index, str(folder / SAVED))

    def load(self, folder: Path, keys: list[str]) -> bool:
        """An inverted file saved with the version, when it holds exactly as many vectors (the
        vectors are added from the segments all the same: similarity() reads them)."""
        path = folder / SAVED
        if not path.is_file():
            return False
        try:
            index = faiss.read_index(str(path))
        except RuntimeError:
            return False  # damaged: built again from the vectors
        if not isinstance(index, faiss.IndexIVF) or index.ntotal != len(keys) or index.d != self.dim:
            return False
        index.nprobe = IVF_PROBES
        self._index = index
        return True
