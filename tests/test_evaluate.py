"""`rag eval`'s scoring without models: gold spans after Arabic normalization, and the trust
metrics (precision among answers shown, coverage of the answerable)."""

from rag.evaluate import Question, span_scores, summarize, score, wilson


def result(answer: str, refused: bool = False) -> dict:
    return {"answer": answer, "refused": refused, "retrieved": [], "citations": []}


def test_gold_spans_are_matched_word_by_word_after_normalization():
    recall, f1 = span_scores("قال إنَّ الرئيسَ سيزور باريس [1].", ["الرئيس سيزور باريس"])
    assert recall == 1.0 and 0.5 < f1 < 1.0
    assert span_scores("The answer is 1990 [2].", ["1990"])[0] == 1.0
    assert span_scores("It opened in 1991 [1].", ["1990"]) == (0.0, 0.0)
    assert span_scores("The Broncos won [1].", ["Denver Broncos", "Broncos"])[0] == 1.0  # any gold counts
    assert span_scores("Kerry [1]", ["1"]) == (0.0, 0.0)  # a citation marker is not the number 1
    assert span_scores("20 إلى 1 [1].", ["20 إلى 1"])[0] == 1.0  # but the number 1 beside one is
    assert span_scores("13000 BP [1].", ["13,000 BP"])[0] == 1.0  # thousands separators aside
    assert span_scores("about 7,000,000 km2", ["7000000"])[0] == 1.0
    assert span_scores("a product of prime numbers [1]", ["primes"])[0] == 1.0  # stemmed


def test_precision_counts_answers_shown_and_coverage_the_answerable():
    questions = [Question("a", "q", "en", True, gold=["Denver Broncos"]),
                 Question("b", "q", "en", True, gold=["1990"]),
                 Question("c", "q", "en", True, gold=["Paris"]),
                 Question("d", "q", "en", False)]
    results = [result("The Denver Broncos won [1]."), result("In 1991 [1]."), result("", refused=True),
               result("Something invented [1].")]
    results = [{**r, **score(q, r)} for q, r in zip(questions, results)]
    summary = summarize(questions, results)
    assert [r["correct"] for r in results] == [True, False, False, False]
    assert summary["answers_shown"] == 3
    assert summary["precision"] == round(1 / 3, 4)  # one right of three shown
    assert summary["precision_95"] == wilson(1, 3) and summary["precision_95"][0] < 1 / 3 < summary["precision_95"][1]
    assert summary["coverage"] == round(1 / 3, 4)  # one right of three answerable
    assert summary["refusal_accuracy"] == 0.0


def test_precision_comes_with_its_interval_which_narrows_with_more_answers():
    assert wilson(26, 31) == [0.6737, 0.9291]  # the roots of (26/31 - p)² = 1.96² p(1 - p) / 31
    assert wilson(0, 0) is None
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0
    few, many = wilson(8, 10), wilson(80, 100)
    assert few[0] < many[0] < 0.8 < many[1] < few[1]
