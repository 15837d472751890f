"""False alarms of the instruction filter (rag.injection) on real news: every sentence of the
31,030 SaudiNewsNet articles (titles and text, cleaned as ingest cleans them) is checked; a
sentence flagged there is news the filter would wrongly take out of the LLM's passages.

    python bench/injection.py [--data ../shared/data/saudinewsnet] [--out bench/results/injection.json]

Needs the SaudiNewsNet copy in ../shared/data (see its SOURCE.md); without it, it says so and
exits 2. Prints the count of sentences and of flags, and each flagged sentence.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path

from rag.arabic import sentence_spans
from rag.config import REPO_ROOT
from rag.injection import is_instruction
from rag.sanitize import clean


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO_ROOT.parent / "shared/data/saudinewsnet"))
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/injection.json"))
    args = parser.parse_args()
    days = sorted(Path(args.data).glob("*.zip"))
    if not days:
        print(f"no SaudiNewsNet ZIPs in {args.data}: point --data at a copy of it", file=sys.stderr)
        return 2
    started, sentences, articles, flagged = time.perf_counter(), 0, 0, []
    for day in days:
        with zipfile.ZipFile(day) as z:
            for name in z.namelist():
                for record in json.loads(z.read(name)):
                    articles += 1
                    for field in ("title", "content"):
                        text = clean(record.get(field) or "")
                        for s, e in sentence_spans(text):
                            sentences += 1
                            if is_instruction(text[s:e]):
                                flagged.append({"source": record.get("url", ""), "sentence": text[s:e]})
    result = {"articles": articles, "sentences": sentences, "flagged": len(flagged),
              "seconds": round(time.perf_counter() - started, 1), "examples": flagged[:200]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"{articles} articles, {sentences} sentences, {len(flagged)} flagged "
          f"({result['seconds']} s)")
    for f in flagged[:50]:
        print("  ", f["sentence"][:200])
    return 0


if __name__ == "__main__":
    sys.exit(main())
