"""The lexical side of retrieval: BM25 (bm25s) over normalized, stemmed terms.

Terms are made the same way for chunks and queries: Arabic normalization (rag.arabic), stop
words out, then PyStemmer's Arabic stemmer for Arabic-script words and its English stemmer for
the rest, so a text that mixes the two scripts is stemmed word by word in its own language.
"""

from __future__ import annotations

import re

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

from rag.arabic import PROCLITICS, normalize

# Stored with an index's terms; a change to how terms are made must change it.
VERSION = 1

# Arabic function and question words, normalized (ة→ه, ى→ي, one alef).
_STOPWORDS_AR = set(normalize(" ".join("""
    في من إلى على عن مع أن إن أنه إنه كان كانت يكون التي الذي الذين اللذين هذا هذه ذلك تلك هو هي
    هم هما نحن أنا لا لم لن ما ماذا من متى أين كيف كم هل لماذا أي أو ثم قد وقد كما بين بعد قبل عند
    حتى إذا لقد عليه عليها فيه فيها به بها له لها منه منها وفي ومن وعلى وهو وهي كل بعض غير أيضا
""".split())).split())
STOPWORDS = _STOPWORDS_AR | set(STOPWORDS_EN_PLUS)

_ARABIC = re.compile("[\u0621-\u064a]")
_STEMMERS = {"ar": Stemmer.Stemmer("arabic"), "en": Stemmer.Stemmer("english")}


def stem(word: str) -> str:
    if _ARABIC.search(word):
        # The Arabic stemmer strips a final taa marbuta but not the ه it is folded to.
        if word.endswith("ه") and len(word) > 3:
            word = word[:-1] + "ة"
        return normalize(_STEMMERS["ar"].stemWord(word))
    return _STEMMERS["en"].stemWord(word)


def function_word(word: str) -> bool:
    """A stop word, or one behind a proclitic ("وماذا", "بأن"): said, not a claim or a subject;
    for a normalized word or a term."""
    return word in STOPWORDS or (word[:1] in PROCLITICS and word[1:] in STOPWORDS)


def terms(text: str) -> list[str]:
    """The BM25 terms of a text, in order."""
    return [stem(w) for w in normalize(text).split()
            if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


class LexicalIndex:
    """BM25 over the term lists of the chunks, one row per chunk in the store's order.

    bm25s has no incremental update; the store keeps each chunk's terms and this index is built
    from them again after a change (a few seconds for 100k chunks, nothing next to embedding).
    """

    def __init__(self, chunk_terms: list[list[str]]):
        self.size = len(chunk_terms)
        self.model = bm25s.BM25()
        if chunk_terms:
            self.model.index(chunk_terms, show_progress=False)
        self.vocab = set(self.model.vocab_dict) if chunk_terms else set()

    def coverage(self, query_terms: list[str]) -> float:
        """Share of the query's terms that occur somewhere in the corpus: how far the lexical
        side can match this query at all (about 0 for an English question over Arabic articles)."""
        if not query_terms:
            return 0.0
        return sum(t in self.vocab for t in query_terms) / len(query_terms)

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """BM25 score of every chunk for the query (zeros where nothing matches)."""
        known = [t for t in query_terms if t in self.vocab]
        if not known or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(known), dtype=np.float32)
