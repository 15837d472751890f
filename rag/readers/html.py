"""Saved web pages and HTML exports (.html, .htm): the article's main text, headline, date,
author and site, found by trafilatura (made for news pages: menus, ads, comments and footers are
left out). Nothing is fetched: links and images are not followed."""

from __future__ import annotations

from urllib.parse import urlparse

from rag.dates import iso_date
from rag.readers.base import Article, FileData, LoadResult, Metadata, Problem, UnreadableFile, short_title, truncated
from rag.sanitize import clean

MIN_WORDS = 5  # less is a menu or a link left over, not an article


def read(file: FileData, max_chars: int) -> LoadResult:
    import trafilatura  # a second or so to import: only when a page is read

    if b"\x00" in file.data[:8192] and not file.data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("binary file, not HTML")
    found = trafilatura.bare_extraction(file.data, with_metadata=True, include_comments=False,
                                        include_tables=True, favor_precision=True)
    document = found.as_dict() if found is not None else {}
    text = clean(document.get("text") or "").strip()
    if len(text.split()) < MIN_WORDS:
        raise UnreadableFile("no article text found in the page (an index page, a page that needs "
                             "JavaScript, or not HTML)")
    title = clean(document.get("title") or "").strip()
    lines = text.split("\n")
    if title and lines[0].strip() == title and len(lines) > 1:  # the page's <h1> repeats the headline
        text = "\n".join(lines[1:]).strip()
    title = short_title(title or lines[0])
    warnings = []
    if len(text) > max_chars:
        warnings.append(Problem(file.path, f"{len(text):,} characters of text: only the first {max_chars:,} are indexed"))
        text = truncated(text, max_chars)
    url = document.get("url") or ""
    source = document.get("sitename") or (urlparse(url).hostname or "" if url else "")
    date = iso_date(document.get("date")) or ""
    if not date:
        warnings.append(Problem(file.path, "no publication date found in the page"))
    meta = Metadata(date=date, source=" ".join(clean(source).split()), url=url,
                    author=" ".join(clean(document.get("author") or "").split()))
    return LoadResult([Article(id=file.stem, title=title, text=text, source_path=file.path, meta=meta)], [], warnings)
