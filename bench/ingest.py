"""Ingest throughput: the product's embedder settings against a naive baseline, in one run.

    .venv/bin/python bench/ingest.py [--count 2000] [--out bench/results/ingest.json]

The same fixed sample of SaudiNewsNet articles as bench/distractors.py (seed 2026, first
`--count`) is chunked once; its chunks are then embedded by
  - the product: `Embedder` with dtype auto (bf16 only where the CPU has it), batches of 8
    sorted by length;
  - the baseline: fp32, one chunk at a time, in article order;
  - fp32 and bf16 forced, with the product's batching (to show what `auto` decides on this CPU).
Each reports chunks/s, articles/s and its own peak resident memory (each run in a child process).
The product's vectors are saved (bench/results/ingest-vectors.npy) as real chunk vectors for
bench/retrieval.py.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from distractors import sample_articles  # noqa: E402  (bench/ is on the path when run as a script)
from machine import machine  # noqa: E402
from rag.chunking import chunk_article  # noqa: E402
from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.corpus import Article  # noqa: E402
from rag.embedder import Embedder  # noqa: E402

VECTORS = REPO_ROOT / "bench/results/ingest-vectors.npy"


def embed(mode: str, texts: list[str], queue) -> None:
    settings = Settings.load()
    dtype = {"product": "auto", "baseline": "fp32", "fp32": "fp32", "bf16": "bf16"}[mode]
    embedder = Embedder(settings.embedder, threads=settings.threads, dtype=dtype)
    embedder.encode_documents(texts[:4], ingest=True)  # warm-up
    started = time.perf_counter()
    if mode == "baseline":
        for text in texts:
            embedder.encode_documents([text], batch_size=1, ingest=True)
    else:
        vectors = embedder.encode_documents(texts, ingest=True)
        if mode == "product":
            np.save(VECTORS, vectors)
    queue.put({"seconds": time.perf_counter() - started, "dtype": embedder.dtype,
               "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(REPO_ROOT.parent / "shared/data/saudinewsnet"))
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--modes", nargs="+", default=["product", "baseline", "fp32", "bf16"])
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/ingest.json"))
    args = parser.parse_args()

    settings = Settings.load()
    articles = [Article(id=a["id"], title=a["title"], text=a["text"])
                for a in sample_articles(Path(args.data), 2000)[:args.count]]
    counter = Embedder(settings.embedder, threads=settings.threads, dtype="fp32")
    chunks = [c for a in articles for c in
              chunk_article(a, counter.count_tokens, settings.chunk_tokens, settings.chunk_overlap_sentences)]
    del counter
    texts = [c.text for c in chunks]
    result = {"benchmark": "ingest", **machine(), "threads": settings.threads,
              "articles": len(articles), "chunks": len(chunks), "runs": {}}
    context = multiprocessing.get_context("spawn")
    for mode in args.modes:
        queue = context.Queue()
        child = context.Process(target=embed, args=(mode, texts, queue))
        child.start()
        run = queue.get()
        child.join()
        run.update({"chunks_per_s": round(len(chunks) / run["seconds"], 2),
                    "articles_per_s": round(len(articles) / run["seconds"], 3)})
        result["runs"][mode] = run
        print(mode, json.dumps(run), flush=True)
    if "product" in result["runs"] and "baseline" in result["runs"]:
        result["speedup_vs_baseline"] = round(result["runs"]["baseline"]["seconds"] / result["runs"]["product"]["seconds"], 2)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}))


if __name__ == "__main__":
    main()
