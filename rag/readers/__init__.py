"""One reader a file format, chosen by the file's suffix. Each reader takes a file's bytes and
returns its articles, the problems that kept something out and the warnings about what went in
(rag.readers.base.LoadResult, a new one each call); it raises UnreadableFile when nothing of the
file can be used."""

from __future__ import annotations

from rag.readers import archive, docx, html, pdf, records, text
from rag.readers.base import FileData, LoadResult, UnreadableFile

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
