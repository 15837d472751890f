"""Question sets (JSONL) and the metrics reported by `rag eval`."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rag.arabic import normalize


@dataclass
class Question:
    id: str
    question: str
    lang: str
    answerable: bool
    history: list[tuple[str, str]] = field(default_factory=list)
    article: str | None = None  # id, or id prefix, of the article holding the answer
    any_of: list[list[str]] = field(default_factory=list)  # every group needs one keyword

    def is_from_article(self, article_id: str) -> bool:
        return self.article is not None and article_id.startswith(self.article)


def load_questions(path: Path) -> list[Question]:
    questions = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(Question(
                id=str(row["id"]), question=row["question"], lang=row["lang"],
                answerable=bool(row["answerable"]), history=[tuple(t) for t in row.get("history", [])],
                article=row.get("article"), any_of=row.get("any_of", [])))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{lineno}: not a valid question ({exc})") from None
    return questions


def keywords_match(answer: str, any_of: list[list[str]]) -> bool:
    text = normalize(answer)
    return all(any(normalize(k) in text for k in group) for group in any_of)


def retrieval_ranks(question: Question, retrieved: list[dict]) -> int | None:
    """1-based rank of the first retrieved chunk from the question's article."""
    for rank, hit in enumerate(retrieved, 1):
        if question.is_from_article(hit["article_id"]):
            return rank
    return None


def score(question: Question, result: dict) -> dict:
    """Per-question verdicts added to an `ask --json` result."""
    verdict = {}
    if question.article:
        rank = retrieval_ranks(question, result["retrieved"])
        verdict.update(rank=rank, hit1=rank == 1, hit5=rank is not None and rank <= 5,
                       rr10=1 / rank if rank and rank <= 10 else 0.0)
    if "answer" in result:
        if question.answerable:
            verdict["correct"] = not result["refused"] and keywords_match(result["answer"], question.any_of)
            if question.article and not result["refused"]:
                cited = [c["article_id"] for c in result["citations"]]
                verdict["cited"] = len(cited)
                verdict["cited_right"] = sum(question.is_from_article(a) for a in cited)
        else:
            verdict["correct"] = bool(result["refused"])
    return verdict


def _mean(values) -> float | None:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else None


def summarize(questions: list[Question], results: list[dict]) -> dict:
    pairs = list(zip(questions, results))
    answerable = [r for q, r in pairs if q.answerable and "correct" in r]
    unanswerable = [r for q, r in pairs if not q.answerable and "correct" in r]
    with_article = [r for q, r in pairs if q.article]
    cited = sum(r.get("cited", 0) for r in results)
    sentences = sum(r.get("supported", 0) + r.get("unsupported", 0) for r in results)
    first_tokens = [r["timings"]["first_token"] for r in results if r.get("timings", {}).get("first_token")]
    summary = {
        "summary": True,
        "questions": len(questions),
        "answer_accuracy": _mean(r["correct"] for r in answerable),
        "refusal_accuracy": _mean(r["correct"] for r in unanswerable),
        "hit@1": _mean(r["hit1"] for r in with_article),
        "hit@5": _mean(r["hit5"] for r in with_article),
        "mrr@10": _mean(r["rr10"] for r in with_article),
        "citation_precision": round(sum(r.get("cited_right", 0) for r in results) / cited, 4) if cited else None,
        "sentences_supported": round(sum(r.get("supported", 0) for r in results) / sentences, 4) if sentences else None,
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }
    if first_tokens:
        summary["median_first_token_s"] = round(statistics.median(first_tokens), 3)
    return summary


def run(questions: list[Question], answer: Callable[[Question], dict],
        on_result: Callable[[dict], None] | None = None) -> dict:
    """Answer every question with `answer(question) -> ask --json dict`; return the summary."""
    results = []
    for question in questions:
        result = answer(question)
        result = {"id": question.id, **result, **score(question, result)}
        results.append(result)
        if on_result:
            on_result(result)
    return summarize(questions, results)
