"""One day of a real news archive, as it comes: a SaudiNewsNet day ZIP (one JSON array inside) read
by rag.readers without conversion, ingested by `rag ingest` into a fresh index, then asked a
question with `rag ask --json`, with and without a source filter, to show each citation's outlet
and date.

    .venv/bin/python bench/news_day.py [--day 2015-07-23] [--data ../shared/data/saudinewsnet]
                                       [--out bench/results/news_day.json]

Reports: articles and problems of the load (and how long reading took), how many articles got a
date and a source, the sources with their counts, the ingest's time and chunks/s, and the
citations of each answer (article, source, date, url). Needs ../shared/data/saudinewsnet (see
its SOURCE.md). Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import machine  # noqa: E402
from shared_data import require  # noqa: E402

from rag.config import REPO_ROOT  # noqa: E402
from rag.corpus import load  # noqa: E402

WORK = REPO_ROOT / "bench/results/news_day"
RAG = str(REPO_ROOT / ".venv/bin/rag")
# Asked of 2015-07-23: that day's aleqtisadiya reports it; --source alriyadh keeps to an outlet
# whose articles of the day quote al-Jubeir on other matters.
QUESTION = "ماذا قال الجبير عن زيارة وفد حماس إلى المملكة؟"


def ask(index: Path, corpus: Path, *flags: str) -> dict:
    started = time.perf_counter()
    out = subprocess.run([RAG, "ask", QUESTION, "--json", "--index", str(index), "--corpus", str(corpus), *flags],
                         capture_output=True, text=True, check=True)
    answer = json.loads(out.stdout)
    shown = answer["citations"] or answer["closest"]
    return {"flags": list(flags), "seconds": round(time.perf_counter() - started, 1), "refused": answer["refused"],
            "answer": answer["answer"], "filters": answer["filters"],
            "citations": [{k: c[k] for k in ("n", "article_id", "title", "source", "date", "url")} for c in shown]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--day", default="2015-07-23")
    parser.add_argument("--data", default=str(REPO_ROOT.parent / "shared/data/saudinewsnet"))
    parser.add_argument("--out", default="bench/results/news_day.json")
    args = parser.parse_args()

    shutil.rmtree(WORK, ignore_errors=True)
    corpus, index = WORK / "corpus", WORK / "index"
    corpus.mkdir(parents=True)
    shutil.copy(require(args.data, "saudinewsnet") / f"{args.day}.zip", corpus)  # the file as it is published

    started = time.perf_counter()
    loaded = load([corpus])
    read_s = time.perf_counter() - started
    sources = collections.Counter(a.meta.source for a in loaded.articles)
    row = {"machine": machine(), "day": args.day, "articles": len(loaded.articles), "problems": len(loaded.problems),
           "problem_examples": [str(p) for p in loaded.problems[:3]], "read_s": round(read_s, 2),
           "with_date": sum(bool(a.meta.date) for a in loaded.articles),
           "dates": dict(collections.Counter(a.meta.date for a in loaded.articles).most_common(3)),
           "with_source": sum(bool(a.meta.source) for a in loaded.articles),
           "with_url": sum(bool(a.meta.url) for a in loaded.articles),
           "with_author": sum(bool(a.meta.author) for a in loaded.articles), "sources": dict(sources.most_common())}
    print(json.dumps(row, ensure_ascii=False, indent=1), flush=True)

    started = time.perf_counter()
    subprocess.run([RAG, "ingest", str(corpus), "--index", str(index), "--corpus", str(corpus)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    row["ingest_s"] = round(time.perf_counter() - started, 1)
    manifest = json.loads((index / (index / "CURRENT").read_text().strip() / "manifest.json").read_text())
    row["chunks"] = sum(a["chunks"] for a in manifest["articles"].values())
    row["chunks_per_s"] = round(row["chunks"] / row["ingest_s"], 1)
    print(f"ingested {row['chunks']} chunks in {row['ingest_s']} s ({row['chunks_per_s']} chunks/s)", flush=True)

    row["asked"] = [ask(index, corpus), ask(index, corpus, "--source", "alriyadh")]
    for asked in row["asked"]:
        print(json.dumps(asked, ensure_ascii=False, indent=1), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(row, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
