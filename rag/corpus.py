"""Read articles from folders and files, each file by the reader of its format (rag.readers:
text, Markdown, JSON/JSONL records, HTML pages, PDF, DOCX, ZIP archives of these).

Every file that cannot be used is reported with its reason; nothing is dropped silently. Text is
cleaned as it is read (rag.sanitize: no markup, no control or invisible characters). The same
article in several files is kept once.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rag.readers import READ_IN_PART, SUFFIXES, reader_for, suffix_of
from rag.readers.base import (MAX_ARTICLE_CHARS, MAX_FILE_BYTES, MAX_TITLE_CHARS, Article, FileData,  # noqa: F401
                              LoadResult, Metadata, Problem, UnreadableFile, decode, short_title,
                              split_headline, truncated)
from rag.readers.text import bytes_needed

# What the rest of the project takes from here (readers' types re-exported).
__all__ = ["Article", "FileData", "LoadResult", "MAX_ARTICLE_CHARS", "MAX_TITLE_CHARS", "Metadata", "Problem",
           "SUFFIXES", "TEXT_SUFFIXES", "UnreadableFile", "corpus_files", "decode", "load", "short_title",
           "split_headline", "truncated"]

TEXT_SUFFIXES = {".txt", ".md"}  # one article a file, its id the file's name


def _read_bytes(path: Path, name: str, max_chars: int) -> FileData:
    size = path.stat().st_size
    in_part = suffix_of(name) in READ_IN_PART
    limit = bytes_needed(max_chars) if in_part else MAX_FILE_BYTES + 1
    if size > limit and not in_part:
        raise UnreadableFile(f"{size / 1e6:.0f} MB is over the {MAX_FILE_BYTES // 2**20} MB limit per file")
    with open(path, "rb") as f:  # a huge text file is read only as far as it can be indexed
        return FileData(str(path), name, f.read(min(size, limit)), size)


def corpus_files(paths: list[Path]) -> list[Path]:
    files = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*")
                            if p.is_file() and p.suffix.lower() in SUFFIXES
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            files.append(path)
    return files


def load(paths: list[Path], max_chars: int = MAX_ARTICLE_CHARS, names: dict[Path, str] | None = None) -> LoadResult:
    """Read every article under `paths` (folders or files). The same headline and text under
    several ids is kept once, under the first id, with the others as its aliases.

    `names` gives a file the name it will have (an upload still in a temporary file): its
    suffix chooses the reader, and its stem is the article id of a one-article file."""
    result = LoadResult()
    seen: dict[str, str] = {}
    by_content: dict[str, int] = {}  # content hash -> index in result.articles
    for path in corpus_files(paths):
        name = str((names or {}).get(path, path.name))
        try:
            if not path.exists():
                raise UnreadableFile("no such file")
            reader = reader_for(name)  # before reading: an unsupported file is not read at all
            found = reader(_read_bytes(path, name, max_chars), max_chars)
        except (OSError, UnreadableFile) as exc:
            # any file that cannot be read is reported and skipped; the others are still read
            result.problems.append(Problem(str(path), str(exc)))
            continue
        except Exception as exc:  # a parser's own failure on a malformed file (HTML, PDF, DOCX)
            result.problems.append(Problem(str(path), f"could not be read ({type(exc).__name__}: {str(exc)[:200]})"))
            continue
        result.problems += found.problems
        result.warnings += found.warnings
        for article in found.articles:
            if article.id in seen:
                result.problems.append(Problem(
                    article.source_path, f"duplicate article id {article.id!r} (first in {seen[article.id]})"))
                continue
            seen[article.id] = article.source_path
            first = by_content.get(article.content_hash)
            if first is None:
                by_content[article.content_hash] = len(result.articles)
                result.articles.append(article)
                continue
            original = result.articles[first]
            result.articles[first] = replace(original, aliases=original.aliases + (article.id,))
            result.warnings.append(Problem(
                article.source_path, f"same text as article {original.id!r}: stored once, under both ids"))
    return result
