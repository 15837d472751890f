"""News files made at test time, as newsrooms keep them: saved web pages with menus, ads and
comments around the article; PDFs of pages (Arabic shaped by HarfBuzz as current tools write it,
or in presentation forms and visual order as older tools did); Word files."""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # ./setup.sh --tests installs it


def is_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def news_page(path: Path, title: str, paragraphs: list[str], *, date: str, site: str, author: str = "",
              url: str = "") -> Path:
    """A saved news page: the article inside navigation, an ad, comments and a footer."""
    lang = "ar" if is_arabic(title) else "en"
    meta = [f'<meta property="og:title" content="{html.escape(title)}">',
            f'<meta property="og:site_name" content="{html.escape(site)}">',
            f'<meta property="article:published_time" content="{date}">']
    if author:
        meta.append(f'<meta name="author" content="{html.escape(author)}">')
    if url:
        meta.append(f'<link rel="canonical" href="{html.escape(url)}">')
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    path.write_text(
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)} | {html.escape(site)}'
        f'</title>{"".join(meta)}</head><body>'
        '<nav><ul><li><a href="/">Home الرئيسية</a></li><li><a href="/sport">Sport رياضة</a></li>'
        '<li><a href="/economy">Economy اقتصاد</a></li></ul></nav>'
        '<div class="advert">SUBSCRIBE NOW for half price اشترك الآن</div>'
        f'<main><article><h1>{html.escape(title)}</h1>{body}</article></main>'
        '<section class="comments"><h3>Comments</h3><p>Reader comment: great article, thanks!</p></section>'
        '<footer>All rights reserved جميع الحقوق محفوظة</footer></body></html>', encoding="utf-8")
    return path


def _isolated_forms() -> dict[str, str]:
    forms = {}
    for cp in range(0xFE70, 0xFF00):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and parts[0] == "<isolated>":
            forms.setdefault(chr(int(parts[1], 16)), chr(cp))
    return forms


def pdf_file(path: Path, pages: list[list[str]], *, title: str = "", legacy: bool = False) -> Path:
    """A PDF with one page per list of paragraphs. Arabic is shaped by HarfBuzz (glyphs in visual
    order with a ToUnicode map, as current tools write it) or, `legacy`, drawn as isolated
    presentation forms already put in visual order, as older tools did."""
    from fpdf import FPDF

    assert FONT.exists(), f"{FONT} is missing: ./setup.sh --tests installs fonts-dejavu-core"
    pdf = FPDF()
    pdf.add_font("body", "", str(FONT))
    pdf.set_font("body", size=11)
    if title:
        pdf.set_title(title)
    forms = _isolated_forms()
    for paragraphs in pages:
        pdf.add_page()
        for paragraph in paragraphs:
            arabic = is_arabic(paragraph)
            if legacy and arabic:
                pdf.set_text_shaping(False)
                # drawn left to right: the letters backwards, numbers and Latin words as they are
                paragraph = re.sub(r"[0-9A-Za-z]+", lambda m: m.group()[::-1],
                                   "".join(forms.get(ch, ch) for ch in paragraph)[::-1])
            elif arabic:
                pdf.set_text_shaping(True, direction="rtl", script="arab", language="ara")
            else:
                pdf.set_text_shaping(False)
            pdf.multi_cell(0, 7, paragraph, align="R" if arabic else "L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    pdf.output(str(path))
    return path


def word_file(path: Path, title: str, paragraphs: list[str], *, author: str = "") -> Path:
    """A .docx: the headline in the Title style, then the paragraphs."""
    import docx

    document = docx.Document()
    document.add_paragraph(title, style="Title")
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.core_properties.author = author
    document.save(str(path))
    return path


def pdf_of(content: bytes, pages: int = 1) -> bytes:
    """A PDF whose every page draws `content` (one FlateDecode stream, shared), written by hand:
    the hostile forms below are what no PDF library would write."""
    import io
    import zlib

    stream = zlib.compress(content, 9)
    kids = " ".join(f"{6 + i} 0 R" for i in range(pages)).encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
               b"<< >>", b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                b"/Resources << /Font << /F1 5 0 R >> >> >>"] * pages
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def slow_pdf() -> bytes:
    """A few KB that keep pdfminer's layout analysis busy for half a minute (4,000 scattered
    words on each of two pages)."""
    words = b"".join(b"%d %d Td (ab) Tj " % (i % 600, (i * 7) % 780) for i in range(4000))
    return pdf_of(b"BT /F1 1 Tf " + words + b"ET", pages=2)


def pdf_bomb(megabytes: int) -> bytes:
    """A small PDF whose page's stream unpacks to `megabytes` MB."""
    return pdf_of(b"BT /F1 12 Tf 72 712 Td (Hi) Tj ET\n" + b" " * (megabytes * 2**20))
