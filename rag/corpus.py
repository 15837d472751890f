"""Read articles from a folder or files: .txt/.md (first non-empty line is the headline),
.jsonl and .json arrays of objects. UTF-8 (with or without BOM), UTF-16 with a BOM, and Arabic
in Windows-1256 or ISO-8859-6.

Every file that cannot be used is reported with its reason; nothing is dropped silently. Text is
cleaned as it is read (rag.sanitize: no markup, no control or invisible characters).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.sanitize import clean

# Longer articles are indexed up to here, with a warning: a news article is a few thousand
# characters, and embedding runs at a few passages a second on two cores (setting
# max_article_chars, env RAG_MAX_ARTICLE_CHARS).
MAX_ARTICLE_CHARS = 200_000
# A headline is a line; a longer first line (a file with no line breaks) is cut here, and the
# whole of it stays in the body. Every chunk carries its headline into the LLM's prompt.
MAX_TITLE_CHARS = 300
# Records read from one .json/.jsonl file; more are reported, not read (an upload is small,
# an archive is a folder of files).
MAX_RECORDS_PER_FILE = 10_000

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
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableFile("invalid UTF-16 text")
        if not text.strip():
            raise UnreadableFile("empty file")
        return text, None
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
    for encoding, name in (("cp1256", None), ("iso-8859-6", "ISO-8859-6")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if sum(ch.isprintable() or ch.isspace() for ch in text) < 0.95 * len(text):
            raise UnreadableFile("binary file, not text")
        if _reads_as_arabic(text):
            return text, (f"decoded as {name}" if name else None)
    raise UnreadableFile("unknown encoding (not UTF-8, UTF-16 or Arabic Windows-1256/ISO-8859-6); "
                         "save the file as UTF-8")


# Latin letters that Windows-1256 puts among its Arabic ones: text in another 8-bit encoding
# (ISO-8859-6, Latin-1) decoded as Windows-1256 is full of them.
_CP1256_LATIN = set("àâçèéêëîïôùûüœ")


def _reads_as_arabic(text: str) -> bool:
    """Whether 8-bit text decoded as an Arabic code page reads as Arabic: mostly Arabic letters
    and hardly any of the accented Latin letters a wrong code page shows between them."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    arabic = sum("\u0621" <= ch <= "\u064a" for ch in letters)
    latin_accented = sum(ch.lower() in _CP1256_LATIN for ch in letters)
    return arabic >= 0.5 * len(letters) and latin_accented <= 0.01 * len(letters)


def split_headline(text: str) -> tuple[str, str]:
    """First non-empty line is the headline; the rest is the body. A first line longer than
    MAX_TITLE_CHARS is no headline: its start is, and the whole line stays in the body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, line in enumerate(lines):
        if line.strip():
            body = "\n".join(lines[i + 1:]).strip()
            title = line.strip()
            if len(title) > MAX_TITLE_CHARS:
                return short_title(title), "\n".join(lines[i:]).strip()
            return title, body
    return "", ""


def short_title(title: str) -> str:
    """A headline cut to MAX_TITLE_CHARS at a word end, with an ellipsis when cut."""
    title = " ".join(title.split())
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title.rfind(" ", MAX_TITLE_CHARS // 2, MAX_TITLE_CHARS)
    return title[:cut if cut > 0 else MAX_TITLE_CHARS - 1].rstrip() + "…"


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
    text = clean(text)
    title, body = split_headline(text)
    if not title:
        raise UnreadableFile("empty file")
    warnings = [warning] if warning else []
    if len(next(line for line in text.splitlines() if line.strip()).strip()) > MAX_TITLE_CHARS:
        warnings.append(f"first line over {MAX_TITLE_CHARS} characters: its start is the headline, "
                        f"all of it is in the text")
    body = body or title
    if size > len(data) or len(body) > max_chars:
        warnings.append(f"article of {size / 1e6:.1f} MB: only its first {max_chars:,} characters are indexed")
        body = truncated(body, max_chars)
    return Article(id=article_id, title=title, text=body, source_path=str(path)), warnings


def _record_article(record, default_id: str, path: Path, max_chars: int, result: LoadResult) -> Article:
    if not isinstance(record, dict):
        raise UnreadableFile("not a JSON object")
    text = record.get("text") or record.get("content")
    if not isinstance(text, str) or not clean(text).strip():
        raise UnreadableFile("no 'text' or 'content'")
    text = clean(text)
    title = record.get("title")
    if not isinstance(title, str) or not clean(title).strip():
        title, _ = split_headline(text)
    title = short_title(clean(title).strip())
    text = text.replace("\r\n", "\n").strip()
    if len(text) > max_chars:
        result.warnings.append(Problem(str(path), f"article {record.get('id') or default_id!r} has "
                                       f"{len(text):,} characters: only the first {max_chars:,} are indexed"))
        text = truncated(text, max_chars)
    return Article(
        id=str(record.get("id") or default_id), title=title.strip(), text=text,
        source_path=str(path), url=str(record.get("url") or ""),
        date=str(record.get("date") or ""), source=str(record.get("source") or ""))


def _records(path: Path, result: LoadResult, max_chars: int, name: Path) -> list[Article]:
    text, warning = decode(path.read_bytes())
    if warning:
        result.warnings.append(Problem(str(path), warning))
    articles = []
    if name.suffix.lower() == ".jsonl":
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        _too_many(path, len(lines), result)
        for lineno, line in lines[:MAX_RECORDS_PER_FILE]:
            try:
                articles.append(_record_article(json.loads(line), f"{name.stem}-{lineno}", path, max_chars, result))
            except (json.JSONDecodeError, RecursionError, UnreadableFile) as exc:
                result.problems.append(Problem(str(path), _reason(exc), f":{lineno}"))
        return articles
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"invalid JSON ({exc})")
    except RecursionError:
        raise UnreadableFile("JSON nested too deeply")
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise UnreadableFile("JSON must be an array of article objects")
    _too_many(path, len(data), result)
    for i, record in enumerate(data[:MAX_RECORDS_PER_FILE]):
        try:
            articles.append(_record_article(record, f"{name.stem}-{i}", path, max_chars, result))
        except UnreadableFile as exc:
            result.problems.append(Problem(str(path), str(exc), f"[{i}]"))
    return articles


def _too_many(path: Path, count: int, result: LoadResult) -> None:
    if count > MAX_RECORDS_PER_FILE:
        result.problems.append(Problem(str(path), f"{count:,} records; only the first {MAX_RECORDS_PER_FILE:,} "
                                       f"are read (split the file)"))


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON ({exc.msg})"
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply"
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


def load(paths: list[Path], max_chars: int = MAX_ARTICLE_CHARS, names: dict[Path, str] | None = None) -> LoadResult:
    """Read every article under `paths` (folders or files). The same headline and text under
    several ids is kept once, under the first id, with the others as its aliases.

    `names` gives a file the name it will have (an upload still in a temporary file), which
    sets the article id of a .txt/.md."""
    result = LoadResult()
    seen: dict[str, str] = {}
    by_content: dict[str, int] = {}  # content hash -> index in result.articles
    for path in corpus_files(paths):
        name = Path((names or {}).get(path, path.name))
        suffix = name.suffix.lower()
        try:
            if not path.exists():
                raise UnreadableFile("no such file")
            if suffix in TEXT_SUFFIXES:
                article, warnings = _text_article(path, name.stem, max_chars)
                result.warnings += [Problem(str(path), w) for w in warnings]
                found = [article]
            elif suffix in RECORD_SUFFIXES:
                found = _records(path, result, max_chars, name)
            else:
                raise UnreadableFile(f"unsupported file type {suffix or '(none)'}; "
                                     f"use {', '.join(sorted(SUFFIXES))}")
        except (OSError, UnreadableFile, RecursionError, ValueError) as exc:
            # any file that cannot be read is reported and skipped; the others are still read
            result.problems.append(Problem(str(path), _reason(exc)))
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
