"""PDF files: the text of each page, in reading order, with where each page starts kept for
citations ("page 3"). pdfminer.six extracts it glyph by glyph; Arabic is put right by
rag.readers.pdf_text (presentation forms to letters, visual order to reading order).
bench/pdf_readers.py measured it against pypdf on Arabic PDFs.

A scanned PDF has no text to extract: it is reported (OCR is not done here)."""

from __future__ import annotations

import io

from rag.dates import find_date
from rag.readers.base import Article, FileData, LoadResult, Metadata, Problem, UnreadableFile, short_title, truncated
from rag.readers.pdf_text import ARABIC, brackets_put_right, plain_letters, reading_order, reads_visual
from rag.sanitize import clean



def _page_boxes(layout) -> list[list[list[str]]]:
    """A page's text boxes (paragraphs, as pdfminer groups lines), each a list of lines, each
    line the texts of its glyphs (a ligature's glyph gives two letters)."""
    from pdfminer.layout import LTAnno, LTChar, LTTextBox, LTTextLine

    boxes = []

    def walk(item):
        if isinstance(item, LTTextBox):
            lines = [[g.get_text() for g in line if isinstance(g, (LTChar, LTAnno)) and g.get_text() != "\n"]
                     for line in item if isinstance(line, LTTextLine)]
            boxes.append([line for line in lines if line])
        elif hasattr(item, "__iter__"):
            for child in item:
                walk(child)
    walk(layout)
    return [box for box in boxes if box]


def page_text(boxes: list[list[list[str]]]) -> str:
    """A page's text in reading order, a paragraph a line: Arabic turned from visual order where
    the page holds it so (the page decides, having more words to judge by than a line)."""
    if not reads_visual(plain_letters("\n".join("".join(line) for box in boxes for line in box))):
        return plain_letters("\n".join(" ".join("".join(line).strip() for line in box) for box in boxes))
    rtl = [(b, i) for b, box in enumerate(boxes) for i, line in enumerate(box) if ARABIC.search("".join(line))]
    turned = dict(zip(rtl, brackets_put_right([reading_order(boxes[b][i]) for b, i in rtl])))
    return plain_letters("\n".join(" ".join(turned.get((b, i), "".join(line)).strip() for i, line in enumerate(box))
                                   for b, box in enumerate(boxes)))


def _title(info: dict, first_page: str) -> str:
    title = info.get("Title")
    if isinstance(title, bytes):
        title = title.decode("utf-16" if title.startswith((b"\xfe\xff", b"\xff\xfe")) else "latin-1", "replace")
    title = clean(str(title or "")).strip()
    if title and title.lower() not in ("untitled", "microsoft word"):
        return title
    return next((line.strip() for line in first_page.split("\n") if len(line.split()) >= 2), "")


def read(file: FileData, max_chars: int) -> LoadResult:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFParser, PDFSyntaxError
    from pdfminer.psexceptions import PSException

    if not file.data.lstrip()[:5].startswith(b"%PDF"):
        raise UnreadableFile("not a PDF file")
    warnings = []
    pages: list[str] = []
    try:
        info = {}
        document = PDFDocument(PDFParser(io.BytesIO(file.data)))
        for entry in document.info:
            info.update((k, v) for k, v in entry.items() if isinstance(v, (str, bytes)))
        for n, layout in enumerate(extract_pages(io.BytesIO(file.data), laparams=LAParams()), 1):
            if n > file.limits.pdf_pages:
                warnings.append(Problem(file.path, f"more than {file.limits.pdf_pages} pages: only the first "
                                        f"{file.limits.pdf_pages} are read (RAG_PDF_PAGES)"))
                break
            pages.append(clean(page_text(_page_boxes(layout))).strip())
            if sum(map(len, pages)) > max_chars:
                break
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise UnreadableFile("the PDF is encrypted; save it without a password")
    except (PDFSyntaxError, PSException, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise UnreadableFile(f"damaged PDF ({type(exc).__name__})")
    if not any(pages):
        raise UnreadableFile("the PDF has no text to extract (a scan? OCR it first)")
    starts, text = [], ""
    for page in pages:
        starts.append(len(text) + (2 if text else 0))
        text = f"{text}\n\n{page}" if text else page
    if len(text) > max_chars:
        warnings.append(Problem(file.path, f"{len(text):,} characters of text: only the first {max_chars:,} are indexed"))
        text = truncated(text, max_chars)
        starts = [s for s in starts if s < len(text)]
    title = short_title(_title(info, pages[0]))
    date = find_date(text[:600]) or ""
    if not date:
        warnings.append(Problem(file.path, "no date found at the top of the first page"))
    author = info.get("Author")
    author = author.decode("latin-1", "replace") if isinstance(author, bytes) else (author or "")
    meta = Metadata(date=date, author=" ".join(clean(author).split()), pages=tuple(starts))
    return LoadResult([Article(id=file.stem, title=title, text=text, source_path=file.path, meta=meta)], [], warnings)
