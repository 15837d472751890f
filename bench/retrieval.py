"""Latency of one query against 10k, 100k and 1M chunks: exact search and HNSW.

    .venv/bin/python bench/retrieval.py [--sizes 10000 100000 1000000] [--ef-search 256 1024]
                                        [--out bench/results/retrieval.json]

The chunk vectors are real EmbeddingGemma vectors from the other benchmarks (whichever exist:
bench/results/distractors/index, seeds and 2,000 SaudiNewsNet articles; bench/results/xquad/index;
bench/results/ingest-vectors.npy, the SaudiNewsNet chunks bench/ingest.py embedded),
replicated with Gaussian noise (sigma 0.02 a dimension, then renormalized) up to each size: the
replicas are said to be synthetic. The queries are 200 real XQuAD question vectors (Arabic and
English). Each query is searched alone, as in the product (FAISS on all cores); HNSW is the index
rag.store builds past HNSW_FROM, with its recall@10 against exact search.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import faiss
import numpy as np

from rag import store as store_module
from ttft import cpu_model  # bench/ is on the path when run as a script
from rag.config import REPO_ROOT, Settings
from rag.store import Store

RESULTS = REPO_ROOT / "bench/results"


def real_vectors() -> np.ndarray:
    parts = []
    for name in ("distractors", "xquad"):
        index_dir = RESULTS / name / "index"
        if (index_dir / "CURRENT").is_file():
            parts.append(Store.load(index_dir).vectors)
    if (RESULTS / "ingest-vectors.npy").is_file():
        parts.append(np.load(RESULTS / "ingest-vectors.npy"))
    if not parts:
        raise SystemExit("no benchmark vectors yet: run bench/xquad.py, bench/distractors.py or bench/ingest.py first")
    return np.vstack(parts)


def replicate(base: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((size, base.shape[1]), dtype=np.float32)
    out[:min(size, len(base))] = base[:size]
    for start in range(len(base), size, 50_000):
        n = min(50_000, size - start)
        batch = base[rng.integers(0, len(base), n)] + rng.normal(0, 0.02, (n, base.shape[1])).astype(np.float32)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--ef-search", type=int, nargs="+", default=[store_module.HNSW_SEARCH_DEPTH],
                        help="HNSW search depths to measure (default: the product's)")
    parser.add_argument("--out", default=str(RESULTS / "retrieval.json"))
    args = parser.parse_args()

    faiss.omp_set_num_threads(Settings.load().threads)
    rng = np.random.default_rng(2026)
    base = real_vectors()
    xquad = RESULTS / "xquad"
    queries = np.vstack([np.load(xquad / f"queries-{lang}.npy")[:100] for lang in ("ar", "en")])
    rows = []
    for size in args.sizes:
        vectors = replicate(base, size, rng)
        exact = faiss.IndexFlatIP(vectors.shape[1])
        exact.add(vectors)
        exact_ms, exact_found = timed_search(exact, queries)
        row = {"chunks": size, "real_vectors": min(size, len(base)), "dim": vectors.shape[1],
               "exact_p50_ms": percentile(exact_ms, 0.5), "exact_p95_ms": percentile(exact_ms, 0.95)}
        del exact
        started = time.perf_counter()
        store_module.HNSW_FROM, default_from = 0, store_module.HNSW_FROM
        hnsw = store_module.build_index(vectors)
        store_module.HNSW_FROM = default_from
        row["hnsw_build_s"] = round(time.perf_counter() - started, 1)
        row["hnsw"] = []
        for depth in args.ef_search:
            hnsw.hnsw.efSearch = depth
            hnsw_ms, hnsw_found = timed_search(hnsw, queries)
            recall = np.mean([len(set(a[:10]) & set(b[:10])) / 10 for a, b in zip(hnsw_found, exact_found)])
            row["hnsw"].append({"efSearch": depth, "p50_ms": percentile(hnsw_ms, 0.5),
                                "p95_ms": percentile(hnsw_ms, 0.95), "recall@10": round(float(recall), 4)})
        row["hnsw_M"] = store_module.HNSW_NEIGHBOURS
        print(json.dumps(row), flush=True)
        rows.append(row)
        del hnsw, vectors
    result = {"benchmark": "retrieval", "cpu": cpu_model(), "cores": os.cpu_count(), "queries": len(queries),
              "rows": rows}
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
