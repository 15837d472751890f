from rag import grounding


EN, AR = "The articles do not say.", "لا تذكر المقالات ذلك."


def test_refusals_in_any_wording_are_recognised():
    assert grounding.is_refusal("The articles do not say.", EN)
    assert grounding.is_refusal("Sorry, the sources do not mention his age.", EN)
    assert grounding.is_refusal("لا تذكر المقالات ذلك.", AR)
    assert grounding.is_refusal("", AR)
    assert not grounding.is_refusal("Peskov said the center is open to all [1].", EN)


def test_citation_markers_are_parsed_and_dangling_ones_dropped():
    assert grounding.cited_numbers("A [2]. B [1, 3]. C [2]") == [2, 1, 3]
    assert grounding.clean_citations("A [2]. B [7]. C [1, 9]", 3) == "A [2]. B. C [1]"


def test_answer_sentences_keep_a_trailing_marker_with_its_sentence():
    assert grounding.answer_sentences("He met Lavrov. [2] Then he left [1].") == ["He met Lavrov. [2]", "Then he left [1]."]


def test_gate():
    assert not grounding.passes_gate(0.1)
    assert grounding.passes_gate(grounding.GATE)
