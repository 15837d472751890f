"""Mutated files of every format through the readers (tests/fuzz_cases.py): no case crashes the
ingest, hangs past its limit, or drops another file of its batch, and none is dropped without a
reason. bench/fuzz_readers.py runs thousands of cases a format and reports the counts."""

from fuzz_cases import failures, run, seed_files

from rag.readers.base import ReadLimits


def test_mutated_files_of_every_format_are_read_or_reported_never_crash_or_lose_another(tmp_path):
    files = seed_files(tmp_path / "seeds")
    counts = run(files, cases=60, folder=tmp_path / "cases", seed=7, batch=20, limits=ReadLimits(seconds=10))
    assert failures(counts) == {}
    assert all(sum(tally.values()) == 60 for tally in counts.values())  # 540 cases in all
    # the mutants are not all refused at once: some of each text format still read
    for name in ("text.txt", "records.jsonl", "page.html", "archive.zip", "word.docx", "print.pdf"):
        assert counts[name]["read"] > 0, counts[name]
    assert any(kind.startswith("reported") for tally in counts.values() for kind in tally)
