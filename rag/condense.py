"""What the LLM reads of the passages: their sentences closest to the question, within a budget of
tokens, instead of whole chunks (docs/design.md, "The gate and the LLM"). Every prompt token is
read at 35-100 tokens a second on two cores, so the sentences that do not bear on the question
are most of the wait for the first token.

The passages themselves stay whole: the claim check, the verifier, the citations and what the
user reads use all of their text, and those of which the LLM reads nothing too (after the ones it
reads, so that its [n] keep their numbers); only `Passage.prompt_text` is shorter.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

import numpy as np

from rag.arabic import normalize
from rag.evidence import passage_sentences
from rag.lexical import terms
from rag.types import Evidence, Passage

# Embedder tokens of passage sentences the LLM reads (RAG_EVIDENCE_TOKENS; 0: whole passages).
# 64 halves the new prompt tokens a question (191 -> 89 on the Arabic dev part of XQuAD, 185 ->
# 81 on the English, 235 -> 87 on the seed set) and the time to the first token. Alone it is a
# little less precise than whole passages; with its policy (rag.verify.POLICIES_SENTENCES_READ:
# an answer it would show is drafted again from the whole passages and must agree) it is more
# precise on the dev parts and the seed set, for less coverage (BENCHMARKS.md, "Answers on XQuAD
# sets nobody tuned on", which has the held-aside parts too).
EVIDENCE_TOKENS = 64
# A sentence's closeness to the question: its cosine plus this much times the share of the
# question's terms (rag.lexical) it holds. On the Arabic dev part of XQuAD a gold answer is in
# what the LLM reads for 0.746 of the questions at 80 tokens by cosine alone, 0.776 with 0.3
# (0.761 with 1.0); splitting long sentences at commas lost 0.03-0.07 (docs/experiments.md).
LEXICAL_WEIGHT = 0.3
# A chosen sentence that opens with one of these words leans on the sentence before it for its
# subject ("He added…", "وهو…"), which is then given too; so does one that opens with a reporting
# verb followed by "that" ("وأضاف أن…", where "وأضاف كيري أن…" names its speaker). Words as
# rag.arabic.normalize writes them.
PRONOUNS = set(normalize(
    "he she it they his her its their this that these those there then also but however "
    "وهو وهي وهم وهما وهذا وهذه وذلك وتلك كما لكن لكنه لكنها ولكن ولكنه غير إنه وإنه وأنه فيما بينما حيث ثم"
).split())
REPORTING = set(normalize(
    "وأضاف وقال وقالت وأكد وأكدت وأشار وأشارت وتابع وأوضح وأوضحت ولفت وشدد وبين واعتبر ورأى ونوه "
    "وذكر وأفاد وأعرب وأعلن وأعلنت added said"
).split())
THAT = set(normalize("أن إن أنه إنه أنها إنها أنهم إنهم that").split())
GAP = " … "  # between two chosen sentences that are not next to each other in the passage
_WORD = re.compile(r"\w")


def leans_on_previous(sentence: str) -> bool:
    words = normalize(sentence).split()[:2]
    if not words:
        return False
    return words[0] in PRONOUNS or (words[0] in REPORTING and (len(words) == 1 or words[1] in THAT))


def select(passages: list[Passage], question: str, question_vector: np.ndarray,
           sentence_vectors: Callable[[list[Evidence]], np.ndarray],
           count_tokens: Callable[[str], int], budget: int) -> tuple[list[Passage], list[Passage]]:
    """(the passages the LLM reads, the others), each best first. A passage read has
    `prompt_text`: its sentences chosen by closeness to the question (best first across all
    passages, each with the sentence before it when it leans on it) until `budget` tokens are
    taken, in article order; the closest sentence is always chosen. The others, none of whose
    sentences was chosen, are still evidence for the checks."""
    if budget <= 0 or not passages:
        return passages, []
    sentences = passage_sentences(passages)
    if not sentences:
        return passages, []
    scores = sentence_vectors(sentences) @ question_vector
    asked = set(terms(question))
    if asked:
        scores = scores + LEXICAL_WEIGHT * np.array([len(asked & set(terms(e.text))) / len(asked) for e in sentences])
    tokens = [count_tokens(e.text) for e in sentences]
    chosen: set[int] = set()
    used = 0
    for j in np.argsort(-scores, kind="stable"):
        if j in chosen:
            continue
        take = [j]
        before = j - 1
        if (leans_on_previous(sentences[j].text) and before >= 0 and before not in chosen
                and sentences[before].n == sentences[j].n):
            take.append(before)
        cost = sum(tokens[i] for i in take)
        if chosen and used + cost > budget:
            continue
        chosen.update(take)
        used += cost
        if used >= budget:
            break
    kept, others = [], []
    for n, passage in enumerate(passages, 1):
        mine = sorted(i for i in chosen if sentences[i].n == n)
        if not mine:
            others.append(passage)
            continue
        text = sentences[mine[0]].text
        for previous, i in zip(mine, mine[1:]):
            between = passage.text[sentences[previous].end - passage.start:sentences[i].start - passage.start]
            text += (between if not _WORD.search(between) else GAP) + sentences[i].text
        kept.append(replace(passage, prompt_text=text))
    return kept, others
