"""What the LLM reads of the passages (rag.condense): the sentences closest to the question within
a token budget, with the sentence a pronoun leans on; the passages shown stay whole."""

import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from fake_llm import FakeLLM, sources_of  # noqa: E402

from rag.chat import Assistant  # noqa: E402
from rag.condense import GAP, leans_on_previous, select  # noqa: E402
from rag.types import Passage  # noqa: E402

# Each sentence's similarity to the question, by its first word (the "vectors" are 1-d).
CLOSENESS = {"Alpha": 0.9, "Beta": 0.2, "He": 0.8, "Gamma": 0.1, "Delta": 0.5, "Epsilon": 0.3}


QUESTION = "Which?"  # no term in common with the sentences: closeness is the cosine alone


def vectors(evidence):
    return np.array([[CLOSENESS[e.text.split()[0]]] for e in evidence])


def words(text: str) -> int:
    return len(text.split())


def passage(text: str, article: str = "a", start: int = 100) -> Passage:
    return Passage(article, f"headline {article}", start, start + len(text), text, 0.5)


def test_the_closest_sentences_are_read_in_article_order_within_the_budget():
    first = passage("Gamma one two. Alpha one two three. Beta one two.")
    second = passage("Delta one two three. Epsilon one.", article="b")
    chosen, _ = select([first, second], QUESTION, np.array([1.0]), vectors, words, budget=8)
    assert [p.prompt_text for p in chosen] == ["Alpha one two three.", "Delta one two three."]
    assert chosen[0].text == first.text and chosen[0].start == first.start  # the passage stays whole


def test_a_passage_with_no_chosen_sentence_is_left_out_and_the_closest_is_always_read():
    first = passage("Gamma one two. Beta one two.")
    second = passage("Alpha " + "word " * 30 + "end.", article="b")
    chosen, _ = select([first, second], QUESTION, np.array([1.0]), vectors, words, budget=5)
    assert [p.article_id for p in chosen] == ["b"]  # over the budget alone, yet the closest
    assert select([first, second], QUESTION, np.array([1.0]), vectors, words, budget=5)[1] == [first]


def test_a_sentence_that_leans_on_the_one_before_brings_it_and_gaps_are_marked():
    text = "Gamma one two three. Delta one two three. He said it twice. Beta one two three. Alpha one two three."
    chosen, _ = select([passage(text)], QUESTION, np.array([1.0]), vectors, words, budget=12)
    assert chosen[0].prompt_text == f"Delta one two three. He said it twice.{GAP}Alpha one two three."
    assert leans_on_previous("وأضاف أنه سيزور موسكو") and leans_on_previous("He added that")
    assert not leans_on_previous("Peskov said") and not leans_on_previous("وقال بيسكوف")


def test_a_sentence_holding_the_questions_words_outranks_a_slightly_closer_one():
    text = "Delta one two three. Epsilon ratified the treaty."
    assert select([passage(text)], "Which treaty was ratified?", np.array([1.0]), vectors, words,
                  budget=4)[0][0].prompt_text == "Epsilon ratified the treaty."
    assert select([passage(text)], QUESTION, np.array([1.0]), vectors, words,
                  budget=4)[0][0].prompt_text == "Delta one two three."


def test_no_budget_leaves_the_passages_as_they_are():
    first = passage("Gamma one two. Alpha one.")
    assert select([first], QUESTION, np.array([1.0]), vectors, words, budget=0) == ([first], [])


def test_the_llm_reads_the_sentences_and_the_citation_shows_the_whole_passage(seed_index, embedder):
    kerry = "وأضاف كيري أنه ينوي لقاء نظيره الروسي سيرغي لافروف الأربعاء"
    llm = FakeLLM([f"{kerry} [1]."])
    settings = dataclasses.replace(seed_index, evidence_tokens=40)
    assistant = Assistant(settings, embedder=embedder, llm=llm)
    answer = assistant.ask("من سيلتقي كيري يوم الأربعاء؟")
    read = sources_of(llm.calls[0]["messages"])
    whole = Assistant(dataclasses.replace(seed_index, evidence_tokens=0), embedder=embedder, llm=FakeLLM(["x"]))
    whole.ask("من سيلتقي كيري يوم الأربعاء؟")
    assert kerry in read and len(read) < 0.7 * len(sources_of(whole.llm.calls[0]["messages"]))
    assert answer.passages[0].title not in read and answer.passages[0].title in sources_of(whole.llm.calls[0]["messages"])
    assert not answer.refused and "لافروف" in answer.citations[0].quote
    assert len(answer.citations[0].text) > len(answer.citations[0].quote)  # shown whole


def test_sources_carry_headlines_only_when_read_whole():
    from rag.prompts import format_sources

    read = [passage("One two three four."), dataclasses.replace(passage("Five six seven."), prompt_text="Six.")]
    assert format_sources(read).count("headline a") == 2
    assert format_sources(read, headlines=False) == "[1]\nOne two three four.\n\n[2]\nSix."


def test_the_question_is_embedded_once_an_answer_when_sentences_are_read(seed_index, embedder, monkeypatch):
    # The retriever's query vector is the one rag.condense ranks the sentences with.
    calls = []
    encode = embedder.encode_query
    monkeypatch.setattr(embedder, "encode_query", lambda texts: calls.append(list(texts)) or encode(texts))
    settings = dataclasses.replace(seed_index, evidence_tokens=40)
    assistant = Assistant(settings, embedder=embedder, llm=FakeLLM(["وأضاف كيري أنه ينوي لقاء لافروف [1]."]))
    assistant.ask("من سيلتقي كيري يوم الأربعاء؟")
    assert sum("من سيلتقي كيري يوم الأربعاء؟" in texts for texts in calls) == 1  # (the claim check embeds the answer)


def test_a_follow_up_on_another_subject_reads_the_sentences_of_its_own(seed_index, embedder):
    # Chosen by the search query alone (the question before and the follow-up), the sentences
    # were those about the Baghdad center again, and the model repeated its first answer.
    llm = FakeLLM(["x"])
    assistant = Assistant(dataclasses.replace(seed_index, evidence_tokens=40), embedder=embedder, llm=llm)
    history = [("ماذا قال بيسكوف عن مركز المعلومات في بغداد؟",
                "قال بيسكوف إن المركز يضم ممثلين عن هيئات الأركان في الدول الأربع [1].")]
    assistant.ask("وماذا قال عن عزلة روسيا؟", history)
    assert "عزلة روسيا\" غير واقعي" in sources_of(llm.calls[0]["messages"])
