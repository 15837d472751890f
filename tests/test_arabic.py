from rag.arabic import bare, language, normalize, sentence_spans


def test_normalize_strips_diacritics_and_tatweel():
    assert normalize("مُحَمَّدٌ") == "محمد"
    assert normalize("الكـــرملين") == "الكرملين"


def test_normalize_folds_alef_yaa_taa_marbuta():
    assert normalize("أإآٱ") == "اااا"
    assert normalize("مستشفى") == "مستشفي"
    assert normalize("مدينة") == "مدينه"


def test_normalize_digits_punctuation_and_case():
    assert normalize("٢٩ سبتمبر/أيلول، 2015!") == "29 سبتمبر ايلول 2015"
    assert normalize("John KERRY's") == "john kerry s"


def test_bare_drops_one_proclitic_and_the_article():
    assert bare(normalize("ويناير")) == "يناير"
    assert bare(normalize("بالثلاثة")) == "ثلاثه"
    assert bare(normalize("العام")) == "عام"
    assert bare("وفي") == "وفي"  # too short to carry one
    assert bare("ballot") == "ballot"


def test_language():
    assert language("ماذا قال بيسكوف عن مركز بغداد؟") == "ar"
    assert language("What did Peskov say about the Baghdad center?") == "en"
    assert language("ما هو MSNBC؟") == "ar"


def test_sentence_spans_cover_arabic_punctuation_and_lines():
    text = "قال بيسكوف إن موسكو تأمل؟ نعم؛ وأضاف شيئا.\nسطر جديد"
    pieces = [text[s:e] for s, e in sentence_spans(text)]
    assert pieces == ["قال بيسكوف إن موسكو تأمل؟", "نعم؛", "وأضاف شيئا.", "سطر جديد"]
