"""One answer pipeline, used by the CLI, the UI and the eval: question -> retrieval -> gate ->
LLM -> citation checks -> Answer."""

from __future__ import annotations

import re
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Iterator

import numpy as np

from rag import claims, condense, grounding, verify
from rag.arabic import language
from rag.config import Settings
from rag.embedder import Embedder
from rag.filters import describe as describe_filter
from rag.ingest import chunker_settings
from rag.readers.base import Metadata
from rag.llm import LLM, LLMError, load as load_llm
from rag.priority import AnswersFirst
from rag.prompts import answer_start, build_messages, fixed_messages, refusal, withheld
from rag.retriever import Fusion, Retrieval, Retriever, ranked_json, search_query
from rag.store import Store
from rag.vector_index import open_engine
from rag.vector_index.base import ChunkFilter
from rag.types import Citation, Evidence, Passage

MAX_QUESTION_CHARS = 2000
HISTORY_TURNS = 3  # earlier (question, answer) pairs given to the LLM, newest kept
HISTORY_TOKENS = 1000  # LLM tokens the history may take in all; the oldest turns go first
SENTENCE_CACHE = 20_000  # passage sentence vectors kept for the claim check
CLOSEST = 3  # passages shown, their best sentence marked, when no answer is
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class QuestionError(ValueError):
    """The question cannot be asked as it is; the message says why, for the user."""


@dataclass
class Answer:
    question: str
    lang: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[dict] = field(default_factory=list)  # {article_id, chunk_id, score}, best first
    passages: list[Passage] = field(default_factory=list)  # what the LLM read, numbered 1…, then the unread
    timings: dict = field(default_factory=dict)  # seconds: retrieval, first_token, total, check
    gated: bool = False  # refused before the LLM because the evidence was too weak
    retried: bool = False  # the LLM refused on strong evidence and was asked to start an answer
    supported: int = 0  # answer sentences a passage supports
    unsupported: int = 0  # answer sentences none supports (dropped)
    draft: str = ""  # what the LLM wrote, before the checks: shown only as a provisional draft
    second_draft: str = ""  # the answer drafted again from the passages read the other way (the verifier's agreement)
    sentences: list[verify.Verdict] = field(default_factory=list)  # each draft sentence's verdict
    withheld: bool = False  # the LLM answered but the verifier confirmed none of it
    closest: list[Citation] = field(default_factory=list)  # with no answer: the nearest passages
    filters: dict = field(default_factory=dict)  # the user's date and source filter (rag.filters.describe)

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("passages")
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Answer":
        """An Answer as to_json wrote it (a `rag serve` answering `rag ask --server`), less its passages."""
        data = dict(data)
        for name in ("citations", "closest"):
            data[name] = [Citation(**c) for c in data.get(name, [])]
        data["sentences"] = [verify.Verdict(**{**v, "signals": verify.Signals(**v["signals"]) if v.get("signals") else None,
                                               "rivals": [tuple(r) for r in v.get("rivals", [])]})
                             for v in data.get("sentences", [])]
        return cls(**data)


def clean_question(question: str) -> str:
    """The question stripped of surrounding space; QuestionError when it cannot be asked."""
    question = (question or "").strip()
    if not question:
        raise QuestionError("The question is empty. / السؤال فارغ.")
    if _CONTROL.search(question):
        raise QuestionError("The question contains control characters; type it as plain text. "
                            "/ يحتوي السؤال على محارف تحكم؛ اكتبه نصًا عاديًا.")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"The question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}. "
            f"/ السؤال أطول من الحد المسموح ({MAX_QUESTION_CHARS} حرف).")
    return question


def fixed_prefixes(settings: Settings) -> list[list[dict]]:
    """The fixed prompt prefixes these settings' answers use, each language's for the way the
    draft reads the sources and, when the verifier's policy asks for a second draft, for the
    other way (whole passages under their headlines, or only their closest sentences, without)."""
    sentences_read = bool(settings.evidence_tokens)
    readings = [settings.headlines, *([not settings.headlines] if verify.second_reading(sentences_read) else [])]
    return [fixed_messages(lang, headlines) for lang in ("en", "ar") for headlines in readings]


def trim_history(history, count_tokens, max_tokens: int = HISTORY_TOKENS,
                 turns: int = HISTORY_TURNS) -> list[tuple[str, str]]:
    """The last `turns` (question, answer) pairs, each message cut to MAX_QUESTION_CHARS, the
    oldest left out until all of them take at most `max_tokens` (`count_tokens` counts)."""
    kept = [(str(q)[:MAX_QUESTION_CHARS], str(a)[:MAX_QUESTION_CHARS]) for q, a in history][-turns:] if turns else []
    while kept and sum(count_tokens(q) + count_tokens(a) for q, a in kept) > max_tokens:
        kept.pop(0)
    return kept


class Assistant:
    """Holds the models and the index; answers one question at a time through the LLM."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 llm: LLM | None = None, store: Store | None = None):
        self.settings = settings
        self.embedder = embedder or Embedder.from_settings(settings)
        self.store = store or Store.load(settings.index_dir, open_engine(settings, self.embedder.id["dim"]))
        self.store.check_compatible(self.embedder.id, chunker_settings(settings))
        self._llm = llm
        self._llm_lock = threading.Lock()  # one answer at a time through the LLM
        self._load_lock = threading.Lock()  # the LLM is made once, by the warm-up or a first question
        self.ready = threading.Event()  # set when the warm-up is done (the UI says it is warming up until then)
        # Passage sentences embedded for the claim check, by (headline, sentence): a passage
        # retrieved again costs nothing the second time (about 0.3 s a sentence the first).
        self._sentence_vectors: dict[tuple[str, str], np.ndarray] = {}
        self.retriever = Retriever(self.store, self.embedder, Fusion.from_settings(settings))
        # What a sentence needs to be shown, by language, for the way the LLM reads the passages
        # (their closest sentences, or whole with RAG_EVIDENCE_TOKENS=0).
        self.policies = verify.policies(bool(settings.evidence_tokens))
        self.priority = AnswersFirst()  # an upload in this process yields to answers
        self.draft_stats: dict = {}  # the LLM's tokens and seconds for the last answer's draft (benchmarks)

    @property
    def llm_name(self) -> str:
        """The LLM as the UI names it, without loading it."""
        if self._llm is not None:
            return self._llm.name
        if self.settings.llm_url:
            from rag.llm.openai_compat import without_credentials

            return f"{self.settings.llm_model or 'model'} ({without_credentials(self.settings.llm_url)})"
        return self.settings.llm.name

    @property
    def llm(self) -> LLM:
        """The LLM (rag.llm.load), made on first use: the in-process model loads in seconds."""
        with self._load_lock:
            if self._llm is None:
                self._llm = load_llm(self.settings)
        return self._llm

    def warm_up(self) -> None:
        """Load the LLM and each language's fixed prompt prefix (from the model cache where `rag
        setup` saved it, else computed: about 10 s on two cores), so that no user's first
        question waits for them."""
        try:
            with self._llm_lock:
                for fixed in fixed_prefixes(self.settings):
                    self.llm.prepare(fixed)
        except LLMError as exc:  # said here once; each question says it again
            print(f"warning: {exc}", file=sys.stderr)
        finally:
            self.ready.set()

    def reload_index(self) -> None:
        store = Store.load(self.settings.index_dir, open_engine(self.settings, self.embedder.id["dim"]))
        store.check_compatible(self.embedder.id, chunker_settings(self.settings))
        self.store, self.retriever = store, Retriever(store, self.embedder, self.retriever.fusion)

    def ask(self, question: str, history: list[tuple[str, str]] = (), top_k: int | None = None,
            where: ChunkFilter | None = None) -> Answer:
        *_, answer = self.stream(question, history, top_k, where)
        return answer

    def stream(self, question: str, history: list[tuple[str, str]] = (),
               top_k: int | None = None, where: ChunkFilter | None = None) -> Iterator[str | Answer]:
        """Yield the answer text piece by piece as the LLM writes it, then the checked Answer.
        `where` (rag.filters): only the articles it allows answer. An upload embedding in this
        process waits meanwhile (rag.priority)."""
        with self.priority.answering():
            yield from self._stream(question, history, top_k, where)

    def _stream(self, question, history, top_k, where) -> Iterator[str | Answer]:
        started = time.perf_counter()
        question = clean_question(question)
        history = trim_history(history, self.embedder.count_tokens)
        lang = language(question)
        retriever = self.retriever  # one index for the whole answer, even if an upload swaps it
        retrieval = retriever.retrieve(search_query(question, history), top_k or self.settings.top_k,
                                       budget_tokens=self.settings.passage_tokens,
                                       passages_per_article=self.settings.passages_per_article, where=where)
        timings = {"retrieval": time.perf_counter() - started}
        retrieved = ranked_json(retrieval.ranked)
        answer = Answer(question, lang, "", refused=False, retrieved=retrieved,
                        passages=retrieval.passages, timings=timings, filters=describe_filter(where))

        if not grounding.passes_gate(retrieval.best_score):
            answer.answer, answer.refused, answer.gated = refusal(lang), True, True
            timings["first_token"] = time.perf_counter() - started
            answer.closest = self.closest(question, retrieval.passages)
            timings["total"] = time.perf_counter() - started
            yield answer.answer
            yield answer
            return

        sentences_read, retrieved = bool(self.settings.evidence_tokens), retrieval
        pieces: list[str] = []
        with self._llm_lock:
            # The checks weigh every retrieved passage, the unread too (rag.condense).
            messages, checked_passages, history = self._prompt(question, history, retrieval, lang, sentences_read)
            retrieval = retrieval.with_passages(checked_passages)
            answer.passages = retrieval.passages
            answer.retried = yield from self._draft(messages, lang, timings, started, retrieval.best_score, pieces)
            self.draft_stats = dict(getattr(self.llm, "last_stats", None) or {})
        text = "".join(pieces).strip()
        checking = time.perf_counter()
        drafted = self.check(answer, text or refusal(lang), retrieval, question, history,
                             self.draft_stats.get("logprobs"))
        timings["check"] = time.perf_counter() - checking
        policy = self.policies[lang]
        if policy.agree_min is not None and any(v.shown for v in answer.sentences):
            # What would be shown is drafted again from the passages read the other way; a
            # sentence whose added words that draft does not say is withheld (rag.verify.agreement).
            second = time.perf_counter()
            with self._llm_lock:
                messages, _, _ = self._prompt(question, history, retrieved, lang, not sentences_read)
                other: list[str] = []
                for _ in self._draft(messages, lang, {}, second, retrieval.best_score, other):
                    pass
            answer.second_draft = "".join(other).strip()
            verify.cross_check(answer.sentences, question, answer.second_draft, policy)
            self.settle(answer, drafted, retrieval, question)
            timings["second_draft"] = time.perf_counter() - second
        timings["total"] = time.perf_counter() - started
        timings.setdefault("first_token", timings["total"])
        yield answer

    def _prompt(self, question: str, history, retrieval: Retrieval, lang: str, sentences_read: bool):
        """(the prompt's messages, every retrieved passage numbered as the prompt does, the history
        kept): the passages whole under their headlines, or only their sentences closest to the
        question (rag.condense) and those it reads nothing of after them, so its [n] hold."""
        unread: list[Passage] = []
        if sentences_read:
            retrieval, unread = self._condensed(question, history, retrieval)
        messages, retrieval, history = self._fit(question, retrieval, lang, history, headlines=not sentences_read)
        return messages, retrieval.passages + unread, history

    def _draft(self, messages: list[dict], lang: str, timings: dict, started: float, best_score: float,
               pieces: list[str]) -> Iterator[str]:
        """The LLM's draft piece by piece, each also added to `pieces`; returns whether it was
        asked a second time: a model that refuses though the evidence is as strong as for
        questions the articles do answer is made to start an answer, which the checks judge."""
        for piece in self._generate(messages, lang, timings, started):
            pieces.append(piece)
            yield piece
        if "".join(pieces).strip() or not grounding.worth_a_second_try(best_score):
            return False
        for piece in self._generate(messages, lang, timings, started, start=answer_start(lang)):
            pieces.append(piece)
            yield piece
        return True

    def _condensed(self, question: str, history, retrieval: Retrieval) -> tuple[Retrieval, list[Passage]]:
        """The passages the LLM reads, with what it reads of each (their sentences closest to
        the question, rag.condense), and those it reads nothing of; the claim check later finds
        those sentences' vectors cached."""
        passages, vector = retrieval.passages, retrieval.query_vector  # the retriever's: the same query
        if history:
            # A follow-up's sentences are chosen by its own words, and by its vector beside the
            # search query's (which holds the question before): by the search query alone the
            # LLM read what the first question asked about, and said it again
            # (bench/follow_up_reading.py; docs/experiments.md, 2026-12-06).
            vector = vector + self.embedder.encode_query([question])[0]
            vector = vector / np.linalg.norm(vector)
        read, unread = condense.select(
            passages, question, vector, lambda evidence: self._embed_evidence(passages, evidence),
            self.embedder.count_tokens, self.settings.evidence_tokens)
        return retrieval.with_passages(read), unread

    def _fit(self, question: str, retrieval: Retrieval, lang: str, history: list[tuple[str, str]],
             headlines: bool | None = None):
        """The prompt's messages within the LLM's context, room left for the answer: the oldest
        turns of the conversation go first, then the weakest passages; QuestionError when even
        the question with its best passage does not fit."""
        room = self.settings.context_tokens - self.settings.max_answer_tokens - 32  # 32: a second try's start
        headlines = self.settings.headlines if headlines is None else headlines
        passages = list(retrieval.passages)
        while True:
            messages = build_messages(question, passages, lang, history, headlines)
            used = self.llm.prompt_tokens(messages)
            if used <= room:
                return messages, retrieval.with_passages(passages), history
            if history:
                history = history[1:]
            elif len(passages) > 1:
                passages = passages[:-1]
            else:
                raise QuestionError(
                    f"The question and its sources take {used} tokens, more than the model's context "
                    f"({self.settings.context_tokens}) allows with room for an answer; ask a shorter question "
                    f"or set a larger context_tokens (RAG_CONTEXT_TOKENS). / السؤال ومصادره أطول مما يتسع له النموذج.")

    def _generate(self, messages: list[dict], lang: str, timings: dict, started: float,
                  start: str = "") -> Iterator[str]:
        """The LLM's answer piece by piece, except a plain refusal: that is held back and
        yields nothing, so a second try does not appear after it."""
        held, refusing = "", refusal(lang)
        fixed = len(fixed_messages(lang))
        for piece in self.llm.stream(messages, self.settings.max_answer_tokens, start, fixed):
            if held is None:
                yield piece
                continue
            held += piece
            if not refusing.startswith(held.lstrip()):
                timings.setdefault("first_token", time.perf_counter() - started)
                yield held
                held = None
        if held is not None and held.strip() != refusing:
            timings.setdefault("first_token", time.perf_counter() - started)
            yield held

    def _embed_evidence(self, passages: list[Passage], evidence: list[Evidence]) -> np.ndarray:
        keys = [(passages[e.n - 1].title, e.text) for e in evidence]
        known = {k: self._sentence_vectors.get(k) for k in keys}
        new = [k for k, v in known.items() if v is None]
        if new:
            known.update(zip(new, self.embedder.encode_documents([t for _, t in new], [h for h, _ in new])))
            if len(self._sentence_vectors) + len(new) > SENTENCE_CACHE:
                self._sentence_vectors = {}
            self._sentence_vectors.update((k, known[k]) for k in new)
        return np.array([known[k] for k in keys])

    def closest(self, question: str, passages: list[Passage]) -> list[Citation]:
        """The CLOSEST best passages, each with its sentence nearest the question marked: what is
        shown instead of an answer, for the user to read."""
        passages = passages[:CLOSEST]
        evidence = claims.evidence_sentences(passages)
        if not evidence:
            return []
        similarity = self._embed_evidence(passages, evidence) @ self.embedder.encode_query([question])[0]
        best: dict[int, int] = {}
        for j, e in enumerate(evidence):
            if e.n not in best or similarity[j] > similarity[best[e.n]]:
                best[e.n] = j
        return [self.citation(n, p, evidence[best[n]]) for n, p in enumerate(passages, 1) if n in best]

    def citation(self, n: int, passage: Passage, quote: Evidence) -> Citation:
        """Passage n with its quote, and its article's outlet, date, link, author and page."""
        meta = Metadata.from_json(self.store.articles.get(passage.article_id, {}))
        return Citation(n, passage.article_id, passage.title, passage.text, passage.start, passage.end,
                        quote.text, quote.start, quote.end, source=meta.source, date=meta.date, url=meta.url,
                        author=meta.author, page=meta.page_at(quote.start))

    def check(self, answer: Answer, text: str, retrieval: Retrieval, question: str,
              history: list[tuple[str, str]] = (), logprobs: list[tuple[str, float]] | None = None) -> list:
        """Refusal detection, the claim check (rag.claims), then the verifier (rag.verify) on the
        finished draft (`logprobs`: its tokens' log-probabilities, where the LLM gives them): only
        the sentences it confirms are the answer. Returns the claim check's claims (none for a
        refusal), for `settle` to make the answer again after a change of verdicts."""
        passages = retrieval.passages
        answer.draft = text
        if grounding.is_refusal(text, refusal(answer.lang)):
            answer.answer, answer.refused = refusal(answer.lang), True
            answer.closest = self.closest(question, passages)
            return []
        checked = claims.check(grounding.clean_citations(text, len(passages)), passages, question,
                               self.embedder.encode_query, lambda e: self._embed_evidence(passages, e), history)
        answer.supported, answer.unsupported = checked.supported, checked.unsupported
        answer.sentences = verify.judge(checked.claims, passages, question, self.policies[answer.lang],
                                        verify.word_logprobs(logprobs))
        self.settle(answer, checked.claims, retrieval, question)
        return checked.claims

    def settle(self, answer: Answer, drafted: list, retrieval: Retrieval, question: str) -> None:
        """The answer made of the drafted claims the verifier shows (answer.sentences, in the
        claims' order), with their citations; with none, the "not stated directly" sentence and
        the closest passages."""
        passages = retrieval.passages
        shown = {id(c) for c, v in zip(drafted, answer.sentences) if v.shown}
        verified = claims.assemble(drafted, keep=lambda c: id(c) in shown)
        answer.citations = []
        if not verified.text:  # nothing the draft states is confirmed by the passages
            answer.answer, answer.refused, answer.withheld = withheld(answer.lang), True, True
            answer.closest = self.closest(question, passages)
            return
        answer.answer = verified.text
        for n in grounding.cited_numbers(verified.text):
            answer.citations.append(self.citation(n, passages[n - 1], verified.quotes[n]))
