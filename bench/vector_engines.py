"""One query at a time against 10k and 100k chunks: the product's FAISS engine, the product's
Qdrant engine through qdrant-client's local mode (the client used against a server; its local
mode is pure Python), and Qdrant's own engine in-process (qdrant-edge-py, beta: HNSW after
optimize()), with recall@10 against exact search.

    .venv/bin/python -m pip install qdrant-edge-py==0.9.0   # benchmark only, not a dependency
    .venv/bin/python bench/vector_engines.py [--sizes 10000 100000] [--local-up-to 20000]

Vectors: 768-d, unit, each a random blend of two of 2,000 random "topics" plus noise (sigma 0.05 a dimension: a query
has near neighbours, as real chunks do); 200 queries made the same way. Run alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import machine  # noqa: E402

from rag.config import REPO_ROOT  # noqa: E402
from rag.vector_index.faiss_index import FaissIndex  # noqa: E402
from rag.vector_index.qdrant_index import QdrantIndex, point_id  # noqa: E402

DIM = 768


def vectors(count: int, rng) -> np.ndarray:
    topics = rng.normal(size=(2000, DIM)).astype(np.float32)
    pick = rng.integers(0, 2000, size=(count, 2))
    share = rng.uniform(0.2, 0.8, size=(count, 1)).astype(np.float32)
    out = share * topics[pick[:, 0]] + (1 - share) * topics[pick[:, 1]] + rng.normal(scale=0.05, size=(count, DIM)).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def timed(search, queries) -> tuple[dict, list[list[str]]]:
    times, found = [], []
    for q in queries:
        started = time.perf_counter()
        found.append(search(q))
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 2), "p95_ms": round(float(np.percentile(times, 95)), 2)}, found


def recall(found, exact) -> float:
    return round(float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact)])), 4)


def edge_engine(data: np.ndarray, keys: list[str], folder: str):
    import qdrant_edge as edge

    config = edge.EdgeConfig(vectors={"dense": edge.EdgeVectorParams(size=DIM, distance=edge.Distance.Dot)})
    shard = edge.EdgeShard.create(folder, config)
    for start in range(0, len(keys), 1000):
        shard.update(edge.UpdateOperation.upsert_points(
            [edge.Point(id=point_id(keys[i]), vector={"dense": data[i].tolist()}, payload={"key": keys[i]})
             for i in range(start, min(start + 1000, len(keys)))]))
    started = time.perf_counter()
    shard.optimize()
    built = time.perf_counter() - started

    def search(q, ef=None):
        points = shard.query(edge.QueryRequest(limit=10, query=edge.Query.Nearest(q.tolist(), using="dense"),
                                               with_payload=True, params=edge.SearchParams(hnsw_ef=ef) if ef else None))
        return [p.payload["key"] for p in points]
    return search, built


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--local-up-to", type=int, default=20_000, help="largest size for qdrant-client local mode")
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/vector-engines.json"))
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    queries = vectors(200, rng)
    rows = []
    for size in args.sizes:
        data = vectors(size, rng)
        keys = [f"a{i}#0@h" for i in range(size)]
        payloads = [{"article_id": f"a{i}", "chunk_id": f"a{i}#0"} for i in range(size)]
        faiss_engine = FaissIndex(DIM)
        faiss_engine.add(keys, data, payloads)
        faiss_engine.search(queries[0], 10)  # built
        exact = [[keys[i] for i in np.argsort(-(data @ q))[:10]] for q in queries]
        stats, found = timed(lambda q: [k for k, _ in faiss_engine.search(q, 10)], queries)
        rows.append({"engine": f"faiss (product: {type(faiss_engine.index).__name__})", "chunks": size, **stats,
                     "recall@10": recall(found, exact)})
        print(json.dumps(rows[-1]), flush=True)
        if size <= args.local_up_to:
            from qdrant_client import QdrantClient

            local = QdrantIndex(QdrantClient(":memory:"), "bench", DIM)
            started = time.perf_counter()
            local.add(keys, data, payloads)
            stats, found = timed(lambda q: [k for k, _ in local.search(q, 10)], queries)
            rows.append({"engine": "qdrant-client local mode (product's Qdrant engine)", "chunks": size, **stats,
                         "load_s": round(time.perf_counter() - started, 1), "recall@10": recall(found, exact)})
            print(json.dumps(rows[-1]), flush=True)
        try:
            with tempfile.TemporaryDirectory() as folder:
                search, built = edge_engine(data, keys, folder)
                for ef in (None, 256):
                    stats, found = timed(lambda q: search(q, ef), queries)
                    rows.append({"engine": f"qdrant-edge (Qdrant's engine, HNSW, ef {ef or 'default'})",
                                 "chunks": size, **stats, "optimize_s": round(built, 1),
                                 "recall@10": recall(found, exact)})
                    print(json.dumps(rows[-1]), flush=True)
        except ImportError:
            print("qdrant-edge-py is not installed: pip install qdrant-edge-py==0.9.0", file=sys.stderr)
    Path(args.out).write_text(json.dumps({"benchmark": "vector-engines", **machine(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
