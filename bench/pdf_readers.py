"""Which PDF library reads Arabic best: PDFs made here with Arabic and English news text, the
text extracted by pypdf and by pdfminer.six, scored against what was written (character
similarity after whitespace is collapsed), raw and after rag.readers.pdf_text's normalization.

rag.readers.pdf is the product's reader: pdfminer.six's glyphs, turned glyph by glyph (a lam-alef
ligature keeps its two letters in order), paragraphs from pdfminer's text boxes.

Three kinds of PDF: shaped by HarfBuzz (what current tools write: glyphs in visual order with a
ToUnicode map), legacy (text reshaped to presentation forms and put in visual order before
drawing, as older tools did), and English.

    .venv/bin/python -m pip install pypdf==7.1.0 arabic-reshaper==3.1.0 python-bidi==0.6.12   # the comparison only
    .venv/bin/python bench/pdf_readers.py [--font /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf]
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.readers.pdf_text import normalize_page  # noqa: E402

ARABIC = [
    "قال المتحدث باسم الكرملين دميتري بيسكوف يوم الثلاثاء إن مركز بغداد للتنسيق المعلوماتي مفتوح أمام دول أخرى.",
    "وأضاف أن روسيا والعراق وإيران وسوريا شاركت في تأسيس المركز عام 2015، وأن اجتماعه الأول عقد في 29 سبتمبر.",
    "وأوضح بيسكوف أن موسكو لا تخطط لعمليات برية في سوريا (حسب وكالة تاس) وأن التعاون يقتصر على تبادل المعلومات.",
    "وذكرت صحيفة الشرق الأوسط أن وزير الخارجية سيرغي لافروف التقى نظيره العراقي إبراهيم الجعفري في نيويورك.",
]
ENGLISH = [
    "The Kremlin spokesman Dmitry Peskov said on Tuesday that the Baghdad information center was open to other countries.",
    "Russia, Iraq, Iran and Syria set up the center in 2015; its first meeting was held on 29 September.",
]


def make_pdf(lines: list[str], font: str, kind: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("body", "", font)
    pdf.set_font("body", size=12)
    pdf.add_page()
    # short lines, each one drawn line: a legacy tool put each line in visual order by itself
    words = " ".join(lines).split()
    for line in (" ".join(words[i:i + 7]) for i in range(0, len(words), 7)):
        if kind == "shaped":
            pdf.set_text_shaping(True, direction="rtl", script="arab", language="ara")
        elif kind == "legacy":
            import arabic_reshaper
            from bidi import get_display
            line = get_display(arabic_reshaper.reshape(line))
        pdf.multi_cell(0, 8, line, align="R" if kind != "english" else "L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def with_rag_reader(data: bytes) -> str:
    from rag.readers.base import FileData
    from rag.readers.pdf import read

    return read(FileData("bench.pdf", "bench.pdf", data, len(data)), 10**6).articles[0].text


def with_pypdf(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def with_pdfminer(data: bytes) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(io.BytesIO(data))


def similarity(extracted: str, written: list[str]) -> float:
    return difflib.SequenceMatcher(None, " ".join(extracted.split()), " ".join(" ".join(written).split())).ratio()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--font", default="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                        help="a TrueType font with Arabic letters")
    parser.add_argument("--out", default="bench/results/pdf_readers.json")
    args = parser.parse_args()
    rows = []
    for kind, lines in (("shaped", ARABIC), ("legacy", ARABIC), ("english", ENGLISH)):
        data = make_pdf(lines, args.font, kind)
        for library, extract in (("pypdf", with_pypdf), ("pdfminer.six", with_pdfminer),
                                 ("rag.readers.pdf", with_rag_reader)):
            started = time.perf_counter()
            raw = extract(data)
            seconds = time.perf_counter() - started
            # rag.readers.pdf normalizes itself (glyph by glyph); the others get normalize_page after
            normalized = raw if library == "rag.readers.pdf" else normalize_page(raw)
            rows.append({"pdf": kind, "library": library, "raw": round(similarity(raw, lines), 3),
                         "normalized": round(similarity(normalized, lines), 3),
                         "seconds": round(seconds, 4), "sample": normalized[:90]})
            print(f"{kind:8} {library:13} raw {rows[-1]['raw']:.3f}  normalized {rows[-1]['normalized']:.3f}  "
                  f"{seconds * 1000:.0f} ms  {rows[-1]['sample']!r}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
