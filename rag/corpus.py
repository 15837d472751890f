"""Read articles from folders and files, each file by the reader of its format (rag.readers:
text, Markdown, JSON/JSONL records, HTML pages, PDF, DOCX, ZIP archives of these).

Every file that cannot be used is reported with its reason; nothing is dropped silently. Text is
cleaned as it is read (rag.sanitize: no markup, no control or invisible characters). The same
article in several files is kept once. Each file is read in a worker process inside limits of
time and memory (rag.readers.isolated), so a hostile file is reported, not run for hours.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rag.readers import SUFFIXES, reader_for
from rag.readers.base import (MAX_ARTICLE_CHARS, MAX_TITLE_CHARS, Article, FileData,  # noqa: F401
                              LoadResult, Metadata, Problem, ReadLimits, UnreadableFile, decode, short_title,
                              split_headline, truncated)
from rag.readers.isolated import ReadCancelled, reader_for_limits

# What the rest of the project takes from here (readers' types re-exported).
__all__ = ["Article", "FileData", "LoadResult", "MAX_ARTICLE_CHARS", "MAX_TITLE_CHARS", "Metadata", "Problem",
           "ReadCancelled", "ReadLimits", "SUFFIXES", "TEXT_SUFFIXES", "UnreadableFile", "corpus_files", "decode",
           "load", "short_title", "split_headline", "truncated"]

TEXT_SUFFIXES = {".txt", ".md"}  # one article a file, its id the file's name


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


def load(paths: list[Path], max_chars: int = MAX_ARTICLE_CHARS, names: dict[Path, str] | None = None,
         limits: ReadLimits = ReadLimits(), should_stop=None) -> LoadResult:
    """Read every article under `paths` (folders or files). The same headline and text under
    several ids is kept once, under the first id, with the others as its aliases.

    `names` gives a file the name it will have (an upload still in a temporary file): its
    suffix chooses the reader, and its stem is the article id of a one-article file. Each file
    is read inside `limits`; `should_stop()`, checked while a file is read, ends the reading
    with ReadCancelled."""
    isolated = reader_for_limits(limits)
    result, found_articles = LoadResult(), []
    for path in corpus_files(paths):
        name = str((names or {}).get(path, path.name))
        try:
            if not path.exists():
                raise UnreadableFile("no such file")
            reader_for(name)  # before reading: an unsupported file is not read at all
            found = isolated.read(path, name, max_chars, should_stop)
        except (OSError, UnreadableFile) as exc:
            # any file that cannot be read is reported and skipped; the others are still read
            result.problems.append(Problem(str(path), str(exc)))
            continue
        result.problems += found.problems
        result.warnings += found.warnings
        found_articles += found.articles
    once = deduplicated(found_articles)
    return LoadResult(once.articles, result.problems + once.problems, result.warnings + once.warnings)


def deduplicated(articles: list[Article]) -> LoadResult:
    """The articles with each id once (a second one is a problem) and each headline and text
    once, under the first id, with the other ids as its aliases (a warning)."""
    result = LoadResult()
    seen: dict[str, str] = {}
    by_content: dict[str, int] = {}  # content hash -> index in result.articles
    for article in articles:
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
