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


def build_index(vectors) -> faiss.Index:
    """Inner-product index over unit vectors (an array, or a list of arrays added in turn so no
    second copy of them all is made): exact while small, an inverted file when large."""
    parts = [vectors] if isinstance(vectors, np.ndarray) else list(vectors)
    dim = parts[0].shape[1]
    count = sum(len(p) for p in parts)
    if count < APPROXIMATE_FROM:
        index = faiss.IndexFlatIP(dim)
    else:
        lists = ivf_lists(count)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        sample = np.sort(np.random.default_rng(0).permutation(count)[:lists * IVF_TRAINING_PER_LIST])
        index.train(_rows_of(parts, sample))
        index.nprobe = IVF_PROBES
    for part in parts:
        index.add(np.ascontiguousarray(part, dtype=np.float32))
    if isinstance(index, faiss.IndexIVF):
        index.make_direct_map()  # reconstruct(): a row's vector, for similarity()
    return index


def _rows_of(parts: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
    """The given rows (sorted) of the concatenation of `parts`."""
    out, start = [], 0
    for part in parts:
        inside = rows[(rows >= start) & (rows < start + len(part))] - start
        out.append(np.asarray(part[inside], dtype=np.float32))
        start += len(part)
    return np.vstack(out)


class FaissIndex:
    """The vectors live once, in the FAISS index (a million 768-d vectors are 3 GB); vectors
    added since it was built wait in `_parts` (views of the segments' files when loaded)."""
    name = "faiss"
    keeps_vectors = False

    def __init__(self, dim: int):
        self.dim = dim
        self.keys: list[str] = []
        self.payloads: list[tuple[str, str, str]] = []  # (article id, date, source) of each row, for filters
        self._parts: list[np.ndarray] = []
        self._rows: dict[str, int] | None = None
        self._index: faiss.Index | None = None

    def describe(self) -> dict:
        return {"name": self.name}

    def __len__(self) -> int:
        return len(self.keys)

    def _all_parts(self) -> list[np.ndarray]:
        indexed = []
        if self._index is not None and self._index.ntotal:
            indexed = [self._index.reconstruct_n(0, self._index.ntotal)]
        return indexed + self._parts

    @property
    def vectors(self) -> np.ndarray:
        """All vectors, rows in key order (a copy)."""
        parts = self._all_parts()
        return np.vstack(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)

    @property
    def rows(self) -> dict[str, int]:
        if self._rows is None:
            self._rows = {key: i for i, key in enumerate(self.keys)}
        return self._rows

    @property
    def index(self) -> faiss.Index:
        if self._index is None or self._parts:
            parts = self._all_parts() or [np.zeros((0, self.dim), dtype=np.float32)]
            self._index, self._parts = None, []
            self._index = build_index(parts)
        return self._index

    def add(self, keys: list[str], vectors: np.ndarray, payloads: list[dict],
            terms: list[list[str]] | None = None) -> None:  # BM25 stays with the store
        if len(keys) != len(vectors) or len(keys) != len(payloads):
            raise ValueError("one vector and one payload a key")
        self.keys += keys
        self.payloads += [(p["article_id"], p.get("date", ""), p.get("source", "")) for p in payloads]
        self._parts.append(np.asarray(vectors, dtype=np.float32).reshape(len(keys), self.dim))
        self._rows = None

    def remove(self, keys: list[str]) -> None:
        gone = {self.rows[k] for k in keys if k in self.rows}
        if not gone:
            return
        keep = [i for i in range(len(self.keys)) if i not in gone]
        remaining = self.vectors[keep]
        self._index, self._parts = None, [remaining]
        self.keys = [self.keys[i] for i in keep]
        self.payloads = [self.payloads[i] for i in keep]
        self._rows = None

    def commit(self) -> None:
        pass  # nothing shared: the removals are already done

    def stored_keys(self) -> list[str]:
        return list(self.keys)

    def search(self, query: np.ndarray, k: int, where: ChunkFilter | None = None) -> list[tuple[str, float]]:
        if not self.keys or k <= 0:
            return []
        query = np.asarray(query, dtype=np.float32).reshape(1, -1)
        params = None
        if where is not None and where.restricts:  # rows masked before ranking
            allowed = np.asarray([i for i, p in enumerate(self.payloads) if where.allows(*p)], dtype=np.int64)
            if not allowed.size:
                return []
            selector = faiss.IDSelectorBatch(allowed)
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nprobe)
                      if isinstance(self.index, faiss.IndexIVF) else faiss.SearchParameters(sel=selector))
        scores, rows = self.index.search(query, min(k, len(self.keys)), params=params)
        return [(self.keys[r], float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def similarity(self, query: np.ndarray, keys: list[str]) -> np.ndarray:
        rows = np.asarray([self.rows.get(k, -1) for k in keys], dtype=np.int64)
        out = np.zeros(len(keys), dtype=np.float32)
        known = rows >= 0
        if known.any():
            out[known] = self.index.reconstruct_batch(rows[known]) @ np.asarray(query, dtype=np.float32)
        return out

    def save(self, folder: Path) -> None:
        """Only an inverted file is worth saving: it took k-means to train (minutes at 1M)."""
        if isinstance(self.index, faiss.IndexIVF):
            faiss.write_index(self.index, str(folder / SAVED))

    def load(self, folder: Path, keys: list[str]) -> bool:
        """An inverted file saved with the version, when it holds exactly as many vectors: it
        takes the place of the vectors added from the segments."""
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
        index.make_direct_map()
        self._index, self._parts = index, []
        return True
