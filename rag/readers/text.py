"""Plain text and Markdown (.txt, .md): the first non-empty line is the headline, the rest the
body. A file longer than can be indexed is read only as far as that (the caller reads its start)."""

from __future__ import annotations

from rag.readers.base import (MAX_TITLE_CHARS, Article, FileData, LoadResult, Problem, UnreadableFile,
                              decode, split_headline, truncated)
from rag.sanitize import clean


def bytes_needed(max_chars: int) -> int:
    """How much of a file to read: a UTF-8 character takes at most four bytes."""
    return 4 * max_chars + 4


def read(file: FileData, max_chars: int) -> LoadResult:
    data = file.data
    if file.size > len(data):  # only the start was read: do not end inside a UTF-8 character
        data = data[:len(data) - 4]
        while data and data[-1] & 0xC0 == 0x80:
            data = data[:-1]
        data = data[:-1] if data and data[-1] >= 0xC0 else data
    text, warning = decode(data)
    text = clean(text)
    title, body = split_headline(text)
    if not title:
        raise UnreadableFile("empty file")
    warnings = [warning] if warning else []
    if len(next(line for line in text.splitlines() if line.strip()).strip()) > MAX_TITLE_CHARS:
        warnings.append(f"first line over {MAX_TITLE_CHARS} characters: its start is the headline, "
                        f"all of it is in the text")
    body = body or title
    if file.size > len(data) or len(body) > max_chars:
        warnings.append(f"article of {file.size / 1e6:.1f} MB: only its first {max_chars:,} characters are indexed")
        body = truncated(body, max_chars)
    article = Article(id=file.stem, title=title, text=body, source_path=file.path)
    return LoadResult([article], [], [Problem(file.path, w) for w in warnings])
