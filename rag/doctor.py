"""What answers will cost on this machine (`rag doctor`): the LLM's prompt and generation rates,
measured once on a prompt the size of a question's, and the answer times they predict.

The prediction is the answer path's arithmetic: a question adds about SENTENCES_NEW_TOKENS prompt
tokens after its language's kept prefix (the passages' sentences closest to the question, and
the question: the median on the dev sets, BENCHMARKS.md), or TYPICAL_NEW_TOKENS when the LLM
reads whole passages with their headlines (RAG_EVIDENCE_TOKENS=0); the model writes about
TYPICAL_ANSWER_TOKENS, and retrieval and the checks take OVERHEAD_S. An answer the checks would
show is drafted again from the whole passages (rag.verify.agreement), which costs a whole
prompt and answer more. A second try (the model refused on strong evidence) costs a second
prompt; follow-ups carry their conversation too.
"""

from __future__ import annotations

import platform
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.config import usable_cores

# when the LLM reads whole passages with headlines (RAG_EVIDENCE_TOKENS=0): 235 on the seed set
TYPICAL_NEW_TOKENS = 240
# … only the passages' sentences closest to the question (RAG_EVIDENCE_TOKENS 64, the default,
# rag.condense): 81-89 on the dev sets and the seed set (BENCHMARKS.md)
SENTENCES_NEW_TOKENS = 90
TYPICAL_ANSWER_TOKENS = 40
OVERHEAD_S = 0.4
# CPU features llama.cpp and torch use on x86 (avx512_bf16 and amx: the embedder runs bf16 natively)
FEATURES = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")
_TEXT = ("قال المتحدث باسم الكرملين دميتري بيسكوف إن مركز بغداد للتنسيق المعلوماتي مفتوح أمام دول أخرى "
         "ترغب في الانضمام إلى جهود مكافحة الإرهاب، وإن روسيا لا تخطط لعمليات برية في سوريا. ")


@dataclass
class Rates:
    prompt_tokens: int
    prompt_tokens_per_s: float
    generated_tokens: int
    generation_tokens_per_s: float

    @property
    def first_token_s(self) -> float:
        """The expected time to a typical question's first token, kept prefix restored, the LLM
        reading whole passages (RAG_EVIDENCE_TOKENS=0)."""
        return TYPICAL_NEW_TOKENS / self.prompt_tokens_per_s + OVERHEAD_S / 2

    @property
    def answer_s(self) -> float:
        """… and to its checked answer."""
        return self.first_token_s + self._writing_s + OVERHEAD_S / 2

    @property
    def sentences_first_token_s(self) -> float:
        """The same reading only the closest sentences (the default)."""
        return SENTENCES_NEW_TOKENS / self.prompt_tokens_per_s + OVERHEAD_S / 2

    @property
    def sentences_answer_s(self) -> float:
        """… to its checked answer when the checks withhold it (nothing drafted again)."""
        return self.sentences_first_token_s + self._writing_s + OVERHEAD_S / 2

    @property
    def sentences_shown_s(self) -> float:
        """… and when they would show it: drafted again from the whole passages first."""
        return self.sentences_answer_s + TYPICAL_NEW_TOKENS / self.prompt_tokens_per_s + self._writing_s

    @property
    def _writing_s(self) -> float:
        return TYPICAL_ANSWER_TOKENS / self.generation_tokens_per_s

    def to_json(self) -> dict:
        return {**asdict(self), "expected_first_token_s": round(self.first_token_s, 1),
                "expected_answer_s": round(self.answer_s, 1),
                "expected_first_token_sentences_read_s": round(self.sentences_first_token_s, 1),
                "expected_answer_sentences_read_s": round(self.sentences_answer_s, 1),
                "expected_shown_answer_sentences_read_s": round(self.sentences_shown_s, 1)}


def cpu() -> dict:
    """The CPU's model name, cores and the features that decide the speed."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() in ("flags", "Features"):
                flags = set(value.split())
    except OSError:
        pass
    return {"model": model, "cores": usable_cores(), "features": [f for f in FEATURES if f in flags]}


def measure(llm, prompt_tokens: int = TYPICAL_NEW_TOKENS * 2, answer_tokens: int = 64) -> Rates:
    """Prompt and generation rates of `llm` (rag.llm.LLM) on a fresh prompt of about
    `prompt_tokens` (nothing of it cached: it starts with a word never sent before)."""
    def messages(nonce: str, tokens: int) -> list[dict]:
        passage = _TEXT * max(1, tokens // 45)
        return [{"role": "system", "content": f"{nonce} Answer from the passage, in detail."},
                {"role": "user", "content": f"{passage}\nWhat did Peskov say? Explain at length."}]

    def run(tokens: int, max_tokens: int) -> dict:
        for _ in llm.stream(messages(uuid.uuid4().hex, tokens), max_tokens=max_tokens):
            pass
        return llm.last_stats

    run(32, 4)  # the weights paged in and the threads started: not counted
    started = time.perf_counter()
    stats = run(prompt_tokens, answer_tokens)
    fresh = stats["prompt_tokens"] - (stats.get("reused_tokens") or 0)
    prompt_s = stats.get("prompt_s") or (time.perf_counter() - started)
    generated = max(1, stats.get("generated_tokens") or 1)
    return Rates(prompt_tokens=fresh, prompt_tokens_per_s=round(fresh / max(prompt_s, 1e-6), 1),
                 generated_tokens=generated,
                 generation_tokens_per_s=round(generated / max(stats.get("generation_s") or 1e-6, 1e-6), 1))


def report(machine: dict, llm_name: str, rates: Rates, sentences_read: bool = False) -> str:
    """What `rag doctor` prints; `sentences_read`: whether the settings have the LLM read only
    the passages' closest sentences (RAG_EVIDENCE_TOKENS), the mode marked "as set"."""
    features = ", ".join(machine["features"]) or "none of " + ", ".join(FEATURES)
    whole, sentences = (" (as set)", "") if not sentences_read else ("", " (as set)")
    return "\n".join([
        f"CPU: {machine['model']}, {machine['cores']} core{'s' if machine['cores'] != 1 else ''}; features: {features}",
        f"LLM: {llm_name}",
        f"prompt: {rates.prompt_tokens_per_s:g} tokens/s ({rates.prompt_tokens} tokens)",
        f"generation: {rates.generation_tokens_per_s:g} tokens/s ({rates.generated_tokens} tokens)",
        f"expected for a typical question, the LLM reading the sentences closest to it (~{SENTENCES_NEW_TOKENS} "
        f"new prompt tokens, ~{TYPICAL_ANSWER_TOKENS} answer tokens): first token in about "
        f"{rates.sentences_first_token_s:.1f} s, a withheld answer checked in about {rates.sentences_answer_s:.1f} s, "
        f"a shown one in about {rates.sentences_shown_s:.1f} s (drafted again from the whole passages){sentences}",
        f"with RAG_EVIDENCE_TOKENS=0 (whole passages, ~{TYPICAL_NEW_TOKENS} new tokens, no second draft): first "
        f"token in about {rates.first_token_s:.1f} s, the checked answer in about {rates.answer_s:.1f} s{whole}",
    ])
