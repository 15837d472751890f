"""Article text made safe to index, show and print: no markup, no invisible or control characters.

Applied once, when an article is read (rag.corpus), so every later stage (chunks, the LLM's
prompt, the answer, the UI, the terminal) sees the same plain text:
- HTML/XML tags and comments are removed (an article is news text; markup in it is either
  formatting debris or an attempt to get script or an overlay into the chat);
- zero-width and bidirectional control characters are removed (they hide words from the
  instruction filter, `Ig\u200bnore`, and can reorder what a reader sees);
- C0/C1 control characters other than tab and line breaks are removed (terminal escapes).
"""

from __future__ import annotations

import re

# Zero-width characters, the soft hyphen, and bidi embedding/override/isolate/mark controls.
INVISIBLE = "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e" \
            "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_COMMENT = re.compile(r"<!--.*?(-->|\Z)", re.DOTALL)
_HIDDEN_ELEMENT = re.compile(r"<(script|style|template)\b[^>]*>.*?(</\1\s*>|\Z)", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<![A-Za-z][^<>]*>|<\?[^<>]*\?>")
_SPACES = re.compile(r"[ \t]{2,}")


def strip_markup(text: str) -> str:
    """`text` without HTML comments, script/style elements and tags (the text between tags stays)."""
    if "<" not in text:
        return text
    text = _COMMENT.sub(" ", text)
    text = _HIDDEN_ELEMENT.sub(" ", text)
    return _TAG.sub(" ", text)


def strip_controls(text: str) -> str:
    """`text` without zero-width, bidi and C0/C1 control characters (tabs and line breaks stay)."""
    return _CONTROL.sub("", _INVISIBLE.sub("", text))


def clean(text: str) -> str:
    """Article text as it is indexed: controls first (they can hide a tag), then markup."""
    cleaned = strip_markup(strip_controls(text))
    return _SPACES.sub(" ", cleaned) if cleaned != text else cleaned


def printable(text: str) -> str:
    """`text` for a terminal: any control or invisible character that is left shown as an escape
    (\\x1b, \\u202e) instead of acting on the terminal."""
    return "".join(ch if ch in "\n\t" or not (_CONTROL.match(ch) or ch in INVISIBLE or ch == "\r")
                   else ch.encode("unicode_escape").decode("ascii") for ch in text)
