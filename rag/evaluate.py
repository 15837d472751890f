"""Question sets (JSONL) and the metrics reported by `rag eval`."""

from __future__ import annotations

import json
import math
import re
import statistics
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from rag.arabic import THOUSANDS, language, normalize
from rag.grounding import CITATION
from rag.lexical import stem
from rag.verify import POLICIES, Policy, Signals


@dataclass
class Question:
    id: str
    question: str
    lang: str
    answerable: bool
    history: list[tuple[str, str]] = field(default_factory=list)
    article: str | None = None  # id, or id prefix, of the article holding the answer
    any_of: list[list[str]] = field(default_factory=list)  # every group needs one keyword
    gold: list[str] = field(default_factory=list)  # gold answer spans (XQuAD-style sets), any one counts

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
                article=row.get("article"), any_of=row.get("any_of", []), gold=row.get("gold", [])))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{lineno}: not a valid question ({exc})") from None
    return questions


def keywords_match(answer: str, any_of: list[list[str]]) -> bool:
    text = normalize(answer)
    return all(any(normalize(k) in text for k in group) for group in any_of)


# A gold span counts as found when this share of its words is in the answer (after Arabic
# normalization and stemming): a span of one to four words must be there whole, a longer one nearly so.
SPAN_RECALL_RIGHT = 0.8


def _span_words(text: str) -> list[str]:
    """Normalized, stemmed words (rag.lexical.stem: "primes" is "prime"), a
    number's thousands separators dropped ("13,000" is one word, 13000)."""
    return [stem(w) for w in normalize(THOUSANDS.sub("", text)).split()]


def span_scores(answer: str, gold: list[str]) -> tuple[float, float]:
    """(token recall, token F1) of the best-matching gold span against the answer, after Arabic
    normalization; citation markers are not words of the answer."""
    words = _span_words(CITATION.sub(" ", answer))
    best = (0.0, 0.0)
    for span in gold:
        span_words = _span_words(span)
        if not span_words or not words:
            continue
        remaining = list(words)
        common = 0
        for w in span_words:
            if w in remaining:
                remaining.remove(w)
                common += 1
        recall = common / len(span_words)
        precision = common / len(words)
        f1 = 2 * precision * recall / (precision + recall) if common else 0.0
        best = max(best, (recall, f1))
    return best


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
            shown = not result["refused"]
            if question.gold:
                recall, f1 = span_scores(result["answer"], question.gold) if shown else (0.0, 0.0)
                verdict.update(span_recall=round(recall, 4), span_f1=round(f1, 4))
            if question.any_of or not question.gold:
                verdict["correct"] = shown and keywords_match(result["answer"], question.any_of)
            else:
                verdict["correct"] = shown and recall >= SPAN_RECALL_RIGHT
            if question.article and shown:
                cited = [c["article_id"] for c in result["citations"]]
                verdict["cited"] = len(cited)
                verdict["cited_right"] = sum(question.is_from_article(a) for a in cited)
        else:
            verdict["correct"] = bool(result["refused"])
    return verdict


def _mean(values) -> float | None:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else None


def wilson(right: int, shown: int, z: float = 1.96) -> list[float] | None:
    """The 95 % (z = 1.96) Wilson score interval of a share `right` / `shown`: precision on a
    few dozen answers shown is loose (26 of 31 right: 0.67-0.93), and a change of one or two
    answers is inside it."""
    if not shown:
        return None
    share, spread = right / shown, z * z / shown
    centre = (share + spread / 2) / (1 + spread)
    half = z * math.sqrt(share * (1 - share) / shown + spread / (4 * shown)) / (1 + spread)
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def summarize(questions: list[Question], results: list[dict]) -> dict:
    pairs = list(zip(questions, results))
    answerable = [r for q, r in pairs if q.answerable and "correct" in r]
    unanswerable = [r for q, r in pairs if not q.answerable and "correct" in r]
    with_article = [r for q, r in pairs if q.article]
    cited = sum(r.get("cited", 0) for r in results)
    sentences = sum(r.get("supported", 0) + r.get("unsupported", 0) for r in results)
    first_tokens = [r["timings"]["first_token"] for r in results if r.get("timings", {}).get("first_token")]
    shown = [(q, r) for q, r in pairs if "correct" in r and not r.get("refused")]
    right_shown = [bool(q.answerable and r["correct"]) for q, r in shown]
    summary = {
        "summary": True,
        "questions": len(questions),
        "answer_accuracy": _mean(r["correct"] for r in answerable),
        "refusal_accuracy": _mean(r["correct"] for r in unanswerable),
        # trust: right among the answers shown (an answer to an unanswerable question is wrong),
        # and right answers among the answerable questions
        "precision": _mean(right_shown),
        "precision_95": wilson(sum(right_shown), len(shown)),
        "coverage": _mean(r["correct"] for r in answerable),
        "answers_shown": len(shown),
        "withheld": sum(bool(r.get("withheld")) for r in results),  # drafted, but nothing verified
        "span_recall": _mean(r["span_recall"] for r in answerable if "span_recall" in r),
        "span_f1": _mean(r["span_f1"] for r in answerable if "span_f1" in r),
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
    # The first verified token comes when the draft is finished and checked: the total.
    for name, key in (("median_total_s", "total"), ("median_check_s", "check")):
        values = [r["timings"][key] for r in results if r.get("timings", {}).get(key) is not None]
        if values:
            summary[name] = round(statistics.median(values), 3)
    return summary


def run(questions: list[Question], answer: Callable[[Question], dict],
        on_result: Callable[[dict], None] | None = None, policies: dict[str, Policy] = POLICIES) -> dict:
    """Answer every question with `answer(question) -> ask --json dict`; return the summary,
    with the precision-coverage curve where the answers carry the verifier's verdicts (the
    support threshold of `policies`, the ones the answers were judged by, moved)."""
    results = []
    for question in questions:
        result = answer(question)
        result = {"id": question.id, **result, **score(question, result)}
        results.append(result)
        if on_result:
            on_result(result)
    summary = summarize(questions, results)
    if any(r.get("sentences") for r in results):
        summary["curve"] = curve(questions, results, policies)
    return summary


def replay(result: dict, policy: Policy) -> dict:
    """An `ask --json` result as another verifier policy would have left it: the same draft and
    signals, other sentences shown (those the claim check found no support for stay withheld)."""
    sentences = result.get("sentences") or []
    if not sentences:  # refused before or by the LLM: no policy changes that
        return result
    kept = [s["sentence"] for s in sentences
            if s.get("signals") and policy.verdict(Signals(**s["signals"])) == "shown"]
    return {**result, "answer": " ".join(kept), "refused": not kept, "citations": []}


def rescore(questions: list[Question], results: list[dict], policy: Policy | dict[str, Policy]) -> list[dict]:
    """Each result replayed under `policy` (or the policy of the language the answer path detects in
    its question, which a set's label may not be: an Arabic question of mostly Latin names reads
    as English) and scored again."""
    replayed = [replay(r, policy[language(q.question)] if isinstance(policy, dict) else policy)
                for q, r in zip(questions, results)]
    return [{**r, **score(q, r)} for q, r in zip(questions, replayed)]


# Support thresholds the precision-coverage curve is drawn at.
CURVE_THRESHOLDS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)


def curve(questions: list[Question], results: list[dict], policies: dict[str, Policy] = POLICIES,
          thresholds=CURVE_THRESHOLDS) -> list[dict]:
    """Precision, coverage and refusal accuracy as the abstention threshold (the support a
    sentence needs) moves, each language's other checks kept."""
    points = []
    for t in thresholds:
        moved = {lang: replace(policy, support_min=t) for lang, policy in policies.items()}
        s = summarize(questions, rescore(questions, results, moved))
        points.append({"support_min": t, "precision": s["precision"], "coverage": s["coverage"],
                       "refusal_accuracy": s["refusal_accuracy"], "answers_shown": s["answers_shown"]})
    return points
