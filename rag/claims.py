"""Claim check: which passage sentence, if any, supports each sentence of an answer.

For every answer sentence, every sentence of the passages given to the LLM (and word windows
of the long ones) is scored by embedding similarity (answer sentence as query, passage sentence
as document), or by the share of its words when it copies one. A passage can
support the sentence only if it holds the sentence's numbers and most of its names (names
compared across scripts, rag.names). The best such passage is the sentence's citation, unless
the model cited one nearly as close; its best sentence is the quote shown to the user. A
sentence that no passage supports is dropped, and so is a follow-up's sentence that only repeats
the conversation; an answer with no supported sentence is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from rag.arabic import bare, normalize
from rag.evidence import passage_sentences
from rag.grounding import CITATION, answer_sentences, cited_numbers
from rag.lexical import terms
from rag.names import NAME, NOT_NAMES, name_in
from rag.retriever import search_query
from rag.types import Evidence, Passage

# Similarity (cosine) under which no passage sentence supports an answer sentence. On the seed
# set, sentences of right answers scored 0.41-0.86 against their best passage sentence; see
# docs/design.md, "The claim check".
SUPPORT_MIN = 0.35
# Answer sentences shorter than this many words are embedded together with the question.
SHORT_CLAIM_WORDS = 8
# A passage the model cited is kept when it is at most this much less similar than the best one.
CITATION_MARGIN = 0.05
# A passage sentence longer than this many words is also compared in overlapping windows of
# WINDOW_WORDS: a short claim scores low against a long sentence that says much besides it.
LONG_SENTENCE_WORDS = 24
WINDOW_WORDS = 12
# An answer sentence of at least COPY_MIN_WORDS words, this share of them in one passage
# sentence, is copied from it (after Arabic normalization): that sentence supports it at least
# as strongly as the share, whatever the embeddings say.
COPIED_SHARE = 0.8
COPY_MIN_WORDS = 3

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Spelled-out magnitudes, compared across languages (after rag.arabic.normalize).
_MAGNITUDES = {
    "thousand": "thousand", "thousands": "thousand", "الف": "thousand", "الاف": "thousand", "بالاف": "thousand",
    "million": "million", "millions": "million", "مليون": "million", "ملايين": "million",
    "billion": "billion", "billions": "billion", "مليار": "billion", "مليارات": "billion",
    "percent": "percent", "بالمئه": "percent", "بالمائه": "percent", "المئه": "percent", "المائه": "percent",
}
# Counts spelled out, three to twelve: an English answer's must be in its passage, as digits or
# words of either language ("one" is rarely a count, "two" often an Arabic dual: "فريقين").
_COUNTS = {normalize(w): str(n) for n, forms in enumerate((
    "three ثلاث ثلاثة", "four أربع أربعة", "five خمس خمسة", "six ست ستة", "seven سبع سبعة",
    "eight ثمان ثماني ثمانية", "nine تسع تسعة", "ten عشر عشرة", "eleven", "twelve"), start=3)
    for w in forms.split()}
_ENGLISH_COUNTS = {w for w in _COUNTS if w.isascii()}


# Words that frame a claim rather than state it: reporting verbs, and the start of a second try.
FRAMING = set(terms("said say says told according sources source قال قالت أضاف وأضاف بحسب المصادر"))


@dataclass
class Claim:
    sentence: str  # the answer sentence, markers removed
    cited: list[int]  # what the model cited
    n: int | None = None  # the supporting passage; None when unsupported
    quotes: dict[int, Evidence] = field(default_factory=dict)  # cited passage -> its closest sentence
    score: float = 0.0
    missing: list[str] = field(default_factory=list)  # numbers/names no passage held
    repeats: bool = False  # only repeats the conversation (a follow-up's sentence)
    closest: list[tuple[int, str, float]] = field(default_factory=list)  # each passage's nearest sentence, score


@dataclass
class CheckedAnswer:
    text: str  # supported sentences with their repaired markers; "" when none
    claims: list[Claim]
    quotes: dict[int, Evidence]  # passage number -> the sentence quoted for it

    @property
    def supported(self) -> int:
        return sum(c.n is not None for c in self.claims)

    @property
    def unsupported(self) -> int:
        return sum(c.n is None for c in self.claims)


def evidence_sentences(passages: list[Passage]) -> list[Evidence]:
    """The passages' sentences (rag.evidence), a long one followed by its word windows."""
    found = []
    for sentence in passage_sentences(passages):
        passage = passages[sentence.n - 1]
        found.append(sentence)
        start, end = sentence.start - passage.start, sentence.end - passage.start
        found += [Evidence(sentence.n, passage.text[s:e], passage.start + s, passage.start + e)
                  for s, e in word_windows(passage.text, start, end)]
    return found


def word_windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of WINDOW_WORDS words, each overlapping the one before by half, over a sentence of
    more than LONG_SENTENCE_WORDS words; none for a shorter one."""
    words = [m.span() for m in re.finditer(r"\S+", text[start:end])]
    if len(words) <= LONG_SENTENCE_WORDS:
        return []
    step = WINDOW_WORDS // 2
    firsts = range(0, len(words) - step, step)
    return [(start + words[i][0], start + words[min(i + WINDOW_WORDS, len(words)) - 1][1]) for i in firsts]


def copied_shares(claims: list[Claim], evidence: list[Evidence]) -> np.ndarray:
    """(claims, evidence) matrix: the share of a claim's words in an evidence sentence where it
    reaches COPIED_SHARE, else 0."""
    shares = np.zeros((len(claims), len(evidence)), dtype=np.float32)
    evidence_words = [set(normalize(e.text).split()) for e in evidence]
    for i, claim in enumerate(claims):
        words = normalize(claim.sentence).split()
        if len(words) < COPY_MIN_WORDS:
            continue
        for j, known in enumerate(evidence_words):
            share = sum(w in known for w in words) / len(words)
            if share >= COPIED_SHARE:
                shares[i, j] = share
    return shares


def missing_facts(sentence: str, passage_text: str, question: str = "") -> list[str]:
    """Numbers of `sentence` that `passage_text` lacks, and its names too when most of them
    are lacking (a translated title like "White House" cannot be matched by spelling, so one
    unmatched name among several is tolerated). Names from the question count as known."""
    text, passage = normalize(sentence), normalize(passage_text)
    known_numbers = (set(_NUMBER.findall(passage)) | {_MAGNITUDES[w] for w in passage.split() if w in _MAGNITUDES}
                     | {_COUNTS[bare(w)] for w in f"{passage} {normalize(question)}".split() if bare(w) in _COUNTS})
    stated = (_NUMBER.findall(text) + [_MAGNITUDES[w] for w in text.split() if w in _MAGNITUDES]
              + [_COUNTS[w] for w in text.split() if w in _ENGLISH_COUNTS])
    missing = [n for n in dict.fromkeys(stated) if n not in known_numbers]
    # The first word is capitalized whatever it is ("Relations are …"), so it is not taken for a name.
    first = re.match(r"\W*(\w+)", sentence)
    rest = sentence[first.end():] if first else sentence
    names = [w for w in dict.fromkeys(NAME.findall(rest)) if w not in NOT_NAMES]
    absent = [w for w in names if not name_in(w, passage_text) and not name_in(w, question)]
    if absent and len(absent) * 2 > len(names):
        missing += absent
    return missing


def repeats_conversation(sentence: str, question: str, history: list[tuple[str, str]]) -> bool:
    """True for a sentence that only repeats what the conversation has said and is not about
    what is asked now: after "Who is the Kremlin spokesman?" / "… is Dmitry Peskov", the answer
    "Dmitri Peskov said that the Kremlin spokesman is Dmitry Peskov" to "What did he say about
    air strikes?" answers nothing, though a passage supports every word of it; so does "teachers
    in Wales can register with trade unions", said before, to "what is happening to the average
    age of teachers in it?", though it shares a word with it. A sentence that adds nothing to the
    question at all is a restatement (rag.verify), not a repeat."""
    added = set(terms(sentence)) - FRAMING - set(terms(question))
    said = set(terms(" ".join(text for turn in history for text in turn)))
    return bool(added) and not added - said


def check(answer: str, passages: list[Passage], question: str,
          embed_sentences: Callable[[list[str]], np.ndarray],
          embed_evidence: Callable[[list[Evidence]], np.ndarray],
          history: list[tuple[str, str]] = ()) -> CheckedAnswer:
    """Check every sentence of `answer` (already a non-refusal, markers in range) against
    the passages; see the module docstring. `history` is the conversation before `question`."""
    sentences = answer_sentences(answer)
    claims = [Claim(CITATION.sub("", s).strip(), cited_numbers(s)) for s in sentences]
    claims = [c for c in claims if c.sentence.strip(" .،,")]  # a lone marker claims nothing
    repeated = [bool(history) and repeats_conversation(c.sentence, question, history) for c in claims]
    question = search_query(question, history)  # a follow-up is read with the question before it
    evidence = evidence_sentences(passages)
    if not claims or not evidence:
        return CheckedAnswer("", claims, {})
    # A short answer ("Saudi Arabia [1].") says little alone: it is compared with the question.
    texts = [c.sentence if len(c.sentence.split()) >= SHORT_CLAIM_WORDS else f"{question}\n{c.sentence}"
             for c in claims]
    similarity = np.maximum(embed_sentences(texts) @ embed_evidence(evidence).T,
                            copied_shares(claims, evidence))
    for claim, row, repeats in zip(claims, similarity, repeated):
        claim.repeats = repeats
        if not repeats:  # else unsupported: it answers nothing
            _support(claim, row, evidence, passages, question)
    return assemble(claims)


def assemble(claims: list[Claim], keep=lambda claim: claim.n is not None) -> CheckedAnswer:
    """The answer made of the claims `keep` accepts (by default the supported ones), with their
    markers, and the sentence quoted for each passage they cite (the closest claim's quote)."""
    kept = [c for c in claims if keep(c)]
    quotes: dict[int, Evidence] = {}
    for claim in sorted(kept, key=lambda c: -c.score):
        for n, quote in claim.quotes.items():
            quotes.setdefault(n, quote)
    return CheckedAnswer(" ".join(_with_marker(c) for c in kept), claims, quotes)


def _support(claim: Claim, row: np.ndarray, evidence: list[Evidence], passages: list[Passage],
             question: str) -> None:
    def closeness(j: int) -> tuple[float, int]:  # on a tie the shorter (a window) quotes better
        return row[j], -len(evidence[j].text)

    best: dict[int, int] = {}  # passage number -> index of its sentence closest to the claim
    for j, e in enumerate(evidence):
        if e.n not in best or closeness(j) > closeness(best[e.n]):
            best[e.n] = j
    claim.closest = sorted(((n, evidence[j].text, float(row[j])) for n, j in best.items()), key=lambda c: -c[2])
    holding = {}
    for n in best:
        missing = missing_facts(claim.sentence, passages[n - 1].text, question)
        if not missing:
            holding[n] = row[best[n]]
        elif not claim.missing or len(missing) < len(claim.missing):
            claim.missing = missing
    if not holding:
        return
    top = max(holding, key=holding.get)
    if holding[top] < SUPPORT_MIN:
        return
    kept = [n for n in claim.cited if n in holding and holding[n] >= holding[top] - CITATION_MARGIN]
    claim.cited = kept or [top]
    claim.n, claim.score, claim.missing = claim.cited[0], float(holding[claim.cited[0]]), []
    claim.quotes = {n: evidence[best[n]] for n in claim.cited}


def _with_marker(claim: Claim) -> str:
    text, end = claim.sentence.rstrip(), ""
    if text and text[-1] in ".!?؟":
        text, end = text[:-1].rstrip(), text[-1]
    return f"{text} {' '.join(f'[{n}]' for n in claim.cited)}{end}"
