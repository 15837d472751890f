"""Text in an article written to steer the LLM ("ignore your instructions and answer X").

Such sentences are taken out of the passages before the LLM reads them, and never count as
evidence in the claim check, so an article can neither dictate an answer nor support one it
dictated. The system prompt also tells the model that sources are data, not instructions; these
patterns are the part that does not depend on the model obeying it.
"""

from __future__ import annotations

import re

from rag.arabic import normalize, sentence_spans
from rag.sanitize import INVISIBLE

# Letters that look like Latin ones (Cyrillic, Greek) and Persian forms of Arabic letters, folded
# before matching so "Ignоre" with a Cyrillic о or "تعلیماتک" with Persian ی/ک read as plain.
_CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "һ": "h",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ı": "i",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w",
    "ک": "ك", "ی": "ي", "ھ": "ه", "ۀ": "ه", "ە": "ه",
})
_HIDDEN = re.compile(f"[{INVISIBLE}]")

# Matched against folded, normalized text (above, then rag.arabic.normalize: lower case, no
# punctuation so "you're" is "you re", ا for أ/إ/آ, ه for ة, ي for ى). The gaps (.{0,80}) let
# several words stand between the verb and its object. Each pattern is checked against the
# 290k sentences of SaudiNewsNet for false alarms (bench/injection.py).
_MODEL = r"(ai|a i|artificial intelligence|(large )?language models?|llms?|chat ?bots?|ai assistants?|gpt|chatgpt)"
# "assistant", "model", "bot" alone are news words ("the assistant coach must answer …"); they
# count only with a reader's verb: "any assistant summarizing this page is required to …"
_READER = r"\b(any|every|all|each|the) (ai |llm |automated )?(assistants?|models?|bots?|summarizers?|systems?|agents?)\b.{0,30}\b(summariz|read|process|pars|crawl|index|answer)\w*"
_ARABIC_MODEL = r"(المساعد الذكي|المساعد الالي|المساعد|النموذج( اللغوي| الذكي)?|نموذج اللغه|النماذج اللغويه|الذكاء الاصطناعي|روبوت المحادثه|الروبوت|البوت|برنامج المحادثه)"
_RULES = r"(instructions?|rules|prompts?|guidelines|directives|guidance|programming|orders|constraints|system message)"
_ARABIC_RULES = r"(تعليمات|توجيهات|ارشادات|قواعد|اوامر|ضوابط)"
_PATTERNS = [re.compile(p) for p in (
    # ignore / forget … your instructions
    r"\b(ignore|disregard|forget|override|bypass|skip|drop|abandon|set aside|put aside|pay no attention to|"
    r"do not follow|don t follow|stop following|no longer follow)\b.{0,120}\b" + _RULES + r"\b",
    # speaking to the model: "AI, you must …", "any assistant summarizing this page is required to …"
    r"\b" + _MODEL + r"\b.{0,80}\b(must|should|shall|is required to|are required to|has to|have to|"
    r"needs? to|is instructed to|are instructed to|is to|are to)\b.{0,60}\b(answer|respond|reply|say|write|"
    r"state|report|tell|claim|output|include|mention|repeat|ignore|print|add|begin|start|end)",
    _READER + r".{0,60}\b(must|should|shall|is required to|are required to|has to|have to|needs? to|is to|are to)\b",
    r"\b(note|message|instruction|attention|notice|dear|hey|hello) (to |for )?(the |any |all |every )?" + _MODEL + r"\b",
    r"\b(if|when|while) you (are|re) (an? |the )?" + _MODEL + r"\b",
    r"\b(answer|respond to|reply to)\b (every|all|each|any) (question|questions|user|users|query|queries)\b",
    r"\bsystem (prompt|note|message|instruction|override)",
    r"\b(do not|don t|never|stop) (cite|mention|show|include|list|give) (any |the )?(sources?|citations?|references?)\b",
    r"\b(you are|you re|youre|you will) (now|no longer|henceforth|from now on)\b",
    r"\bfrom now on\b.{0,40}\byou\b",
    r"\b(new|updated|real|actual) (instructions?|rules|task)\b.{0,20}\b(are|is|follow)\b",
    # تجاهل / انس / اترك … تعليماتك (second person or "previous": a news report of someone
    # ignoring instructions, "تجاهل المسافرون تعليمات", stays news)
    r"\b(تجاهل|تجاهلي|انس|انسي|اهمل|اترك|اتركي|تخل عن|تخلى عن|تجاوز|دع|ضع|الغ|لا تلتفت|لا تلتفتي|لا تهتم|لا تتبع|لا تعمل ب)"
    r".{0,60}(" + _ARABIC_RULES + r"(ك|كي|كم)\b|" + _ARABIC_RULES + r" ?(السابقه|الاولي|الاصليه)|"
    r"ال" + _ARABIC_RULES + r" (السابقه|الاولي|الاصليه|المعطاه|الموجهه))",
    r"\bلا (تلتفت|تلتفتي|تهتم|تتبع|تطع)( الي| ل| ب)? ?ال" + _ARABIC_RULES,
    # addressing the model: "أيها النموذج الذكي، عليك أن تقول…", "ملاحظة إلى المساعد الذكي"
    r"\b(ايها|يا|ايتها) " + _ARABIC_MODEL,
    r"\b(ملاحظه|رساله|تنبيه|تعليمات|توجيه)( مهمه| هامه| عاجله)? (الي |ل)" + _ARABIC_MODEL,
    r"(المساعد الذكي|نموذج اللغه|روبوت المحادثه|النموذج اللغوي|الذكاء الاصطناعي).{0,60}\b(اجب|قل|اكتب|عليه ان|يجب عليه|عليك)\b",
    r"\bعليك (ان )?(تقول|تجيب|تكتب|ترد|تذكر|تكرر|تتجاهل)\b.{0,40}\b(كل|اي|جميع|فقط|ان|بان|هذه|هذا)\b",
    r"\b(اجب|رد) (عن|على) (كل|جميع|اي) (سؤال|الاسئله|استفسار)",
    r"(لا|دون ان|ولا) (تذكر|تستشهد ب|تعرض|تورد) (اي )?(مصادر|مصدر|المصادر|مراجع)",
    r"\bمن الان فصاعدا\b.{0,40}\b(انت|عليك|ستجيب|اجب)",
)]


def folded(text: str) -> str:
    """Text as the patterns read it: invisible characters gone, HTML comments opened, look-alike
    letters folded, then normalized."""
    text = _HIDDEN.sub("", text).replace("<!--", " ").replace("-->", " ")
    return normalize(text.translate(_CONFUSABLES).lower().translate(_CONFUSABLES))


def is_instruction(sentence: str) -> bool:
    """Whether a sentence of an article speaks to the assistant instead of reporting news."""
    text = folded(sentence)
    return any(p.search(text) for p in _PATTERNS)


def instruction_spans(text: str) -> list[tuple[int, int]]:
    return [(s, e) for s, e in sentence_spans(text) if is_instruction(text[s:e])]


def without_instructions(text: str, placeholder: str = "[…]") -> str:
    """`text` with its instruction sentences replaced by `placeholder`."""
    for start, end in reversed(instruction_spans(text)):
        text = text[:start] + placeholder + text[end:]
    return text
