"""Articles uploaded through the UI: checked, then copied into the corpus folder under a safe name.

Only files that load as articles are copied, so a bad upload is reported and leaves the corpus
and the index as they were. The uploaded file's own name never chooses where anything is
written: it is cut to its last part and to safe characters first (no `../`, no absolute paths).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from rag import corpus

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILES = 50
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


@dataclass
class UploadResult:
    saved: list[Path] = field(default_factory=list)  # copied into the corpus folder
    problems: list[corpus.Problem] = field(default_factory=list)  # rejected, with the reason


def safe_name(name: str) -> str:
    """The last part of an uploaded file's name, with anything but letters, digits, `.`, `-`
    and `_` replaced; never empty, never hidden."""
    base = re.split(r"[\\/]", name)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("_", stem).strip("._") or "upload"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def accept(uploaded: list[tuple[str, Path]], corpus_dir: Path) -> UploadResult:
    """Check each (original name, temporary path) and copy the good ones into `corpus_dir`.

    A file with the name of an article already in the corpus replaces it (ingest then re-embeds
    that article); two uploads that would take the same name keep the first."""
    result = UploadResult()
    if len(uploaded) > MAX_FILES:
        result.problems.append(corpus.Problem(
            f"{len(uploaded)} files", f"too many files at once; the limit is {MAX_FILES}"))
        return result
    corpus_dir.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    for original, temporary in uploaded:
        name = safe_name(original)
        reason = _rejection(name, temporary, taken)
        if reason:
            result.problems.append(corpus.Problem(original, reason))
            continue
        loaded = corpus.load([temporary])
        if loaded.problems and not loaded.articles:
            result.problems.append(corpus.Problem(original, loaded.problems[0].reason))
            continue
        # A .jsonl with some bad lines is kept for its good ones; the bad ones are reported.
        result.problems += [corpus.Problem(original, p.reason, p.where) for p in loaded.problems]
        target = corpus_dir / name
        partial = target.with_name(f".{name}.part")
        shutil.copyfile(temporary, partial)
        partial.replace(target)
        taken.add(name)
        result.saved.append(target)
    return result


def _rejection(name: str, path: Path, taken: set[str]) -> str | None:
    suffix = Path(name).suffix.lower()
    if suffix not in corpus.SUFFIXES:
        return f"unsupported file type {suffix or '(none)'}; use {', '.join(sorted(corpus.SUFFIXES))}"
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return f"{size / 1e6:.1f} MB is over the {MAX_FILE_BYTES // (1024 * 1024)} MB limit per file"
    if name in taken:
        return f"another file in this upload is also named {name}"
    return None
