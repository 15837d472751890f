"""The verifier's signals on constructed cases (rag.verify): negation, an absent subject, a
restated question, an unfilled slot, a number's qualifier dropped, the LLM's token
probabilities, and the policy over them. No models."""

from dataclasses import replace

from rag.evaluate import Question, curve, replay, rescore, score
from rag.verify import (Policy, Signals, Verdict, added_share, added_words_logprob, agreement, cross_check,
                        keeps_qualifiers, loops, negated, policies, polarity_agrees, restates, second_reading,
                        signals, slot_filled, subject_share, word_logprobs)

NOT_DISCUSSED = "وقال لافروف إن الجانبين لم يناقشا التعاون العسكري المباشر"
DISCUSSED = "وقال لافروف إن الجانبين ناقشا التعاون العسكري المباشر"


def test_negation_is_seen_in_both_languages_with_contractions():
    assert negated(NOT_DISCUSSED) and not negated(DISCUSSED)
    assert negated("They didn't discuss it.") and negated("Moscow denied the report.")
    assert negated("ولا يوجد أي اتفاق") and negated("ليس هناك اتفاق")
    assert not negated("They discussed military cooperation.")


def test_polarity_inverted_against_the_quote_is_caught_and_agreement_is_not():
    assert not polarity_agrees("Yes, both sides discussed direct military cooperation.", NOT_DISCUSSED)
    assert polarity_agrees("The two sides did not discuss direct military cooperation.", NOT_DISCUSSED)
    assert polarity_agrees("ناقش الجانبان التعاون العسكري المباشر", DISCUSSED)
    assert not polarity_agrees("ناقش الجانبان التعاون العسكري المباشر", NOT_DISCUSSED)


def test_not_x_but_y_and_a_negated_adjective_elsewhere_do_not_invert_an_affirmative_answer():
    open_to_all = "وقال بيسكوف إن هذا المركز ليس مؤسسة مغلقة بل مجموعة منفتحة للجميع"
    assert polarity_agrees("Peskov said the center is open to everyone.", open_to_all)
    assert polarity_agrees("قال بيسكوف إن المركز مجموعة منفتحة للجميع", open_to_all)
    assert polarity_agrees("قال بيسكوف إن المركز ليس مؤسسة مغلقة بل مجموعة منفتحة للجميع", open_to_all)
    assert not polarity_agrees("قال بيسكوف إن المركز مؤسسة مغلقة", open_to_all)
    isolation = 'كما قال بيسكوف موضوع "عزلة روسيا" غير واقعي ويخالف المنطق لأن عزل روسيا مضر لتسوية الأزمة'
    assert polarity_agrees("قال بيسكوف إن عزل روسيا مضر لتسوية الأزمة", isolation)
    assert not polarity_agrees("قال بيسكوف إن موضوع عزلة روسيا واقعي", isolation)


def test_a_negation_far_from_the_shared_words_does_not_count_in_one_language():
    quote = ("The minister said the talks in Vienna covered the oil price at length, "
             "and added that he had no plans to travel to Paris next week.")
    assert polarity_agrees("The talks in Vienna covered the oil price.", quote)


def test_a_subject_the_passage_does_not_hold_is_missing_across_scripts():
    passage = "قال المتحدث باسم الكرملين دميتري بيسكوف إن موسكو مستعدة للتعاون"
    share, missing = subject_share("What did Peskov say about cooperation?", passage)
    assert share == 1.0 and missing == []
    share, missing = subject_share("What did Merkel say about cooperation?", passage)
    assert share == 0.0 and missing == ["Merkel"]
    share, missing = subject_share("ماذا قالت ميركل عن التعاون؟", passage)
    assert 0 < share < 1 and any("ميركل" in m or "مركل" in m for m in missing)
    assert subject_share("What happened in 1990?", "وقع الحادث عام 1991")[0] == 0.0
    assert subject_share("what was said?", passage)[0] == 1.0  # nothing named: nothing to miss


def test_what_an_answer_adds_must_be_in_its_passage_in_one_script():
    passage = "وقال لافروف إن المحادثات مع كيري كانت بناءة ومفيدة"
    question = "كيف وصف لافروف المحادثات مع كيري؟"
    assert added_share("وصف لافروف المحادثات بأنها بناءة ومفيدة", question, passage) == (1.0, [])
    share, missing = added_share("وصف لافروف المحادثات بأنها صعبة ومتوترة", question, passage)
    assert share == 0.0 and missing == ["صعب", "متوتر"]  # "بأنها" is a function word, not a claim
    # numbers are the claim check's, slot words name what is asked: nothing is added
    assert added_share("في عام 2015.", "متى التقى لافروف كيري؟", passage)[0] == 1.0
    # across scripts words cannot be matched by spelling: the signal stays out of it
    assert added_share("Lavrov called the talks difficult.", "How did Lavrov describe the talks?", passage) == (1.0, [])
    found = signals("وصف لافروف المحادثات بأنها صعبة ومتوترة", question, 0.8, passage, passage)
    assert found.added == 0.0
    assert Policy(added_min=0.5).verdict(found) == "adds what its passage does not say"


def test_a_restated_question_answers_nothing():
    question = "How many times did Kerry and Lavrov meet?"
    assert restates("Kerry and Lavrov met.", question)
    assert restates("According to the sources, Kerry and Lavrov met.", question)
    assert not restates("Kerry and Lavrov met three times in recent days.", question)
    # the question's name misspelt is still the question's ("Shelley" for "Shelly")
    asked = "What famous author used the likeness of Percy Shelly in his writing?"
    assert restates("Percy Shelley used the likeness of Percy Shelly in his writing.", asked)
    assert not restates("Henry David Thoreau used the likeness of Percy Shelly in his writing.", asked)


def test_a_generation_loop_is_withheld():
    looping = "Diatoms have chloroplasts of the chloroplasts of the chloroplasts of the chloroplasts."
    assert loops(looping) and not loops("The talks, the first talks this year, were the longest talks.")
    found = signals(looping, "What do diatoms hold?", 0.7, looping, looping)
    assert found.loops and Policy().verdict(found) == "repeats itself"


def test_the_asked_slot_must_be_filled():
    assert not slot_filled("Kerry and Lavrov met in recent days, counting the Wednesday meeting.",
                           "How many times did Kerry and Lavrov meet?")
    assert slot_filled("They met three times.", "How many times did they meet?")
    assert slot_filled("They met 3 times.", "كم مرة التقيا؟")
    assert not slot_filled("التقى الوزيران لبحث الأزمة", "متى التقى الوزيران؟")
    assert slot_filled("التقى الوزيران يوم الأربعاء", "متى التقى الوزيران؟")
    assert slot_filled("They met in September 2015.", "When did they meet?")
    assert not slot_filled("The meeting was in 2015.", "How many people attended the meeting in 2015?")
    assert slot_filled("Peskov spoke.", "Who spoke?")  # who/where: only restatement is checked
    assert slot_filled("حضر نحو ستين طالبا.", "كم عدد الطلاب الذين حضروا؟")  # a number in words
    assert slot_filled("1795", "It published a 2 volume version of his theories in what year?")
    # a date alone does not say who or what
    assert not slot_filled("According to the sources, it was sequenced in 1962.", "Who sequenced the first plastome?")
    assert not slot_filled("في عام 1281.", "ما الذي تدخل في غزو كوبلاي الثاني لليابان؟")
    assert slot_filled("The ratio was 20 to 1.", "What was the ratio of British settlers to French?")


def test_a_number_keeps_what_its_quote_says_of_it_in_either_language():
    quote = "سيطرت فرنسا على الجزائر في 1830 لكنها بدأت بجدية في إعادة بناء إمبراطوريتها بعد 1850، مع التركيز"
    assert not keeps_qualifiers("1850.", quote)  # "after 1850" is not 1850
    assert not keeps_qualifiers("It began in 1850.", quote)
    assert keeps_qualifiers("بدأت بعد 1850.", quote) and keeps_qualifiers("It began after 1850.", quote)
    assert keeps_qualifiers("سيطرت على الجزائر في 1830.", quote)  # said plainly there
    petition = "أدت عريضةٌ عبر الإنترنت وقعها أكثر من 5,100 شخص على موقع البرلمان"
    assert not keeps_qualifiers("وقعها 5,100 شخص.", petition)
    assert keeps_qualifiers("More than 5100 people signed it.", petition)  # separators, "than" between
    assert not keeps_qualifiers("وقع في 1850.", "وقع بعد عام 1850")  # a year word between
    assert not keeps_qualifiers("It was signed 3 days ago.", "وقع الاتفاق بعد 3 أيام من المحادثات")
    # an "about", a qualifier of another phrase, a "since", a number the quote does not hold:
    # nothing to keep
    assert keeps_qualifiers("63%.", "ويعطي ذلك كفاءة كارنو النظرية بحوالي 63% مقارنة مع 42%")
    assert keeps_qualifiers("1,000 people died.", "After the war, 1,000 people died in the city.")
    assert keeps_qualifiers("He took power in 2011.", "يحكم منذ عام 2011")
    assert keeps_qualifiers("It cost 40 dollars.", "بلغت الكلفة حوالي 30 دولارا")
    # an Arabic comparative counts with its "من" ("أكثر من 10"), not as a superlative ("أكثر 10 دول")
    assert keeps_qualifiers("10 دول.", "وهي من أكثر 10 دول تلوثا")
    assert not keeps_qualifiers("10 دول.", "وقعها أكثر من 10 دول")
    assert keeps_qualifiers("the following 3 points", "He made the following 3 points.")
    assert signals("1850.", "متى بدأت؟", 0.8, quote, quote).qualified is False


def test_the_subject_is_what_the_question_is_about_not_what_it_asks():
    passage = "وأضاف كيري أنه ينوي لقاء نظيره الروسي سيرغي لافروف الأربعاء"
    assert subject_share("من سيلتقي كيري يوم الأربعاء؟", passage)[1] == ["يلتق"]  # "يوم" is the slot
    # a leading letter the stemmer leaves is not a missing word ("لزيارة" / "زيارة")
    assert subject_share("من قرر عدم المجيء لزيارة البلاد؟", "قرر أوباما عدم المجيء في زيارة إلى البلاد")[0] == 1.0


def test_token_probabilities_map_to_the_words_the_model_added():
    tokens = [("Kerry", -0.1), (" will", -0.05), (" meet", -0.2), (" Lav", -3.5), ("rov", -0.01),
              (" on", -0.1), (" Wednesday", -0.3), (".", -0.01)]
    words = word_logprobs(tokens)
    assert words["lavrov"] == -3.5 and words["kerry"] == -0.1
    assert added_words_logprob("Kerry will meet Lavrov on Wednesday.", "Who will Kerry meet?", words) == -3.5
    assert added_words_logprob("Kerry will meet.", "Who will Kerry meet?", words) == 0.0
    assert added_words_logprob("Kerry will meet Lavrov.", "Who?", None) is None
    arabic = "لافروف".encode()
    # an Arabic letter split over two tokens belongs to the token that completes it
    assert word_logprobs([(arabic[:3].decode(errors="ignore"), -0.2), (arabic[3:].decode(errors="ignore"), -1.0)])


def test_the_policy_withholds_for_each_failed_signal_and_none_switches_it_off():
    good = Signals(support=0.7, subject=1.0)
    policy = Policy(logprob_min=-3.0)
    assert policy.verdict(good) == "shown"
    assert policy.verdict(Signals(support=0.3, subject=1.0)) == "weak support"
    assert policy.verdict(Signals(support=0.7, subject=0.0)) == "subject not in the passage"
    assert Policy(added_min=0.5).verdict(Signals(support=0.7, subject=1.0, added=0.4)) == "adds what its passage does not say"
    assert policy.verdict(Signals(support=0.7, subject=1.0, polarity=False)) == "negation differs from the passage"
    assert policy.verdict(Signals(support=0.7, subject=1.0, restates=True)) == "restates the question"
    assert policy.verdict(Signals(support=0.7, subject=1.0, slot=False)) == "does not give what is asked"
    assert policy.verdict(Signals(support=0.7, subject=1.0, qualified=False)) == "drops what its passage says of a number"
    assert policy.verdict(Signals(support=0.7, subject=1.0, logprob=-5.0)) == "the model was unsure of it"
    off = Policy(subject_min=None, polarity=False, restatement=False, slot=False, qualifiers=False)
    assert off.verdict(Signals(support=0.7, subject=0.0, polarity=False, restates=True, slot=False,
                               qualified=False)) == "shown"


def test_when_the_llm_reads_only_the_closest_sentences_its_doubt_counts_more_in_english():
    # A sentence the model wrote with a word at log-probability -1.0: shown after whole passages,
    # withheld after the few sentences it answers more readily from; Arabic alike in both modes.
    unsure, sure = Signals(support=0.7, subject=1.0, logprob=-1.0), Signals(support=0.7, subject=1.0, logprob=-0.5)
    assert policies(False)["en"].verdict(unsure) == "shown"
    assert policies(True)["en"].verdict(unsure) == "the model was unsure of it"
    assert policies(True)["en"].verdict(sure) == policies(True)["ar"].verdict(unsure) == "shown"
    # reading sentences, a second draft from the whole passages must agree (rag.verify.agreement)
    assert replace(policies(True)["ar"], agree_min=None) == policies(False)["ar"]
    assert second_reading(True) and not second_reading(False)


def test_agreement_is_the_share_of_what_a_sentence_adds_that_the_other_draft_also_says():
    question = "Who will Kerry meet on Wednesday?"
    # the same answer in other words and with its citation: all it adds is said again
    assert agreement("Kerry will meet Sergey Lavrov on Wednesday [1].", question,
                     "On Wednesday, Kerry meets Lavrov, Sergey [2].")[0] == 1.0
    # a name spelt another way, or another name, is not
    share, missing = agreement("Kerry will meet Sergey Lavrov.", question, "Kerry will meet Sergei Lavrof.")
    assert share == 0.0 and missing == ["sergey", "lavrov"]
    assert agreement("Kerry will meet Lavrov.", question, "The articles do not say.")[0] == 0.0
    # a number is part of what is added; Arabic terms match past a leading letter
    assert agreement("They met 3 times.", "How many times did they meet?", "They met 4 times.")[0] == 0.0
    assert agreement("سيلتقي كيري لافروف", "من سيلتقي كيري؟", "كيري ولافروف")[0] == 1.0
    # a sentence that adds nothing to the question cannot disagree
    assert agreement("Kerry will meet on Wednesday.", question, "")[0] == 1.0


def test_the_cross_check_withholds_only_the_sentences_the_other_draft_does_not_say():
    policy = Policy(agree_min=0.5)
    verdicts = [Verdict("Kerry will meet Lavrov [1].", "shown", 1, "", Signals(support=0.7, subject=1.0)),
                Verdict("He will also visit Tokyo.", "shown", 1, "", Signals(support=0.7, subject=1.0)),
                Verdict("Nothing else.", "not in the passages")]
    cross_check(verdicts, "Who will Kerry meet?", "Kerry will meet Lavrov [2].", policy)
    assert [v.verdict for v in verdicts] == ["shown", "the passages read another way say otherwise",
                                             "not in the passages"]
    assert verdicts[0].signals.agrees == 1.0 and verdicts[1].signals.agrees == 0.0
    # a policy that asks for no agreement is not moved by it
    assert Policy().verdict(verdicts[1].signals) == "shown"


def _result(support: float, sentence: str = "Lavrov will come on Wednesday.") -> dict:
    signals = Signals(support=support, subject=1.0).to_json()
    return {"answer": sentence, "refused": False, "retrieved": [], "citations": [],
            "sentences": [{"sentence": sentence, "verdict": "shown", "n": 1, "quote": "", "signals": signals}]}


def test_replay_and_the_curve_move_answers_to_refusals_as_the_threshold_rises():
    answerable = Question("a", "Who comes on Wednesday?", "en", True, gold=["Lavrov"])
    unanswerable = Question("u", "Who comes on Friday?", "en", False)
    results = [_result(0.72), _result(0.45, "Lavrov comes on Friday.")]
    assert replay(results[1], Policy(support_min=0.5))["refused"]
    assert not replay(results[0], Policy(support_min=0.5))["refused"]
    assert score(unanswerable, replay(results[1], Policy(support_min=0.5)))["correct"]
    points = {p["support_min"]: p for p in curve([answerable, unanswerable], results)}
    assert points[0.4]["precision"] == 0.5 and points[0.4]["coverage"] == 1.0
    assert points[0.5]["precision"] == 1.0 and points[0.5]["refusal_accuracy"] == 1.0
    assert points[0.8]["precision"] is None and points[0.8]["coverage"] == 0.0


def test_a_replay_takes_the_policy_of_the_language_the_answer_path_detects():
    # labelled Arabic by its set, but read as English by the answer path (mostly Latin names):
    # the English policy decides, as it did when the answer was drafted
    question = Question("a", "Who comes to Vienna on Wednesday?", "ar", True, gold=["Lavrov"])
    strict = {"ar": Policy(support_min=0.9), "en": Policy(support_min=0.5)}
    assert rescore([question], [_result(0.72)], strict)[0]["correct"]
