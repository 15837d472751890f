"""News records as JSON: a .json file holding one object or an array of them, or .jsonl with one
object a line. The common field names of news exports and feeds are understood (title/headline,
text/content/body, date/published/date_extracted, source/site, url, author), so archives such as
SaudiNewsNet load as they are."""

from __future__ import annotations

import json

from rag.dates import iso_date
from rag.readers.base import (MAX_RECORDS_PER_FILE, Article, FileData, LoadResult, Metadata, Problem,
                              UnreadableFile, decode, short_title, split_headline, truncated)
from rag.sanitize import clean

TEXT_FIELDS = ("text", "content", "body", "article", "article_body", "articleBody", "full_text")
TITLE_FIELDS = ("title", "headline", "name")
DATE_FIELDS = ("date", "published", "published_at", "publishedAt", "date_published", "datePublished",
               "pubDate", "pub_date", "created_at", "date_extracted", "timestamp")
SOURCE_FIELDS = ("source", "site", "sitename", "site_name", "outlet", "publisher", "newspaper", "source_name")
URL_FIELDS = ("url", "link", "permalink")
AUTHOR_FIELDS = ("author", "authors", "byline", "creator")


def _first(record: dict, fields: tuple[str, ...]):
    for name in fields:
        value = record.get(name)
        if value not in (None, "", [], {}):
            return value
    return None


def _name(value) -> str:
    """A source or author field as text: a string, an object with a name (NewsAPI's source), or a
    list of them."""
    if isinstance(value, dict):
        value = value.get("name") or value.get("title") or value.get("id") or ""
    if isinstance(value, list):
        return ", ".join(filter(None, (_name(v) for v in value)))
    return " ".join(clean(str(value)).split()) if value is not None else ""


def _article(record, default_id: str, file: FileData, max_chars: int, warnings: list[Problem], where: str) -> Article:
    if not isinstance(record, dict):
        raise UnreadableFile("not a JSON object")
    text = _first(record, TEXT_FIELDS)
    if not isinstance(text, str) or not clean(text).strip():
        raise UnreadableFile(f"no text (none of the fields {', '.join(TEXT_FIELDS[:3])} …)")
    text = clean(text)
    title = _first(record, TITLE_FIELDS)
    if not isinstance(title, str) or not clean(title).strip():
        title, _ = split_headline(text)
    title = short_title(clean(title).strip())
    text = text.replace("\r\n", "\n").strip()
    article_id = str(record.get("id") or default_id)
    if len(text) > max_chars:
        warnings.append(Problem(file.path, f"article {article_id!r} has {len(text):,} characters: only the "
                                f"first {max_chars:,} are indexed", where))
        text = truncated(text, max_chars)
    raw_date = _first(record, DATE_FIELDS)
    date = iso_date(raw_date) or ""
    if raw_date is not None and not date:
        warnings.append(Problem(file.path, f"article {article_id!r}: date {str(raw_date)[:40]!r} not understood; "
                                f"kept without a date", where))
    url = _first(record, URL_FIELDS)
    meta = Metadata(date=date, source=_name(_first(record, SOURCE_FIELDS)), url=str(url) if isinstance(url, str) else "",
                    author=_name(_first(record, AUTHOR_FIELDS)))
    return Article(id=article_id, title=title.strip(), text=text, source_path=file.path, meta=meta)


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON ({exc.msg})"
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply"
    return str(exc)


def _too_many(file: FileData, count: int) -> list[Problem]:
    if count > MAX_RECORDS_PER_FILE:
        return [Problem(file.path, f"{count:,} records; only the first {MAX_RECORDS_PER_FILE:,} are read (split the file)")]
    return []


def read(file: FileData, max_chars: int) -> LoadResult:
    text, warning = decode(file.data)
    result = LoadResult(warnings=[Problem(file.path, warning)] if warning else [])
    if file.name.lower().endswith(".jsonl"):
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        result.problems += _too_many(file, len(lines))
        for lineno, line in lines[:MAX_RECORDS_PER_FILE]:
            try:
                result.articles.append(_article(json.loads(line), f"{file.stem}-{lineno}", file, max_chars,
                                                result.warnings, f":{lineno}"))
            except (json.JSONDecodeError, RecursionError, UnreadableFile) as exc:
                result.problems.append(Problem(file.path, _reason(exc), f":{lineno}"))
        return result
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
    result.problems += _too_many(file, len(data))
    for i, record in enumerate(data[:MAX_RECORDS_PER_FILE]):
        try:
            result.articles.append(_article(record, f"{file.stem}-{i}", file, max_chars, result.warnings, f"[{i}]"))
        except UnreadableFile as exc:
            result.problems.append(Problem(file.path, str(exc), f"[{i}]"))
    return result
