"""The in-process llama.cpp backend with the real model: the prompt prefix kept per language,
prompts fitted to its context, token log-probabilities."""

from rag.chat import fixed_prefixes
from rag.prompts import build_messages, fixed_messages
from rag.types import Passage
from rag.verify import word_logprobs

PASSAGE = Passage(article_id="a", title="الكرملين", start=0, end=60, score=0.6,
                  text="قال المتحدث باسم الكرملين دميتري بيسكوف إن عزل روسيا يضر بتسوية الأزمة السورية.")


def answer(llm, question: str, lang: str, keep_prefix: bool = True) -> str:
    messages = build_messages(question, [PASSAGE], lang)
    fixed = len(fixed_messages(lang)) if keep_prefix else 0
    return "".join(llm.stream(messages, max_tokens=40, fixed=fixed))


def test_each_language_prefix_is_computed_once_and_restored_exactly(assistant):
    llm = assistant.llm
    answer(llm, "Who is the Kremlin spokesman?", "en")  # memory: the English prefix and more
    llm._prefix_states.clear()
    assistant.warm_up()
    kept = len(fixed_prefixes(assistant.settings))  # each language, read the draft's way and the second reading's
    assert kept == 4 and len(llm._prefix_states) == kept
    llm.llm.reset()
    english = answer(llm, "What did Peskov say about isolating Russia?", "en", keep_prefix=False)
    answer(llm, "ماذا قال بيسكوف عن عزل روسيا؟", "ar")
    # Back to English: the English prefix comes from the kept copy, not from the Arabic prompt.
    again = answer(llm, "What did Peskov say about isolating Russia?", "en")
    stats = llm.last_stats
    assert again == english and "Peskov" in again  # as when the whole prompt is computed anew
    prefixes = {len(p) for p in llm._prefix_states}
    assert len(llm._prefix_states) == kept  # the warm-up's, used again
    assert stats["reused_tokens"] in prefixes and stats["prompt_tokens"] - stats["reused_tokens"] < 200


def test_a_prompt_is_fitted_to_the_context_or_refused_with_a_clear_message(assistant):
    import pytest

    from rag.chat import QuestionError
    from rag.retriever import Retrieval

    huge = Passage(article_id="big", title="t", start=0, end=1, score=0.5, text="كلمة " * 8000)
    history = [("Who is the Kremlin spokesman?", "Dmitry Peskov [1]. " * 100)] * 3
    messages, kept, left = assistant._fit("What did Peskov say?", Retrieval([], [PASSAGE, huge, huge]), "en", history)
    room = assistant.settings.context_tokens - assistant.settings.max_answer_tokens
    assert assistant.llm.prompt_tokens(messages) <= room
    assert kept.passages[0] is PASSAGE and len(kept.passages) < 3  # the weakest passages went first …
    assert len(left) < len(history)  # … after the oldest turns
    with pytest.raises(QuestionError, match="context"):
        assistant._fit("What did Peskov say?", Retrieval([], [huge, huge]), "en", [])


def test_each_generated_token_comes_with_its_log_probability(assistant):
    llm = assistant.llm
    arabic = answer(llm, "ماذا قال بيسكوف عن عزل روسيا؟", "ar")
    tokens = llm.last_stats["logprobs"]
    # the token texts make the answer (Arabic letters split over tokens included), each a
    # log-probability; greedy decoding takes the likeliest token, so none is far under zero
    assert "".join(text for text, _ in tokens).strip().startswith(arabic.strip())
    assert all(lp <= 0 for _, lp in tokens) and min(lp for _, lp in tokens) > -20
    assert any(lp < -0.01 for _, lp in tokens) and max(lp for _, lp in tokens) > -0.05
    words = word_logprobs(tokens)
    assert words and any("بيسكوف" in w or "عزل" in w for w in words)


def test_a_new_process_restores_the_prefixes_from_disk_and_answers_the_same(settings, tmp_path):
    from rag.llm.llamacpp import LlamaCpp

    first = LlamaCpp(settings.llm, settings.context_tokens, settings.threads, state_dir=tmp_path)
    for lang in ("en", "ar"):
        first.prepare(fixed_messages(lang))
    computed = answer(first, "What did Peskov say about isolating Russia?", "en")
    assert first.prefixes_loaded == 0 and len(list(tmp_path.glob("prefix-*.state"))) == 2
    del first

    second = LlamaCpp(settings.llm, settings.context_tokens, settings.threads, state_dir=tmp_path)
    for lang in ("en", "ar"):
        second.prepare(fixed_messages(lang))
    assert second.prefixes_loaded == 2  # read, not computed
    assert answer(second, "What did Peskov say about isolating Russia?", "en") == computed
    assert second.last_stats["reused_tokens"] > 300  # the English prefix, from the file

    for saved in tmp_path.glob("prefix-*.state"):  # a damaged file is computed again, not fatal
        saved.write_bytes(b"not a llama.cpp state")
    third = LlamaCpp(settings.llm, settings.context_tokens, settings.threads, state_dir=tmp_path)
    third.prepare(fixed_messages("en"))
    assert third.prefixes_loaded == 0  # its checksum failed: computed again
    assert answer(third, "What did Peskov say about isolating Russia?", "en") == computed


def test_doctor_measures_the_rates_and_predicts_the_answer_times(assistant):
    from rag import doctor

    rates = doctor.measure(assistant.llm)
    assert rates.prompt_tokens > 300 and rates.generated_tokens >= 8  # a fresh prompt the size of two questions'
    assert rates.prompt_tokens_per_s > 1 and rates.generation_tokens_per_s > 1
    # the prediction is the arithmetic of a typical question at these rates
    assert rates.first_token_s == doctor.TYPICAL_NEW_TOKENS / rates.prompt_tokens_per_s + doctor.OVERHEAD_S / 2
    assert rates.answer_s > rates.first_token_s
    shown = doctor.report(doctor.cpu(), assistant.llm.name, rates, sentences_read=True)
    assert f"prompt: {rates.prompt_tokens_per_s:g} tokens/s" in shown and "first token in about" in shown
    assert rates.sentences_first_token_s < rates.first_token_s and "RAG_EVIDENCE_TOKENS=0" in shown
    # a shown answer waits for the second draft from the whole passages: a whole prompt and answer more
    slow = doctor.Rates(480, 35.0, 64, 10.0)  # the EPYC of issue 23: 90 tokens take 2.6 s, 240 6.9 s
    assert round(slow.sentences_first_token_s, 1) == 2.8 and round(slow.sentences_shown_s - slow.sentences_answer_s, 1) == 10.9
    # the mode the settings choose is marked
    read = doctor.report(doctor.cpu(), "x", slow, sentences_read=True).splitlines()
    assert read[4].endswith("(as set)") and not read[5].endswith("(as set)")
    assert doctor.report(doctor.cpu(), "x", slow).splitlines()[5].endswith("(as set)")
