"""Arabic text as PDF extractors give it back, put right: presentation forms (the shaped letters
legacy tools draw) become plain letters, and lines that come out in visual order (left to right
as drawn, which is how PDF content streams hold RTL text) are turned back into reading order."""

from __future__ import annotations

import re
import unicodedata

_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]+")
_ARABIC_WORD = re.compile(r"[\u0621-\u064a]{3,}")
ARABIC = re.compile(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")  # presentation forms too
# Left-to-right runs inside an Arabic line (Latin words, numbers, dates), with the spaces and
# punctuation between their parts: drawn left to right, they keep their order when the line turns.
_LTR = re.compile(r"[A-Za-z0-9\u0660-\u0669]")
_LTR_JOINERS = set(".,:/%'-+ ")
_MIRRORED = str.maketrans("()[]{}<>«»", ")(][}{><»«")


def plain_letters(text: str) -> str:
    """Arabic presentation forms (isolated, initial, medial, final, lam-alef) as the letters they draw."""
    return _PRESENTATION_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def reads_visual(text: str) -> bool:
    """Whether Arabic text is in visual order: its words read backwards. In reading order many
    words start with the article ال and end with ة or ى; backwards, they end with لا and start
    with ة or ى."""
    forward = backward = 0
    for word in _ARABIC_WORD.findall(text):
        forward += word.startswith("ال") + (word[-1] in "ةى")
        backward += word.endswith("لا") + (word[0] in "ةى")
    return backward > forward


def reading_order(glyphs) -> str:
    """A right-to-left line given in visual order, in reading order: reversed, with its
    left-to-right runs (Latin words, numbers) turned back.

    `glyphs` is the line's text a drawn glyph at a time (a string is one character a glyph): a
    ligature such as lam-alef maps to two letters already in reading order, and turning the line
    glyph by glyph keeps them so."""
    turned = list(reversed(list(glyphs)))
    out: list[str] = []
    run: list[str] = []
    for glyph in turned + [""]:
        if _LTR.match(glyph) or (run and glyph and glyph in _LTR_JOINERS):
            run.append(glyph)
            continue
        tail = []
        while run and run[-1] in _LTR_JOINERS:  # a space or stop after the run is not part of it
            tail.insert(0, run.pop())
        out += run[::-1] + tail + [glyph]
        run = []
    return "".join(out)


_PAIR = re.compile(r"\([^()\n]*\)|«[^«»\n]*»")
_PAIR_BACKWARDS = re.compile(r"\)[^()\n]*\(|»[^«»\n]*«")


def brackets_put_right(lines: list[str]) -> list[str]:
    """Turned lines with their brackets mirrored when they read backwards, ")like this(". Tools
    differ: HarfBuzz's ToUnicode gives a mirrored bracket its logical character, older tools the
    character it looks like; the lines of a page decide together (one line may hold half a pair)."""
    text = "\n".join(lines)
    if len(_PAIR_BACKWARDS.findall(text)) > len(_PAIR.findall(text)):
        return [line.translate(_MIRRORED) for line in lines]
    return lines


def normalize_page(text: str) -> str:
    """One page of extracted text, its Arabic readable: plain letters, and reading order where
    the page's Arabic came out in visual order."""
    text = plain_letters(text)
    if not reads_visual(text):
        return text
    lines = text.split("\n")
    turned = brackets_put_right([reading_order(line) for line in lines if ARABIC.search(line)])
    return "\n".join(turned.pop(0) if ARABIC.search(line) else line for line in lines)
