"""Read articles from a folder or files: .txt/.md (first non-empty line is the headline),
.jsonl and .json arrays of objects. UTF-8 (with or without BOM) and Windows-1256.

Every file that cannot be used is reported with its reason; nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

# Longer articles are indexed up to here, with a warning: a news article is a few thousand
# characters, and embedding runs at a few passages a second on two cores (setting
# max_article_chars, env RAG_MAX_ARTICLE_CHARS).
MAX_ARTICLE_CHARS = 200_000

TEXT_SUFFIXES = {".txt", ".md"}
RECORD_SUFFIXES = {".jsonl", ".json"}
SUFFIXES = TEXT_SUFFIXES | RECORD_SUFFIXES


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str  # the body; chunk spans index into it
    source_path: str = ""
    url: str = ""
    date: str = ""
    source: str = ""
    aliases: tuple[str, ...] = ()  # ids of other files with the same headline and text

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.title}\n{self.text}".encode()).hexdigest()


@dataclass
class Problem:
    path: str
    reason: str
    where: str = ""  # a line number or array index inside the file

    def __str__(self) -> str:
        return f"{self.path}{self.where}: {self.reason}"


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # skipped: nothing of it was ingested
    warnings: list[Problem] = field(default_factory=list)  # ingested, but worth knowing


class UnreadableFile(ValueError):
    pass


def decode(data: bytes) -> tuple[str, str | None]:
    """Decode article bytes; return (text, warning or None). Raises UnreadableFile."""
    if not data.strip():
        raise UnreadableFile("empty file")
    if b"\x00" in data[:8192]:
        raise UnreadableFile("binary file, not text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    # A few bad bytes in an otherwise UTF-8 file: keep the text, replace those bytes.
    replaced = data.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd")
    if bad <= max(3, len(data) // 1000):
        return replaced, f"{bad} invalid UTF-8 byte sequence(s) replaced"
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError:
        raise UnreadableFile("neither UTF-8 nor Windows-1256 text")
    if sum(ch.isprintable() or ch.isspace() for ch in text) < 0.95 * len(text):
        raise UnreadableFile("binary file, not text")
    return text, None


def split_headline(text: str) -> tuple[str, str]:
    """First non-empty line is the headline; the rest is the body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, line in enumerate(lines):
        if line.strip():
            body = "\n".join(lines[i + 1:]).strip()
            return line.strip(), body
    return "", ""


def truncated(text: str, max_chars: int) -> str:
    """`text` cut to at most `max_chars`, at a line or sentence end when one is near."""
    if len(text) <= max_chars:
        return text
    cut = max(text.rfind(end, max_chars * 9 // 10, max_chars) for end in ("\n", ". ", "。", "؟ ", "! "))
    return text[:cut + 1 if cut > 0 else max_chars].rstrip()


def _text_article(path: Path, article_id: str, max_chars: int) -> tuple[Article, list[str]]:
    size = path.stat().st_size
    with open(path, "rb") as f:  # a huge file is read only as far as it can be indexed
        data = f.read(4 * max_chars + 4)
    if size > len(data):
        data = data[:len(data) - 4]
        while data and data[-1] & 0xC0 == 0x80:  # do not end inside a UTF-8 character
            data = data[:-1]
        data = data[:-1] if data and data[-1] >= 0xC0 else data
    text, warning = decode(data)
    title, body = split_headline(text)
    if not title:
        raise UnreadableFile("empty file")
    warnings = [warning] if warning else []
    body = body or title
    if size > len(data) or len(body) > max_chars:
        warnings.append(f"article of {size / 1e6:.1f} MB: only its first {max_chars:,} characters are indexed")
        body = truncated(body, max_chars)
    return Article(id=article_id, title=title, text=body, source_path=str(path)), warnings


def _record_article(record, default_id: str, path: Path, max_chars: int, result: LoadResult) -> Article:
    if not isinstance(record, dict):
        raise UnreadableFile("not a JSON object")
    text = record.get("text") or record.get("content")
    if not isinstance(text, str) or not text.strip():
        raise UnreadableFile("no 'text' or 'content'")
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        title, _ = split_headline(text)
    text = text.replace("\r\n", "\n").strip()
    if len(text) > max_chars:
        result.warnings.append(Problem(str(path), f"article {record.get('id') or default_id!r} has "
                                       f"{len(text):,} characters: only the first {max_chars:,} are indexed"))
        text = truncated(text, max_chars)
    return Article(
        id=str(record.get("id") or default_id), title=title.strip(), text=text,
        source_path=str(path), url=str(record.get("url") or ""),
        date=str(record.get("date") or ""), source=str(record.get("source") or ""))


def _records(path: Path, result: LoadResult, max_chars: int) -> list[Article]:
    text, warning = decode(path.read_bytes())
    if warning:
        result.warnings.append(Problem(str(path), warning))
    articles = []
    if path.suffix == ".jsonl":
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                articles.append(_record_article(json.loads(line), f"{path.stem}-{lineno}", path, max_chars, result))
            except (json.JSONDecodeError, UnreadableFile) as exc:
                result.problems.append(Problem(str(path), _reason(exc), f":{lineno}"))
        return articles
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"invalid JSON ({exc})")
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise UnreadableFile("JSON must be an array of article objects")
    for i, record in enumerate(data):
        try:
            articles.append(_record_article(record, f"{path.stem}-{i}", path, max_chars, result))
        except UnreadableFile as exc:
            result.problems.append(Problem(str(path), str(exc), f"[{i}]"))
    return articles


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON ({exc.msg})"
    return str(exc)


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


def load(paths: list[Path], max_chars: int = MAX_ARTICLE_CHARS) -> LoadResult:
    """Read every article under `paths` (folders or files). The same headline and text under
    several ids is kept once, under the first id, with the others as its aliases."""
    result = LoadResult()
    seen: dict[str, str] = {}
    by_content: dict[str, int] = {}  # content hash -> index in result.articles
    for path in corpus_files(paths):
        suffix = path.suffix.lower()
        try:
            if not path.exists():
                raise UnreadableFile("no such file")
            if suffix in TEXT_SUFFIXES:
                article, warnings = _text_article(path, path.stem, max_chars)
                result.warnings += [Problem(str(path), w) for w in warnings]
                found = [article]
            elif suffix in RECORD_SUFFIXES:
                found = _records(path, result, max_chars)
            else:
                raise UnreadableFile(f"unsupported file type {suffix or '(none)'}; "
                                     f"use {', '.join(sorted(SUFFIXES))}")
        except (OSError, UnreadableFile) as exc:
            result.problems.append(Problem(str(path), str(exc)))
            continue
        for article in found:
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
