"""One answer pipeline, used by the CLI, the UI and the eval: question -> retrieval -> gate ->
LLM -> citation checks -> Answer."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Iterator

import numpy as np

from rag import grounding
from rag.arabic import language
from rag.config import Settings
from rag.embedder import Embedder
from rag.generator import Generator, build_messages, refusal
from rag.ingest import chunker_settings
from rag.retriever import Passage, Retrieval, Retriever
from rag.store import Store

MAX_QUESTION_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class QuestionError(ValueError):
    """The question cannot be asked as it is; the message says why, for the user."""


@dataclass
class Citation:
    n: int
    article_id: str
    title: str
    text: str
    start: int
    end: int


@dataclass
class Answer:
    question: str
    lang: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[dict] = field(default_factory=list)  # {article_id, chunk_id, score}, best first
    passages: list[Passage] = field(default_factory=list)  # everything given to the LLM, numbered 1…
    timings: dict = field(default_factory=dict)  # seconds: retrieval, first_token, total
    gated: bool = False  # refused before the LLM because the evidence was too weak

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("passages")
        return data


def clean_question(question: str) -> str:
    question = _CONTROL.sub(" ", question or "").strip()
    if not question:
        raise QuestionError("The question is empty. / السؤال فارغ.")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"The question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}. "
            f"/ السؤال أطول من الحد المسموح ({MAX_QUESTION_CHARS} حرف).")
    return question


def search_query(question: str, history: list[tuple[str, str]]) -> str:
    """A follow-up ("and what did he say about …?") is searched together with the question before
    it, so the retriever sees who and what it is about."""
    if history:
        return f"{history[-1][0]}\n{question}"
    return question


class Assistant:
    """Holds the models and the index; answers one question at a time through the LLM."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 generator: Generator | None = None, store: Store | None = None):
        self.settings = settings
        self.embedder = embedder or Embedder(settings.embedder, threads=settings.threads)
        self.store = store or Store.load(settings.index_dir)
        self.store.check_compatible(self.embedder.id, chunker_settings(settings))
        self._generator = generator
        self._llm_lock = threading.Lock()
        self.retriever = Retriever(self.store, self.embedder)

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            self._generator = Generator(self.settings.llm, self.settings.context_tokens,
                                        self.settings.threads)
        return self._generator

    def reload_index(self) -> None:
        self.store = Store.load(self.settings.index_dir)
        self.store.check_compatible(self.embedder.id, chunker_settings(self.settings))
        self.retriever = Retriever(self.store, self.embedder)

    def ask(self, question: str, history: list[tuple[str, str]] = (), top_k: int | None = None) -> Answer:
        *_, answer = self.stream(question, history, top_k)
        return answer

    def stream(self, question: str, history: list[tuple[str, str]] = (),
               top_k: int | None = None) -> Iterator[str | Answer]:
        """Yield the answer text piece by piece as the LLM writes it, then the checked Answer."""
        started = time.perf_counter()
        question = clean_question(question)
        history = [(q, a) for q, a in history][-3:]
        lang = language(question)
        retrieval = self.retriever.retrieve(search_query(question, history), top_k or self.settings.top_k)
        timings = {"retrieval": time.perf_counter() - started}
        retrieved = [{"article_id": c.article_id, "chunk_id": c.chunk_id, "score": round(s, 4)}
                     for c, s in retrieval.ranked]
        answer = Answer(question, lang, "", refused=False, retrieved=retrieved,
                        passages=retrieval.passages, timings=timings)

        if not grounding.passes_gate(retrieval.best_score):
            answer.answer, answer.refused, answer.gated = refusal(lang), True, True
            timings["first_token"] = timings["total"] = time.perf_counter() - started
            yield answer.answer
            yield answer
            return

        messages = build_messages(question, retrieval.passages, lang, history)
        pieces = []
        with self._llm_lock:
            for piece in self.generator.stream(messages, self.settings.max_answer_tokens):
                if not pieces:
                    timings["first_token"] = time.perf_counter() - started
                pieces.append(piece)
                yield piece
        self._check(answer, "".join(pieces).strip(), retrieval)
        timings["total"] = time.perf_counter() - started
        timings.setdefault("first_token", timings["total"])
        yield answer

    def _check(self, answer: Answer, text: str, retrieval: Retrieval) -> None:
        """Refusal detection, unsupported numbers and citation repair on the finished answer."""
        passages = retrieval.passages
        if grounding.is_refusal(text, answer.lang):
            answer.answer, answer.refused = refusal(answer.lang), True
            return
        text = grounding.clean_citations(text, len(passages))
        sentences = grounding.sentences_with_support(text, "\n".join(p.text for p in passages))
        if not sentences:  # every sentence stated something the passages do not hold
            answer.answer, answer.refused = refusal(answer.lang), True
            return
        vectors = self.embedder.encode_query(sentences)
        similarity = np.array([[float(np.max(self._passage_vectors(p) @ v)) for p in passages]
                               for v in vectors])
        text = grounding.repair_citations(sentences, similarity)
        numbers = grounding.cited_numbers(text)
        answer.answer = text
        answer.citations = [Citation(n, p.article_id, p.title, p.text, p.start, p.end)
                            for n, p in grounding.supported_passages(passages, numbers)]

    def _passage_vectors(self, passage: Passage) -> np.ndarray:
        return self.store.vectors_of(passage.chunk_ids)
