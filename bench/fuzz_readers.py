"""The readers under a mutation fuzzer: thousands of mutants of a real file of each format
(tests/fuzz_cases.py makes them and counts what became of each), read by rag.corpus.load in
batches beside a good file, inside the product's reading limits.

    .venv/bin/python bench/fuzz_readers.py [--cases 2000] [--seed 0] [--out bench/results/fuzz-readers.json]

Failures, each a defect: a batch whose load raised ("crashed"), that lost its good file, that
took longer than its limits allow, or a mutant neither read nor reported. The counts by outcome
go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzz_cases import failures, run, seed_files  # noqa: E402
from machine import machine  # noqa: E402
from rag.config import REPO_ROOT, Settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000, help="mutants of each seed file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench/results/fuzz-readers.json")
    args = parser.parse_args()
    limits = Settings.load().read_limits
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        files = seed_files(Path(scratch) / "seeds")

        def progress(name, tally):
            if sum(tally.values()) % 500 == 0:
                print(f"{name}: {sum(tally.values()):,} cases, {time.monotonic() - started:.0f} s", flush=True)

        counts = run(files, args.cases, Path(scratch) / "cases", seed=args.seed, limits=limits, progress=progress)
    seconds = time.monotonic() - started
    for name, tally in counts.items():
        print(f"{name:14} " + ", ".join(f"{kind} {n}" for kind, n in tally.most_common()))
    found = failures(counts)
    print(f"{sum(map(sum, (t.values() for t in counts.values()))):,} cases in {seconds:.0f} s; "
          f"failures: {found or 'none'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine(), "cases_per_format": args.cases, "seed": args.seed,
                                    "limits": asdict(limits),
                                    "seconds": round(seconds, 1), "counts": {k: dict(v) for k, v in counts.items()},
                                    "failures": found}, ensure_ascii=False, indent=1))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
