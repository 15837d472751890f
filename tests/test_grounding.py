import numpy as np

from rag import grounding


def test_refusals_in_any_wording_are_recognised():
    assert grounding.is_refusal("The articles do not say.", "en")
    assert grounding.is_refusal("Sorry, the sources do not mention his age.", "en")
    assert grounding.is_refusal("لا تذكر المقالات ذلك.", "ar")
    assert grounding.is_refusal("", "ar")
    assert not grounding.is_refusal("Peskov said the center is open to all [1].", "en")


def test_citation_markers_are_parsed_and_dangling_ones_dropped():
    assert grounding.cited_numbers("A [2]. B [1, 3]. C [2]") == [2, 1, 3]
    assert grounding.clean_citations("A [2]. B [7]. C [1, 9]", 3) == "A [2]. B. C [1]"


def test_answer_sentences_keep_a_trailing_marker_with_its_sentence():
    assert grounding.answer_sentences("He met Lavrov. [2] Then he left [1].") == ["He met Lavrov. [2]", "Then he left [1]."]


def test_citations_are_repaired_sentence_by_sentence():
    sentences = ["He met Lavrov.", "The center is open [1].", "Assad must leave [2].", "Both agree [1] [3]."]
    similarity = np.array([
        [0.2, 0.6, 0.1],   # no marker: gets the closest passage
        [0.7, 0.3, 0.2],   # right marker: kept
        [0.6, 0.3, 0.1],   # wrong marker, clearly less close: replaced
        [0.50, 0.1, 0.52],  # two markers within the margin: both kept
    ])
    assert grounding.repair_citations(sentences, similarity) == (
        "He met Lavrov [2]. The center is open [1]. Assad must leave [1]. Both agree [1] [3].")


def test_sentences_with_numbers_the_sources_lack_are_dropped():
    evidence = "وقال بيسكوف للصحفيين يوم الثلاثاء 29 سبتمبر/أيلول"
    answer = "Peskov spoke to journalists on 29 September [1]. John Kerry is 69 years old [1]."
    assert grounding.sentences_with_support(answer, evidence) == ["Peskov spoke to journalists on 29 September [1]."]
    assert grounding.unsupported_numbers("في ٢٩ سبتمبر [1]", evidence) == []  # Arabic-Indic digits
    assert grounding.sentences_with_support("Brent was $71 a barrel [2].", evidence) == []
    assert grounding.sentences_with_support("He was born in 1967. [2]", evidence) == []  # no lone "[2]" left


def test_gate():
    assert not grounding.passes_gate(0.1)
    assert grounding.passes_gate(grounding.GATE)
