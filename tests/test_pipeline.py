"""The answer pipeline around the LLM, with a scripted LLM (tests/fake_llm.py) and the real
embedder on the seed index: streaming, the evidence gate, the second try, the claim check,
follow-ups and the prompt budget. Seconds, no llama.cpp."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_llm import FakeLLM, sources_of  # noqa: E402

from rag.chat import Answer, Assistant, QuestionError  # noqa: E402
from rag.prompts import answer_start, refusal, withheld  # noqa: E402

KERRY = "وأضاف كيري أنه ينوي لقاء نظيره الروسي سيرغي لافروف الأربعاء"
QUESTION = "من سيلتقي كيري يوم الأربعاء؟"


def assistant_with(seed_index, embedder, answers) -> tuple[Assistant, FakeLLM]:
    llm = FakeLLM(answers)
    return Assistant(seed_index, embedder=embedder, llm=llm), llm


def test_the_answer_streams_piece_by_piece_then_comes_checked_with_its_citation(seed_index, embedder):
    assistant, llm = assistant_with(seed_index, embedder, [f"{KERRY} [1]."])
    pieces = list(assistant.stream(QUESTION))
    *streamed, answer = pieces
    assert isinstance(answer, Answer) and len(streamed) > 3 and all(isinstance(p, str) for p in streamed)
    assert "".join(streamed).strip() == answer.answer
    assert not answer.refused and answer.citations[0].article_id.startswith("000_")
    assert "لافروف" in answer.citations[0].quote
    assert KERRY in sources_of(llm.calls[0]["messages"])  # the passage was given to the model


def test_an_unsupported_sentence_is_dropped_and_a_wholly_unsupported_answer_refused(seed_index, embedder):
    invented = "وقال الرئيس الفرنسي إن باريس ستفتح سفارة جديدة في طوكيو العام المقبل [1]."
    assistant, _ = assistant_with(seed_index, embedder, [f"{KERRY} [1]. {invented}"])
    answer = assistant.ask(QUESTION)
    assert "لافروف" in answer.answer and "طوكيو" not in answer.answer
    assert (answer.supported, answer.unsupported) == (1, 1)
    assistant, _ = assistant_with(seed_index, embedder, [invented])
    answer = assistant.ask(QUESTION)
    assert answer.refused and answer.withheld and answer.answer == withheld("ar") and not answer.citations
    assert [v.verdict for v in answer.sentences] == ["not in the passages (طوكيو missing)"] or \
        answer.sentences[0].verdict.startswith("not in the passages")


def test_a_refusal_on_strong_evidence_gets_a_second_try_that_starts_the_answer(seed_index, embedder):
    assistant, llm = assistant_with(seed_index, embedder, [refusal("ar"), f" {KERRY} [1]."])
    *streamed, answer = assistant.stream(QUESTION)
    # the draft, its second try, then the second reading (rag.verify.agreement), which answers at once
    assert answer.retried and [call["start"] for call in llm.calls] == ["", answer_start("ar"), ""]
    assert refusal("ar") not in "".join(streamed)  # the held-back refusal is never shown
    assert "".join(streamed).startswith(answer_start("ar")) and not answer.refused


def test_weak_evidence_is_refused_before_the_llm(seed_index, embedder):
    assistant, llm = assistant_with(seed_index, embedder, ["should not be asked"])
    answer = assistant.ask("What is the boiling point of tungsten?")
    assert answer.gated and answer.refused and answer.answer == refusal("en") and llm.calls == []


def test_a_follow_up_is_asked_with_the_conversation(seed_index, embedder):
    assistant, llm = assistant_with(seed_index, embedder, [f"{KERRY} [1]."])
    history = [("ماذا قال كيري لقناة MSNBC؟", "قال كيري إن واشنطن وموسكو توصلتا إلى اتفاق [1].")]
    assistant.ask("ومن سيلتقي يوم الأربعاء؟", history)
    messages = llm.calls[0]["messages"]
    assert {"role": "user", "content": history[0][0]} in messages
    assert {"role": "assistant", "content": history[0][1]} in messages


def test_a_prompt_too_long_for_the_context_is_a_clear_question_error(seed_index, embedder):
    import dataclasses

    small = dataclasses.replace(seed_index, context_tokens=400)
    assistant = Assistant(small, embedder=embedder, llm=FakeLLM(["x"]))
    with pytest.raises(QuestionError, match="context"):
        assistant.ask(QUESTION)


def test_the_chat_streams_escaped_drafts_then_the_checked_answer_with_sources(seed_index, embedder):
    import app

    payload = ' <img src="http://127.0.0.1:9/x.png"> <b>bold</b>'
    assistant, llm = assistant_with(seed_index, embedder, [f"{KERRY} [1].{payload}"])
    history = [{"role": "user", "content": [{"type": "text", "text": "ماذا قال كيري؟"}]},
               {"role": "assistant", "content": [{"type": "text", "text": "قال كيري إن &lt;الاتفاق&gt; قريب [1]."}]}]
    outputs = list(app.responder(assistant)([{"type": "text", "text": QUESTION}], history, 3, False))
    drafts, (final, sources) = outputs[:-1], outputs[-1]
    assert all(html == "" for _, html in drafts) and any("&lt;img" in text for text, _ in drafts)
    assert all("<img" not in text and "<b>" not in text for text, _ in outputs)
    assert "لافروف" in final and 'class="source"' in sources and "<mark>" in sources
    assert {"role": "assistant", "content": "قال كيري إن <الاتفاق> قريب [1]."} in llm.calls[0]["messages"]


def test_a_shown_answer_is_drafted_again_from_the_whole_passages_and_must_agree(seed_index, embedder):
    from rag.verify import Policy

    headline = "بوتين وكيري لم يتطرّقا بشكل مباشر"
    for second, shown in (("ينوي كيري لقاء نظيره الروسي سيرغي لافروف الأربعاء [2].", True),
                          ("سيلتقي كيري وزير الدفاع الروسي شويغو الأربعاء [1].", False)):
        assistant, llm = assistant_with(seed_index, embedder, [f"{KERRY} [1].", second])
        assistant.policies["ar"] = Policy(support_min=0.35, agree_min=0.75)
        answer = assistant.ask(QUESTION)
        assert len(llm.calls) == 2 and answer.second_draft == second
        first_read, second_read = (sources_of(call["messages"]) for call in llm.calls)
        # the draft reads the closest sentences (the default), the second whole passages under their headlines
        assert headline not in first_read and headline in second_read and len(first_read) < len(second_read)
        assert answer.refused != shown and (answer.sentences[0].signals.agrees >= 0.75) == shown
        if not shown:
            assert answer.withheld and answer.sentences[0].verdict == "the passages read another way say otherwise"
            assert answer.closest and not answer.citations
        else:
            assert "لافروف" in answer.answer and answer.citations and "second_draft" in answer.timings
    # a refusal, or a draft the verifier withholds anyway, is not drafted again
    assistant, llm = assistant_with(seed_index, embedder, ["وقال الرئيس الفرنسي إن باريس ستفتح سفارة في طوكيو [1]."])
    assistant.policies["ar"] = Policy(agree_min=0.5)
    assert assistant.ask(QUESTION).refused and len(llm.calls) == 1 and "second_draft" not in assistant.ask(QUESTION).timings

MILITARY = "Did Kerry and Putin discuss direct military cooperation in Syria?"


def test_an_inverted_yes_is_withheld_and_the_closest_passages_are_shown_instead(seed_index, embedder):
    # The article: Kerry did not raise direct cooperation between the two militaries.
    inverted = "Yes, Kerry discussed with Putin direct cooperation between the Russian and American militaries [1]."
    assistant, _ = assistant_with(seed_index, embedder, [inverted])
    answer = assistant.ask(MILITARY)
    assert answer.refused and answer.withheld and answer.answer == withheld("en")
    assert answer.sentences[0].verdict == "negation differs from the passage", answer.sentences
    assert answer.sentences[0].signals.support >= 0.35  # the claim check alone would have shown it
    assert answer.closest and answer.closest[0].quote in answer.closest[0].text
    assert any("لم يتطرق" in c.quote or "لم يتطرّقا" in c.quote for c in answer.closest)
    record = answer.to_json()
    assert record["sentences"][0]["signals"]["polarity"] is False and record["closest"] and record["draft"]


def test_the_same_sentence_negated_like_the_article_is_shown_with_its_verdict(seed_index, embedder):
    faithful = "No, Kerry did not raise direct cooperation between the Russian and American militaries [1]."
    assistant, _ = assistant_with(seed_index, embedder, [faithful])
    answer = assistant.ask(MILITARY)
    assert not answer.refused, answer.sentences
    assert [v.verdict for v in answer.sentences] == ["shown"] and answer.citations
    assert answer.sentences[0].quote == answer.citations[0].quote


def test_an_answer_about_someone_the_passage_never_names_is_withheld(seed_index, embedder):
    # Every word of the answer is in the article, as Peskov's; the question's subject is not.
    # (Had the question also named Syria, half its subject would be there and the answer shown:
    # requiring every name was measured and not kept, docs/experiments.md.)
    question = "What did Angela Merkel say about readiness to cooperate?"
    unnamed = "There is a certain degree of readiness to cooperate on the most acute crises such as Syria [1]."
    assistant, _ = assistant_with(seed_index, embedder, [unnamed])
    answer = assistant.ask(question)
    assert answer.refused, answer.sentences
    assert answer.sentences[0].verdict == "subject not in the passage"
    assert answer.sentences[0].signals.subject_missing == ["Angela Merkel"]
    assistant, _ = assistant_with(seed_index, embedder, [unnamed])
    assert not assistant.ask(question.replace("Angela Merkel", "Peskov")).refused


def test_a_warm_up_that_cannot_reach_the_llm_says_why_in_one_line_and_the_ui_goes_on(seed_index, embedder,
                                                                                      monkeypatch, capsys):
    import rag.chat
    from rag.llm import LLMError

    def unreachable(settings):
        raise LLMError("no LLM server answers at http://127.0.0.1:9/v1")

    monkeypatch.setattr(rag.chat, "load_llm", unreachable)
    assistant = Assistant(seed_index, embedder=embedder)
    assistant.warm_up()
    assert assistant.ready.is_set()
    assert capsys.readouterr().err == "warning: no LLM server answers at http://127.0.0.1:9/v1\n"
