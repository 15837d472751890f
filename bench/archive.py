"""An archive end to end: a fixed SaudiNewsNet sample (seed 2026, as bench/distractors.py) with
the two seed articles among it, ingested by `rag ingest` in a child process, killed with SIGKILL
midway, resumed by a plain `rag ingest`, then the seed questions asked against it.

    .venv/bin/python bench/archive.py [--articles 5000] [--batch 1024] [--answers]
                                      [--data ../shared/data/saudinewsnet] [--out bench/results/archive.json]

Reports: chunks, chunks/s of each run, when the kill came (chunks committed, chunks the killed
run had embedded: the difference is the work lost), the resumed run's time, peak resident
memory (of each child), the index's size on disk, and the seed questions' hit@1/@5 (with
`--answers`, the whole answer path's precision, coverage and refusal as `rag eval` gives them).
Needs ../shared/data/saudinewsnet (see its SOURCE.md). Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from distractors import sample_articles  # noqa: E402
from machine import machine  # noqa: E402

from rag.config import REPO_ROOT  # noqa: E402
from rag.index_folder import current_version, read_manifest  # noqa: E402

WORK = REPO_ROOT / "bench/results/archive"
RAG = str(REPO_ROOT / ".venv/bin/rag")
EMBEDDED = re.compile(r"embedded ([\d,]+)/([\d,]+) chunks")


def committed_chunks(index: Path) -> int:
    try:
        return int(read_manifest(current_version(index)).get("chunks", 0))
    except Exception:
        return 0


def peak_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def ingest_run(args: list[str], env: dict, kill_at: float | None = None) -> dict:
    """`rag ingest ARGS`; with `kill_at`, SIGKILL once that share of its chunks is committed."""
    started = time.perf_counter()
    log = open(WORK / "ingest.log", "a", encoding="utf-8")
    child = subprocess.Popen([RAG, "ingest", *args], env=env, stderr=subprocess.PIPE, stdout=log, text=True,
                             bufsize=1)
    embedded, total, peak, killed = 0, 0, 0, False
    os.set_blocking(child.stderr.fileno(), False)
    while child.poll() is None:
        for line in iter(child.stderr.readline, ""):
            log.write(line)
            found = EMBEDDED.search(line)
            if found:
                embedded, total = (int(g.replace(",", "")) for g in found.groups())
        peak = max(peak, peak_mb(child.pid))
        if kill_at is not None and total and committed_chunks(Path(env["RAG_INDEX_DIR"])) >= kill_at * total:
            child.send_signal(signal.SIGKILL)
            killed = True
            child.wait()
            break
        time.sleep(0.2)
    for line in child.stderr.read().splitlines():
        found = EMBEDDED.search(line)
        if found:
            embedded, total = (int(g.replace(",", "")) for g in found.groups())
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 1), "killed": killed, "returncode": child.returncode,
            "embedded_seen": embedded, "to_embed": total, "peak_rss_mb": peak,
            "chunks_per_s": round(embedded / seconds, 2) if seconds else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(REPO_ROOT.parent / "shared/data/saudinewsnet"))
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1024, help="RAG_INGEST_BATCH")
    parser.add_argument("--answers", action="store_true", help="also the whole answer path on the seed questions")
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/archive.json"))
    args = parser.parse_args()
    if not Path(args.data).is_dir():
        raise SystemExit(f"no SaudiNewsNet data at {args.data} (see ../shared/data/saudinewsnet/SOURCE.md); pass --data")

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    corpus = WORK / "corpus"
    corpus.mkdir()
    sample = sample_articles(Path(args.data), args.articles)
    (corpus / "sample.jsonl").write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in sample),
                                         encoding="utf-8")
    for seed in (REPO_ROOT / "seeds").glob("*.txt"):
        shutil.copy(seed, corpus / seed.name)
    index = WORK / "index"
    env = {**os.environ, "RAG_INDEX_DIR": str(index), "RAG_INGEST_BATCH": str(args.batch), "HF_HUB_OFFLINE": "1"}

    killed = ingest_run([str(corpus)], env, kill_at=0.5)
    killed["committed_at_kill"] = committed_chunks(index)
    killed["lost_chunks"] = max(0, killed["embedded_seen"] - killed["committed_at_kill"])
    print("killed run", json.dumps(killed), flush=True)
    resumed = ingest_run([], env)  # no paths: resumes the ingest the kill stopped
    print("resumed run", json.dumps(resumed), flush=True)
    manifest = read_manifest(current_version(index))
    size = sum(f.stat().st_size for f in index.rglob("*") if f.is_file())
    result = {"benchmark": "archive", **machine(), "articles": len(manifest["articles"]), "chunks": manifest["chunks"],
              "batch": args.batch, "segments": len(manifest["segments"]), "index_mb": round(size / 2**20, 1),
              "killed_run": killed, "resumed_run": resumed,
              "total_seconds": round(killed["seconds"] + resumed["seconds"], 1),
              "chunks_per_s_overall": round(manifest["chunks"] / (killed["seconds"] + resumed["seconds"]), 2)}
    questions = str(REPO_ROOT / "tests/data/seed_questions.jsonl")
    evals = {"retrieval": ["--retrieval-only"]} | ({"answers": []} if args.answers else {})
    for name, flags in evals.items():
        done = subprocess.run([RAG, "eval", questions, "--json", *flags], env=env, capture_output=True, text=True)
        summary = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {"error": done.stderr[-500:]}
        result[name] = {k: v for k, v in summary.items() if not isinstance(v, (list, dict)) or k == "curve"}
        result[name].pop("curve", None)
        print(name, json.dumps(result[name]), flush=True)
    result["load_peak_rss_mb_children"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k not in ("retrieval", "answers")}))

if __name__ == "__main__":
    main()
