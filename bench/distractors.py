"""Does the seed question set still find its articles among 2,000 other Arabic news articles?

    .venv/bin/python bench/distractors.py [--count 2000] [--out bench/results/distractors.json]

A fixed sample (seed 2026) of SaudiNewsNet articles from ../shared/data/saudinewsnet is ingested
next to seeds/ into bench/results/distractors/index, in batches of 250 through the product's
incremental ingest, so an interrupted run goes on where it stopped. Then the seed questions are
asked retrieval-only (as `rag eval --retrieval-only`): hit@1, hit@5 and MRR@10 on the article
that holds each answer, for the product's ranking and its parts (FUSIONS), and with the seeds
alone for comparison. Ingest throughput (articles/s, chunks/s) and peak memory are recorded
as well.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import zipfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.embedder import Embedder  # noqa: E402
from rag.evaluate import load_questions, run  # noqa: E402
from rag.ingest import ingest  # noqa: E402
from rag.retriever import Fusion, Retriever, ranked_json, search_query  # noqa: E402
from rag.store import Store  # noqa: E402

from machine import machine  # noqa: E402  (bench/ is on the path when run as a script)

WORK = REPO_ROOT / "bench/results/distractors"
BATCH = 250


def sample_articles(data: Path, count: int) -> list[dict]:
    from shared_data import require

    require(data, "saudinewsnet")
    articles = []
    for day in sorted(data.glob("*.zip")):
        with zipfile.ZipFile(day) as z:
            for name in z.namelist():
                for i, a in enumerate(json.loads(z.read(name))):
                    if a.get("content", "").strip():
                        articles.append({"id": f"snn-{day.stem}-{i}", "title": a.get("title") or "",
                                         "text": a["content"], "url": a.get("url", ""),
                                         "source": a.get("source", "")})
    return random.Random(2026).sample(articles, count)


# The product's ranking and its parts, compared on the same index.
FUSIONS = {"dense": Fusion(weight=0.0), "dense+context 0.4": Fusion(weight=0.0, context_weight=0.4),
           "hybrid": Fusion(), "hybrid+context 0.2": Fusion(context_weight=0.2),
           "hybrid+context 0.4": Fusion(context_weight=0.4)}


def seed_retrieval(store: Store, embedder: Embedder, questions: Path, fusion: Fusion = Fusion()) -> dict:
    retriever = Retriever(store, embedder, fusion)

    def answer(q):
        return {"retrieved": ranked_json(retriever.search(search_query(q.question, q.history), 10))}
    summary = run(load_questions(questions), answer, lambda result: None)
    return {k: summary[k] for k in ("hit@1", "hit@5", "mrr@10") if k in summary}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(REPO_ROOT.parent / "shared/data/saudinewsnet"))
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--questions", default=str(REPO_ROOT / "tests/data/seed_questions.jsonl"))
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/distractors.json"))
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    settings = Settings.load(index_dir=WORK / "index")
    embedder = Embedder.from_settings(settings)
    seeds = Settings.load(index_dir=WORK / "seeds-index")  # the seeds alone, for comparison
    ingest([REPO_ROOT / "seeds"], seeds, embedder)
    seeds_only = seed_retrieval(Store.load(seeds.index_dir), embedder, Path(args.questions))
    ingest([REPO_ROOT / "seeds"], settings, embedder, remove_missing=False)

    articles = sample_articles(Path(args.data), args.count)
    embedded_articles = embedded_chunks = 0
    seconds = 0.0
    for start in range(0, len(articles), BATCH):
        batch = WORK / f"batch-{start // BATCH:02d}.jsonl"
        batch.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles[start:start + BATCH]),
                         encoding="utf-8")
        report = ingest([batch], settings, embedder, remove_missing=False)
        embedded_articles += len(report.added) + len(report.changed)
        embedded_chunks += report.chunks_embedded
        seconds += report.seconds if report.chunks_embedded else 0.0
        print(f"batch {start // BATCH}: {len(report.added)} new articles, {report.chunks_embedded} chunks "
              f"in {report.seconds:.0f} s; index {report.total_articles} articles, {report.total_chunks} chunks",
              flush=True)

    store = Store.load(settings.index_dir)
    result = {
        "benchmark": "distractors", **machine(), "distractor_articles": args.count,
        "index_articles": len(store.articles), "index_chunks": len(store.chunks),
        "embedder_dtype": embedder.dtype, "threads": settings.threads,
        "seeds_only": seeds_only,
        "with_distractors": {name: seed_retrieval(store, embedder, Path(args.questions), fusion)
                             for name, fusion in FUSIONS.items()},
        "ingest_this_run": {"articles": embedded_articles, "chunks": embedded_chunks, "seconds": round(seconds, 1),
                            "articles_per_s": round(embedded_articles / seconds, 2) if seconds else None,
                            "chunks_per_s": round(embedded_chunks / seconds, 2) if seconds else None},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(result, indent=1))
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
