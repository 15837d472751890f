"""The seed question set with the real models. The floors are the levels this pipeline is
measured at (README, "Quality today"), less a small margin; a drop below them is a regression."""

import json
import subprocess
import sys

from conftest import DATA
from rag.config import REPO_ROOT
from rag.evaluate import keywords_match, load_questions, run

QUESTIONS = DATA / "seed_questions.jsonl"


def test_seed_question_set_is_complete():
    questions = load_questions(QUESTIONS)
    assert len(questions) >= 40
    assert {q.lang for q in questions} == {"ar", "en"}
    assert sum(not q.answerable for q in questions) >= 8
    assert sum(bool(q.history) for q in questions) >= 6
    assert sum(q.lang == "en" and q.answerable for q in questions) >= 10  # cross-lingual
    # An answer that only restates its question must not pass ("depart" once matched the
    # question's own "State Department").
    restating = [q.id for q in questions if q.answerable and keywords_match(q.question, q.any_of)]
    assert not restating


def test_keyword_matching_normalizes_arabic():
    assert keywords_match("قال إنَّ على الأسد الرحيلَ", [["الرحيل"]])
    assert keywords_match("Josh EARNEST said", [["earnest"], ["josh", "جوش"]])
    assert not keywords_match("Josh said", [["earnest"], ["josh"]])


def test_seed_set_meets_its_floors(assistant):
    questions = load_questions(QUESTIONS)
    results = []
    summary = run(questions, lambda q: assistant.ask(q.question, q.history).to_json(), results.append,
                  assistant.policies)
    print(json.dumps(summary))
    # Measured (README, "Quality today", 2026-12-05: the closest sentences read, a second draft
    # from the whole passages that must agree): precision 1.0 (11 of 11 answers shown right),
    # refusal 1.0 (11 of 11), coverage 0.28 (11 of 39), hit@1 and hit@5 1.0. Greedy decoding
    # still varies a little with llama.cpp's prompt cache state, so the floors sit a question or
    # more under: one wrong answer among a dozen shown passes, two do not.
    assert summary["hit@5"] >= 0.95
    assert summary["hit@1"] >= 0.95
    assert summary["precision"] >= 0.9
    assert summary["refusal_accuracy"] >= 0.9
    assert summary["coverage"] >= 0.23
    assert summary["citation_precision"] >= 0.9
    assert summary["sentences_supported"] >= 0.8
    # the curve: raising the support a sentence needs never shows more answers; its first point
    # (0.35, under the Arabic policy's 0.65) shows at least what the policies in force show
    shown = [point["answers_shown"] for point in summary["curve"]]
    assert shown == sorted(shown, reverse=True) and shown[0] >= summary["answers_shown"] > shown[-1]
    assert all(r["timings"]["first_token"] <= r["timings"]["total"] for r in results)


def test_cli_eval_retrieval_only_json(seed_index):
    result = subprocess.run(
        [sys.executable, "-m", "rag.cli", "eval", str(QUESTIONS), "--retrieval-only", "--json",
         "--index", str(seed_index.index_dir)], capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(load_questions(QUESTIONS)) + 1
    summary = rows[-1]
    assert summary["summary"] and summary["hit@5"] >= 0.95 and summary["mrr@10"] >= 0.9

