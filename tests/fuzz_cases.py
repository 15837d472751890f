"""A mutation fuzzer over every reader: real files of each format, made here, their bytes mutated
(bits flipped, bytes set to edge values, runs deleted, repeated or spliced in, the file cut), and
each batch of mutants read by rag.corpus.load beside a good file that must always come through.
Seeded random mutations, so a failing case is found again by its seed (no hypothesis or atheris
installs here with this Python; the outcome counts are what matters).

Used by tests/test_fuzz_readers.py (a few hundred cases) and bench/fuzz_readers.py (thousands)."""

from __future__ import annotations

import io
import json
import random
import time
import zipfile
import re
from collections import Counter
from pathlib import Path

from news_files import news_page, pdf_file, word_file

STORY = ["The Riyadh municipality opened Al-Nakheel park on Sunday.",
         "افتتحت أمانة الرياض حديقة النخيل يوم الأحد، وتضم الحديقة 4000 نخلة."]
SENTINEL = "zz_sentinel.txt"  # read last in each batch; every batch must yield it


def seed_files(folder: Path) -> dict[str, bytes]:
    """One real file of each format the readers take, by a name whose suffix picks the reader."""
    folder.mkdir(parents=True, exist_ok=True)
    records = [{"id": f"r{i}", "title": f"Story {i}", "text": STORY[i % 2], "date": "2015-09-29",
                "source": "Okaz"} for i in range(3)]
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("day/one.txt", "Headline one\n\n" + STORY[0])
        archive.writestr("day/two.json", json.dumps(records[:2]))
    files = {
        "text.txt": ("حديقة النخيل\n\n" + STORY[1]).encode("utf-8"),
        "cp1256.txt": ("حديقة النخيل\n\n" + STORY[1]).encode("cp1256"),
        "utf16.md": ("Al-Nakheel park\n\n" + STORY[0]).encode("utf-16"),
        "records.json": json.dumps(records, ensure_ascii=False).encode(),
        "records.jsonl": "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode(),
        "page.html": news_page(folder / "page.html", "Al-Nakheel park opens", STORY, date="2015-09-29",
                               site="Okaz").read_bytes(),
        "word.docx": word_file(folder / "word.docx", "Al-Nakheel park opens", STORY, author="A. Writer").read_bytes(),
        "print.pdf": pdf_file(folder / "print.pdf", [STORY], title="Al-Nakheel park").read_bytes(),
        "archive.zip": zipped.getvalue(),
    }
    return files


def mutate_file(name: str, data: bytes, rng: random.Random) -> bytes:
    """A mutant of a seed file: its bytes mutated, or for a ZIP-based format (.zip, .docx) every
    other time one member's bytes, packed again, so the parsers inside (XML, JSON) are reached
    past the ZIP's checksums."""
    if Path(name).suffix not in (".zip", ".docx") or rng.random() < 0.5:
        return mutate(data, rng)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        members = source.infolist()
        chosen = rng.choice([m for m in members if not m.is_dir()])
        for member in members:
            content = source.read(member)
            target.writestr(member.filename, mutate(content, rng) if member is chosen else content)
    return out.getvalue()


def mutate(data: bytes, rng: random.Random) -> bytes:
    """`data` with one to eight random edits."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not out:
            out += bytes([rng.randrange(256)])
        kind = rng.randrange(6)
        at = rng.randrange(len(out))
        if kind == 0:  # a bit flipped
            out[at] ^= 1 << rng.randrange(8)
        elif kind == 1:  # an edge value
            out[at] = rng.choice([0x00, 0x0A, 0x22, 0x3C, 0x7B, 0x7F, 0x80, 0xC0, 0xFF])
        elif kind == 2:  # a run deleted
            del out[at:at + rng.randint(1, 64)]
        elif kind == 3:  # a run repeated
            run = bytes(out[at:at + rng.randint(1, 64)])
            out[at:at] = run * rng.randint(1, 32)
        elif kind == 4:  # another part of the file spliced in
            other = rng.randrange(len(out))
            out[at:at] = out[other:other + rng.randint(1, 256)]
        else:  # cut
            del out[rng.randint(at, len(out)):]
    return bytes(out)


def run(files: dict[str, bytes], cases: int, folder: Path, seed: int = 0, batch: int = 25, limits=None,
        progress=None) -> dict[str, Counter]:
    """Read `cases` mutants of each seed file, `batch` at a time with the sentinel; the outcome
    counts a format: read (articles came out), reported (with its reason's kind), and the
    failures, each of which is a defect: 'crashed' (load raised), 'lost the sentinel',
    'over time' (a batch took longer than its limits allow)."""
    from rag.corpus import load
    from rag.readers.base import ReadLimits

    limits = limits or ReadLimits()
    rng = random.Random(seed)
    counts: dict[str, Counter] = {}
    for name, data in files.items():
        counts[name] = tally = Counter()
        for first in range(0, cases, batch):
            batch_dir = folder / f"{Path(name).stem}-{first}"
            batch_dir.mkdir(parents=True)
            suffix = Path(name).suffix
            for i in range(first, min(first + batch, cases)):
                (batch_dir / f"m{i:05d}{suffix}").write_bytes(mutate_file(name, data, rng))
            (batch_dir / SENTINEL).write_text("Sentinel headline\n\nThe sentinel's text.", encoding="utf-8")
            started = time.monotonic()
            try:
                result = load([batch_dir], limits=limits)
            except Exception as exc:  # noqa: BLE001 -- any escape is the defect being counted
                tally[f"crashed ({type(exc).__name__})"] += 1
                continue
            seconds = time.monotonic() - started
            if seconds > (batch + 1) * 2 * limits.seconds:
                tally["over time"] += 1
            if not any(a.id == "zz_sentinel" for a in result.articles):
                tally["lost the sentinel"] += 1
            read = {Path(a.source_path).name for a in result.articles}
            read |= {Path(p.path).name for p in result.warnings if "same text as article" in p.reason}
            reported = {Path(p.path).name: p.reason for p in result.problems}
            for mutant in sorted(batch_dir.glob(f"m*{suffix}")):
                if mutant.name in read:
                    tally["read"] += 1
                elif mutant.name in reported:
                    tally[f"reported: {outcome(reported[mutant.name])}"] += 1
                else:
                    tally["dropped silently"] += 1
            for mutant in batch_dir.iterdir():
                mutant.unlink()
            batch_dir.rmdir()
            if progress:
                progress(name, tally)
    return counts


def outcome(reason: str) -> str:
    """A reason's kind, for counting: the limit it names, else its first words."""
    for limit in ("RAG_READ_SECONDS", "RAG_READ_MEMORY_MB", "RAG_UNPACKED_MB", "RAG_PDF_PAGES"):
        if limit in reason:
            return f"over {limit}"
    return re.sub(r"'[^']*'", "…", reason.split("(")[0].split(":")[0]).strip()[:48]


FAILURES = ("crashed", "lost the sentinel", "over time", "dropped silently")


def failures(counts: dict[str, Counter]) -> dict[str, int]:
    return {f"{name}: {kind}": n for name, tally in counts.items() for kind, n in tally.items()
            if kind.startswith(FAILURES)}
