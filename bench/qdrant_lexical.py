"""Does Qdrant's sparse side rank as the project's BM25 does? The XQuAD paragraphs' chunks, their
project terms as bm25s scores them (rag.lexical) and as Qdrant's sparse vectors with its IDF
modifier score them (rag.vector_index.qdrant_index, local mode), Arabic questions, lexical side
alone: R@1 / R@5 of the paragraph and how often the two put the same chunk first.

    .venv/bin/python bench/qdrant_lexical.py [--data ../shared/data/xquad]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from xquad import load_xquad  # noqa: E402

from rag import lexical  # noqa: E402
from rag.chunking import chunk_article  # noqa: E402
from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.corpus import Article  # noqa: E402
from rag.embedder import Embedder  # noqa: E402
from rag.store import chunk_terms  # noqa: E402


def ranks(articles_ranked: list[list[str]], questions: list[dict]) -> dict:
    at = [r.index(q["article"]) if q["article"] in r else None for r, q in zip(articles_ranked, questions)]
    return {"R@1": round(sum(a == 0 for a in at) / len(at), 3), "R@5": round(sum(a is not None and a < 5 for a in at) / len(at), 3)}


def articles_of(keys: list[str]) -> list[str]:
    return list(dict.fromkeys(k.split("#")[0] for k in keys))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(REPO_ROOT.parent / "shared/data/xquad"))
    args = parser.parse_args()
    from qdrant_client import QdrantClient

    from rag.vector_index.qdrant_index import QdrantIndex

    settings = Settings.load()
    paragraphs, questions = load_xquad(Path(args.data))
    counter = Embedder(settings.embedder, threads=settings.threads, dtype="fp32")
    chunks = [c for p in paragraphs for c in chunk_article(Article(id=p["id"], title=p["title"], text=p["text"]),
                                                           counter.count_tokens, settings.chunk_tokens,
                                                           settings.chunk_overlap_sentences)]
    terms = [chunk_terms(c) for c in chunks]
    keys = [c.chunk_id for c in chunks]
    local = lexical.LexicalIndex(terms)
    engine = QdrantIndex(QdrantClient(":memory:"), "lexical", 4)
    engine.add(keys, np.tile(np.eye(4, dtype=np.float32)[:1], (len(keys), 1)),
               [{"article_id": c.article_id, "chunk_id": c.chunk_id} for c in chunks], terms)
    bm25_rankings, qdrant_rankings, same_first = [], [], 0
    for q in questions:
        query = lexical.terms(q["ar"])
        scores = local.scores(query)
        top = [keys[i] for i in np.argsort(-scores, kind="stable")[:50] if scores[i] > 0]
        found = [k for k, _ in engine.lexical_search(query, 50)]
        bm25_rankings.append(articles_of(top))
        qdrant_rankings.append(articles_of(found))
        same_first += bool(top and found and top[0] == found[0])
    result = {"chunks": len(chunks), "questions": len(questions), "bm25s": ranks(bm25_rankings, questions),
              "qdrant_sparse_idf": ranks(qdrant_rankings, questions),
              "same_first_chunk": round(same_first / len(questions), 3)}
    print(json.dumps(result))
    (REPO_ROOT / "bench/results/qdrant-lexical.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
