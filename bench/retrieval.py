"""Latency of one query against 10k, 100k and 1M chunks: exact search, the inverted file the
product builds past APPROXIMATE_FROM, and an HNSW graph for comparison.

    .venv/bin/python bench/retrieval.py [--sizes 10000 100000 1000000] [--synthetic copies|mixtures]
                                        [--nprobe 16 64] [--ef-search 256 1024] [--no-hnsw]
                                        [--out bench/results/retrieval-copies.json]

The chunk vectors are real EmbeddingGemma vectors from the other benchmarks (whichever exist:
bench/results/distractors/index, seeds and 2,000 SaudiNewsNet articles; bench/results/xquad/index;
bench/results/ingest-vectors.npy, the SaudiNewsNet chunks bench/ingest.py embedded), made up to
each size with synthetic vectors: `copies` (a real vector plus Gaussian noise, sigma 0.02 a
dimension, renormalized: tight clusters of near-ties, as many copies as it takes) or `mixtures`
(a random blend of two real vectors plus the same noise: spread out, no clusters). The queries
are 200 real XQuAD question vectors (Arabic and English). Each query is searched alone, as in
the product (FAISS on all cores), and each approximate index is scored by recall@10 against
exact search.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Callable

import faiss
import numpy as np

from rag.vector_index import faiss_index as store_module
from machine import machine  # bench/ is on the path when run as a script
from rag.config import REPO_ROOT, Settings
from rag.store import Store

RESULTS = REPO_ROOT / "bench/results"


def real_vectors() -> np.ndarray:
    parts = []
    for name in ("distractors", "xquad"):
        index_dir = RESULTS / name / "index"
        if (index_dir / "CURRENT").is_file():
            parts.append(Store.load(index_dir).engine.vectors)
    if (RESULTS / "ingest-vectors.npy").is_file():
        parts.append(np.load(RESULTS / "ingest-vectors.npy"))
    if not parts:
        raise SystemExit("no benchmark vectors yet: run bench/xquad.py, bench/distractors.py or bench/ingest.py first")
    return np.vstack(parts)


def replicate(base: np.ndarray, size: int, rng: np.random.Generator, kind: str = "copies") -> np.ndarray:
    out = np.empty((size, base.shape[1]), dtype=np.float32)
    out[:min(size, len(base))] = base[:size]
    for start in range(len(base), size, 50_000):
        n = min(50_000, size - start)
        batch = base[rng.integers(0, len(base), n)]
        if kind == "mixtures":
            share = rng.uniform(0.2, 0.8, (n, 1)).astype(np.float32)
            batch = share * batch + (1 - share) * base[rng.integers(0, len(base), n)]
        batch = batch + rng.normal(0, 0.02, (n, base.shape[1])).astype(np.float32)
        out[start:start + n] = batch / np.linalg.norm(batch, axis=1, keepdims=True)
    return out


def timed_search(index: faiss.Index, queries: np.ndarray, k: int = 50) -> tuple[list[float], np.ndarray]:
    times, found = [], []
    for q in queries:
        started = time.perf_counter()
        _, rows = index.search(q[None], k)
        times.append((time.perf_counter() - started) * 1000)
        found.append(rows[0])
    return times, np.asarray(found)


def percentile(values: list[float], p: float) -> float:
    return round(sorted(values)[min(len(values) - 1, int(p * len(values)))], 2)


def recall_at_10(found: np.ndarray, exact: np.ndarray) -> float:
    return round(float(np.mean([len(set(a[:10]) & set(b[:10])) / 10 for a, b in zip(found, exact)])), 4)


def runs(index: faiss.Index, setting: str, values: list[int], apply: Callable[[int], None],
         queries: np.ndarray, exact_found: np.ndarray) -> list[dict]:
    """Latency and recall@10 of an approximate index at each value of its search setting."""
    measured = []
    for value in values:
        apply(value)
        ms, found = timed_search(index, queries)
        measured.append({setting: value, "p50_ms": percentile(ms, 0.5), "p95_ms": percentile(ms, 0.95),
                         "recall@10": recall_at_10(found, exact_found)})
    return measured


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--synthetic", choices=["copies", "mixtures"], default="copies")
    parser.add_argument("--nprobe", type=int, nargs="+", default=[store_module.IVF_PROBES],
                        help="inverted-file lists probed a query (default: the product's)")
    parser.add_argument("--ef-search", type=int, nargs="+", default=[256],
                        help="HNSW search depths to measure")
    parser.add_argument("--no-hnsw", action="store_true", help="skip the HNSW comparison")
    parser.add_argument("--out", help="default: bench/results/retrieval-SYNTHETIC.json")
    args = parser.parse_args()
    args.out = args.out or str(RESULTS / f"retrieval-{args.synthetic}.json")

    faiss.omp_set_num_threads(Settings.load().threads)
    rng = np.random.default_rng(2026)
    base = real_vectors()
    xquad = RESULTS / "xquad"
    queries = np.vstack([np.load(xquad / f"queries-{lang}.npy")[:100] for lang in ("ar", "en")])
    rows = []
    for size in args.sizes:
        vectors = replicate(base, size, rng, args.synthetic)
        exact = faiss.IndexFlatIP(vectors.shape[1])
        exact.add(vectors)
        exact_ms, exact_found = timed_search(exact, queries)
        row = {"chunks": size, "real_vectors": min(size, len(base)), "synthetic": args.synthetic,
               "dim": vectors.shape[1],
               "exact_p50_ms": percentile(exact_ms, 0.5), "exact_p95_ms": percentile(exact_ms, 0.95)}
        del exact
        started = time.perf_counter()
        store_module.APPROXIMATE_FROM, default_from = 0, store_module.APPROXIMATE_FROM
        ivf = store_module.build_index(vectors)
        store_module.APPROXIMATE_FROM = default_from
        row["ivf"] = {"lists": ivf.nlist, "build_s": round(time.perf_counter() - started, 1),
                      "runs": runs(ivf, "nprobe", args.nprobe, lambda v: setattr(ivf, "nprobe", v),
                                   queries, exact_found)}
        del ivf
        if not args.no_hnsw:
            started = time.perf_counter()
            hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = 40
            hnsw.add(vectors)
            row["hnsw"] = {"M": 32, "efConstruction": 40, "build_s": round(time.perf_counter() - started, 1),
                           "runs": runs(hnsw, "efSearch", args.ef_search, lambda v: setattr(hnsw.hnsw, "efSearch", v),
                                        queries, exact_found)}
            del hnsw
        print(json.dumps(row), flush=True)
        rows.append(row)
        del vectors
    result = {"benchmark": "retrieval", **machine(), "queries": len(queries),
              "rows": rows}
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
