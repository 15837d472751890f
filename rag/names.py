"""Is a name from an answer in a passage? Across scripts too: "Peskov" in an English answer is
"بيسكوف" in the Arabic article it came from.

Both spellings are reduced to a consonant skeleton of sound classes (vowels, and the letters
Arabic also writes vowels with, dropped; p/b, v/f, the k and s families each one class), then
compared allowing one slip in skeletons of three or more classes.
"""

from __future__ import annotations

import re

from rag.arabic import normalize

_LATIN_DIGRAPHS = [("sh", "S"), ("ch", "S"), ("kh", "K"), ("gh", "G"), ("th", "T"), ("dh", "D"),
                   ("ph", "F"), ("ou", "")]
_LATIN = str.maketrans({
    "b": "B", "p": "B", "t": "T", "d": "D", "s": "Z", "z": "Z", "c": "K", "k": "K", "q": "K",
    "x": "K", "g": "G", "j": "G", "f": "F", "v": "F", "l": "L", "m": "M", "n": "N", "r": "R",
    "h": "H", "S": "S", "K": "K", "G": "G", "T": "T", "D": "D", "F": "F",
    "a": None, "e": None, "i": None, "o": None, "u": None, "w": None, "y": None, "'": None, "-": None,
})
_ARABIC = str.maketrans({
    "ب": "B", "ت": "T", "ط": "T", "ث": "T", "د": "D", "ض": "D", "ذ": "D", "ظ": "Z", "س": "Z",
    "ص": "Z", "ز": "Z", "ش": "S", "ك": "K", "ق": "K", "خ": "K", "ج": "G", "غ": "G", "ف": "F",
    "ل": "L", "م": "M", "ن": "N", "ر": "R", "ه": "H", "ح": "H",
    "ا": None, "و": None, "ي": None, "ع": None, "ء": None, "ئ": None, "ؤ": None,
})
_ARABIC_PREFIXES = ("وال", "بال", "لل", "ال", "و", "ب", "ل")

# A capitalized word of English text, hyphenated ("Al-Jubeir") or an acronym: a name, unless it
# is one of NOT_NAMES.
NAME = re.compile(r"\b(?:[A-Z][a-z]+(?:-[A-Z]?[a-z]+)*|[A-Z]{2,})\b")
# Capitalized words that are not names, and words of titles and institutions, which an English
# answer translates ("White House", "Islamic State") rather than transliterates, so spelling
# cannot find them in an Arabic passage; day names likewise.
NOT_NAMES = set("""The A An He She It They We I His Her Its Their This That These Those There Here
According In On At By For From To Of With As But And Or So If When What Who Whom Whose Which Where Why
How Also After Before During Yes No Not However Meanwhile Moreover Both Neither Either Mr Mrs Ms Dr
Monday Tuesday Wednesday Thursday Friday Saturday Sunday
White House State States United Nations Department Ministry Minister Foreign Affairs Secretary General
President Prime Council Security Islamic Kingdom Republic Union European Arab League Army Forces Force
Air Navy Defense Defence Interior Center Centre Information Committee Parliament Assembly Court Supreme
National International Organization Agency News Press Office Government Administration Coalition Front
Party Movement Crown Prince King Spokesman Spokeswoman Official Officials Sea Gulf East West North South
Middle City Province Region University Bank Company Oil World Cup""".split())


def _squeeze(skeleton: str) -> str:
    return re.sub(r"(.)\1+", r"\1", skeleton)


def latin_skeleton(word: str) -> str:
    word = re.sub(r"(?<=[aeiou])h(?![aeiou])", "", word.lower())  # the silent h of "John"
    for digraph, sound in _LATIN_DIGRAPHS:
        word = word.replace(digraph, sound)
    return _squeeze("".join(ch for ch in word.translate(_LATIN) if ch.isupper()))


def arabic_skeletons(word: str) -> set[str]:
    """Skeletons of an Arabic word with and without its attached prefixes (ال, و, ب, ل) and a
    final ه (a folded taa marbuta: السعودية, القاعدة)."""
    forms = {word} | {word[len(p):] for p in _ARABIC_PREFIXES if word.startswith(p) and len(word) > len(p) + 1}
    forms |= {form[:-1] for form in forms if form.endswith("ه") and len(form) > 2}
    return {_squeeze("".join(ch for ch in form.translate(_ARABIC) if ch.isupper())) for form in forms}


def _close(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < 3 or abs(len(a) - len(b)) > 1:
        return False
    # one substitution, insertion or deletion
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def name_in(name: str, text: str) -> bool:
    """Whether `name` (one word, or hyphenated like "Al-Jubeir"; Latin or Arabic script) occurs
    in `text`, spelled either way."""
    words = normalize(text).split()
    parts = [p for p in normalize(name).split() if p not in ("al", "el")]
    return bool(parts) and all(_word_in(p, words) for p in parts)


def _word_in(folded: str, words: list[str]) -> bool:
    if folded in words:
        return True
    if re.fullmatch(r"[a-z]+", folded):
        target = latin_skeleton(folded)
        if len(target) < 2:
            return len(folded) < 3  # "Ki" of "Ban Ki-moon": too short to check
        return any(_close(target, s) for w in words for s in
                   (arabic_skeletons(w) if not w.isascii() else {latin_skeleton(w)}))
    return False
