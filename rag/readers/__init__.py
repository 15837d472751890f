"""One reader a file format, chosen by the file's suffix. Each reader takes a file's bytes and
returns its articles, the problems that kept something out and the warnings about what went in
(rag.readers.base.LoadResult, a new one each call); it raises UnreadableFile when nothing of the
file can be used."""

from __future__ import annotations

from pathlib import Path

from rag.readers import archive, docx, html, pdf, records, text
from rag.readers.base import MAX_FILE_BYTES, FileData, LoadResult, ReadLimits, UnreadableFile

READERS = {
    ".txt": text.read, ".md": text.read,
    ".json": records.read, ".jsonl": records.read,
    ".html": html.read, ".htm": html.read,
    ".pdf": pdf.read,
    ".docx": docx.read,
    ".zip": archive.read,
}
SUFFIXES = set(READERS)
# Formats read in part when a file is longer than can be indexed; the others are read whole.
READ_IN_PART = {".txt", ".md"}


def suffix_of(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""


def reader_for(name: str):
    """The reader of a file of this name; UnreadableFile for a format none reads."""
    suffix = suffix_of(name)
    reader = READERS.get(suffix)
    if reader is None:
        raise UnreadableFile(f"unsupported file type {suffix or '(none)'}; use {', '.join(sorted(SUFFIXES))}")
    return reader


def read_file(file: FileData, max_chars: int) -> LoadResult:
    """The articles of one file, by the reader of its suffix."""
    return reader_for(file.name)(file, max_chars)


def file_data(path: Path, name: str, max_chars: int, limits: ReadLimits = ReadLimits()) -> FileData:
    """A file's bytes as its reader gets them: a text file only as far as it can be indexed, any
    other whole up to MAX_FILE_BYTES (UnreadableFile past it)."""
    size = path.stat().st_size
    in_part = suffix_of(name) in READ_IN_PART
    limit = text.bytes_needed(max_chars) if in_part else MAX_FILE_BYTES + 1
    if size > limit and not in_part:
        raise UnreadableFile(f"{size / 1e6:.0f} MB is over the {MAX_FILE_BYTES // 2**20} MB limit per file")
    with open(path, "rb") as f:
        return FileData(str(path), name, f.read(min(size, limit)), size, limits)
