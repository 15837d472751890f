"""Word files (.docx): the headline from the document's title, a Title or Heading paragraph or
the first line; the body from its paragraphs and tables, in order; the date from the top of the
text and the author from the document's properties."""

from __future__ import annotations

import io
import zipfile

from rag.dates import find_date
from rag.readers.base import Article, FileData, LoadResult, Metadata, Problem, UnreadableFile, short_title, truncated
from rag.sanitize import clean

_TOOL_AUTHORS = {"python-docx", "microsoft office user", "user", "admin", "administrator"}


def _blocks(document) -> list[tuple[str, str]]:
    """(style name, text) of each paragraph and table row, in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            blocks.append((item.style.name if item.style is not None else "", item.text))
        elif isinstance(item, Table):
            for row in item.rows:
                blocks.append(("table", " | ".join(dict.fromkeys(cell.text.strip() for cell in row.cells))))
    return blocks


def read(file: FileData, max_chars: int) -> LoadResult:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:  # a .docx is a ZIP: its parts' unpacked size is checked before python-docx unpacks them
        if sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(file.data)).infolist()) > file.limits.unpacked_bytes:
            raise UnreadableFile(f"unpacks to more than {file.limits.unpacked_mb} MB (RAG_UNPACKED_MB)")
        document = docx.Document(io.BytesIO(file.data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableFile(f"not a readable .docx file ({type(exc).__name__}); a .doc must be saved as .docx first")
    blocks = [(style, clean(text).strip()) for style, text in _blocks(document)]
    blocks = [(style, text) for style, text in blocks if text]
    if not blocks:
        raise UnreadableFile("the document has no text")
    properties = document.core_properties
    title = clean(properties.title or "").strip()
    if not title:
        heading = next((i for i, (style, _) in enumerate(blocks[:5]) if style.startswith(("Title", "Heading"))), 0)
        title = blocks[heading][1]
        blocks = blocks[:heading] + blocks[heading + 1:] or blocks
    text = "\n".join(text for _, text in blocks)
    warnings = []
    if len(text) > max_chars:
        warnings.append(Problem(file.path, f"{len(text):,} characters of text: only the first {max_chars:,} are indexed"))
        text = truncated(text, max_chars)
    date = find_date(text[:600]) or ""
    if not date:
        warnings.append(Problem(file.path, "no date found at the top of the document"))
    author = " ".join(clean(properties.author or "").split())
    meta = Metadata(date=date, author="" if author.lower() in _TOOL_AUTHORS else author)
    return LoadResult([Article(id=file.stem, title=short_title(title), text=text, source_path=file.path, meta=meta)],
                      [], warnings)
