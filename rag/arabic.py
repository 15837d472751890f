"""Arabic-aware text helpers: normalization for matching, sentence spans, language detection.

Normalization is for matching only (keyword checks, lexical search); text shown to a user is
never normalized.
"""

from __future__ import annotations

import re
import unicodedata

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ى": "ي",
    "ة": "ه",
    **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended (Persian) digits
})
_PUNCT_OR_SPACE = re.compile(r"[\W_]+", re.UNICODE)
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3]")
_LATIN_LETTER = re.compile("[A-Za-z]")
# A number's thousands separators ("13,000", "13٬000"), dropped before matching so that it is one
# number, not two.
THOUSANDS = re.compile(r"(?<=\d)[,،٬](?=\d{3}\b)")


def normalize(text: str) -> str:
    """Fold text for matching: no diacritics or tatweel, one alef, ي for ى, ه for ة,
    ASCII digits, no punctuation, lower-case Latin, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text).replace(_TATWEEL, "")
    text = text.translate(_FOLD).lower()
    return _PUNCT_OR_SPACE.sub(" ", text).strip()


# One-letter words an Arabic word may carry in front: "and", "so", "with/by", "to/for".
PROCLITICS = "وفبل"


def bare(word: str) -> str:
    """A normalized Arabic word without one leading proclitic and then the article ("ويناير" ->
    "يناير", "بالثلاثه" -> "ثلاثه", "العام" -> "عام"); a word of three letters ("وفي") or a Latin
    one as it is."""
    if len(word) > 3 and word[0] in PROCLITICS and not word.isascii():
        word = word[1:]
    return word[2:] if word.startswith("ال") and len(word) > 4 else word


def language(text: str) -> str:
    """'ar' when Arabic letters make up a fair share of the letters, else 'en'."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    return "ar" if arabic and arabic >= 0.3 * (arabic + latin) else "en"


# A sentence ends at . ! ? ؟ (followed by space or end), at ؛ and at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])[\"'»”)\]]*\s+|(?<=[؛;])\s*|\n+")
# Inside a sentence too long for one chunk: commas, Arabic or Latin.
_CLAUSE_END = re.compile(r"(?<=[،,:])\s+")


def _spans(text: str, pattern: re.Pattern, start: int, end: int) -> list[tuple[int, int]]:
    spans, cursor = [], start
    for match in pattern.finditer(text, start, end):
        if match.start() > cursor:
            spans.append((cursor, match.start()))
        cursor = match.end()
    if cursor < end:
        spans.append((cursor, end))
    return [_strip(text, s, e) for s, e in spans if text[s:e].strip()]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of `text`, whitespace trimmed."""
    return _spans(text, _SENTENCE_END, 0, len(text))


def clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split one long sentence at its commas."""
    return _spans(text, _CLAUSE_END, start, end)
