"""XQuAD retrieval and answer benchmark: dense, BM25 and hybrid side by side.

    .venv/bin/python bench/xquad.py [--data ../shared/data/xquad] [--answers 100] [--out bench/results/xquad.json]

The 240 Arabic paragraphs become a corpus (one article each, ingested by the product's own
`rag ingest` path into bench/results/xquad/index, reused on later runs); all 1190 Arabic and all
1190 English questions are asked against it. A question is a hit at rank r when the r-th article
of the ranking (articles ranked by their best chunk) is its paragraph. Then a fixed sample of
`--answers` questions per language goes through the whole answer path; an answer counts when it
contains the gold span after Arabic normalization (for an English question, the English span of
the parallel file).

`--grid` also prints R@1 for a grid of fusion settings, the measurements behind the defaults in
rag/retriever.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from rag import lexical  # noqa: E402
from rag.arabic import normalize  # noqa: E402
from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.embedder import Embedder  # noqa: E402
from rag.ingest import ingest  # noqa: E402
from rag.retriever import Fusion, rank_rows  # noqa: E402
from rag.store import Store  # noqa: E402

WORK = REPO_ROOT / "bench/results/xquad"


def load_xquad(data: Path) -> tuple[list[dict], list[dict]]:
    """Paragraphs (id, text) and questions (id, ar, en, article, gold_ar, gold_en)."""
    from shared_data import require

    require(data, "xquad")
    ar = json.loads((data / "xquad.ar.json").read_text(encoding="utf-8"))["data"]
    en = json.loads((data / "xquad.en.json").read_text(encoding="utf-8"))["data"]
    paragraphs, questions = [], []
    for a_article, e_article in zip(ar, en):
        for a_par, e_par in zip(a_article["paragraphs"], e_article["paragraphs"]):
            pid = f"xq{len(paragraphs):03d}"
            paragraphs.append({"id": pid, "title": "none", "text": a_par["context"].strip()})
            for a_q, e_q in zip(a_par["qas"], e_par["qas"]):
                assert a_q["id"] == e_q["id"]
                questions.append({"id": a_q["id"], "ar": a_q["question"], "en": e_q["question"],
                                  "article": pid, "gold_ar": a_q["answers"][0]["text"],
                                  "gold_en": e_q["answers"][0]["text"]})
    return paragraphs, questions


def build_index(paragraphs: list[dict], settings: Settings, embedder: Embedder) -> Store:
    WORK.mkdir(parents=True, exist_ok=True)
    corpus = WORK / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in paragraphs), encoding="utf-8")
    started = time.perf_counter()
    report = ingest([corpus], settings, embedder,
                    progress=lambda done, total, _: print(f"\r  embedded {done}/{total} chunks", end="", flush=True))
    print(f"\n  index: {report.total_articles} articles, {report.total_chunks} chunks "
          f"({report.chunks_embedded} embedded in {time.perf_counter() - started:.0f} s)")
    return Store.load(settings.index_dir)


def query_vectors(questions: list[dict], lang: str, embedder: Embedder) -> np.ndarray:
    cache = WORK / f"queries-{lang}.npy"
    if cache.is_file():
        vectors = np.load(cache)
        if len(vectors) == len(questions):
            return vectors
    vectors = embedder.encode_query([q[lang] for q in questions])
    np.save(cache, vectors)
    return vectors


def article_ranks(ranked_rows: list[int], store: Store) -> list[str]:
    """Articles in the order of their best chunk."""
    seen: list[str] = []
    for row in ranked_rows:
        article = store.chunks[row].article_id
        if article not in seen:
            seen.append(article)
    return seen


def recall(rankings: list[list[str]], questions: list[dict]) -> dict:
    ranks = [r.index(q["article"]) if q["article"] in r[:10] else None for r, q in zip(rankings, questions)]
    n = len(questions)
    return {"R@1": round(sum(r == 0 for r in ranks) / n, 3),
            "R@5": round(sum(r is not None and r < 5 for r in ranks) / n, 3),
            "MRR@10": round(sum(1 / (r + 1) for r in ranks if r is not None) / n, 3)}


def retrieval(store: Store, questions: list[dict], vectors: dict, fusions: dict[str, Fusion]) -> dict:
    """R@1, R@5, MRR@10 per method and language."""
    dense_all = {lang: v @ store.engine.vectors.T for lang, v in vectors.items()}  # (questions, chunks)
    lexical_all = {lang: [store.lexical.scores(lexical.terms(q[lang])) for q in questions] for lang in vectors}
    coverage = {lang: [store.lexical.coverage(lexical.terms(q[lang])) for q in questions] for lang in vectors}
    results = {}
    for name, fusion in fusions.items():
        for lang in vectors:
            rankings = []
            for i in range(len(questions)):
                dense = dense_all[lang][i]
                top = np.argsort(-dense)[:fusion.candidates]  # what the FAISS search returns
                rows = rank_rows([(int(r), float(dense[r])) for r in top], lambda rows: dense[rows],
                                 store.neighbours, lexical_all[lang][i], coverage[lang][i], fusion, 50)
                rankings.append(article_ranks([r for r, _ in rows], store))
            results[f"{name}/{lang}"] = recall(rankings, questions)
    return results


def grid(store: Store, questions: list[dict], vectors: dict) -> None:
    fusions = {f"w{w}-c{c}-n{n}": replace(Fusion(), weight=w, full_coverage=c, context_weight=n)
               for w in (0.0, 0.1, 0.2, 0.3, 0.4) for c in (0.5, 0.7, 0.9) for n in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6)}
    for name, scores in retrieval(store, questions, vectors, fusions).items():
        print(f"  {name:16s} {scores}")


def answers(settings: Settings, questions: list[dict], count: int) -> dict:
    from rag.chat import Assistant

    assistant = Assistant(settings)
    sample = random.Random(2026).sample(questions, count)
    results = {}
    for lang in ("ar", "en"):
        right, refused, rows = 0, 0, []
        for q in sample:
            answer = assistant.ask(q[lang])
            gold = normalize(q[f"gold_{lang}"])
            hit = bool(gold) and gold in normalize(answer.answer)
            right += hit
            refused += answer.refused
            rows.append({"id": q["id"], "hit": hit, "refused": answer.refused, "answer": answer.answer})
            print(f"  {lang} {q['id']} {'✓' if hit else '·'} {answer.answer[:90]!r}", flush=True)
        results[lang] = {"questions": count, "contains_gold": round(right / count, 3),
                         "refused": round(refused / count, 3), "rows": rows}
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(REPO_ROOT.parent / "shared/data/xquad"))
    parser.add_argument("--answers", type=int, default=100, help="questions per language for the answer path (0: none)")
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/xquad.json"))
    args = parser.parse_args()

    settings = Settings.load(index_dir=WORK / "index")
    paragraphs, questions = load_xquad(Path(args.data))
    embedder = Embedder.from_settings(settings)
    store = build_index(paragraphs, settings, embedder)
    vectors = {lang: query_vectors(questions, lang, embedder) for lang in ("ar", "en")}

    if args.grid:
        grid(store, questions, vectors)
    fusions = {"dense": Fusion(weight=0.0), "dense+context 0.4": Fusion(weight=0.0, context_weight=0.4),
               "bm25": Fusion(dense=False), "hybrid": Fusion(), "hybrid+context 0.2": Fusion(context_weight=0.2),
               "hybrid+context 0.4": Fusion(context_weight=0.4)}
    result = {"benchmark": "xquad", "paragraphs": len(paragraphs), "questions": len(questions),
              "chunks": len(store.chunks), "fusion": Fusion().__dict__,
              "retrieval": retrieval(store, questions, vectors, fusions)}
    for name, scores in result["retrieval"].items():
        print(f"  {name:22s} {scores}")
    if args.answers:
        del embedder
        result["answers"] = answers(settings, questions, args.answers)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
