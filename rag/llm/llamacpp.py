"""The embedded LLM: a GGUF run in this process by llama-cpp-python, greedy, with the fixed prompt
prefix of each language kept as llama.cpp state (restored in milliseconds instead of computed
again when a question in the other language came in between)."""

from __future__ import annotations

import codecs
import ctypes
import hashlib
import os
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Iterator

from rag.llm.base import LLMError

PREFIX_STATES = 6  # fixed prompt prefixes kept in memory: a language and way of reading, and room to spare
STATE_FILES = 8  # prefix states kept on disk (the newest; older prompts' states go)
_STATE_MAGIC = b"rag-news prefix state 1\n"  # then the sha256 of the state, then the state


class LlamaCpp:
    """A GGUF model run in this process by llama-cpp-python (the embedded default)."""

    prefills = True
    def __init__(self, model_path: Path, context_tokens: int = 4096, threads: int = 2,
                 state_dir: Path | None = None):
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        model_path = Path(model_path)
        if not model_path.is_file():
            raise LLMError(
                f"no GGUF model at {model_path}; run the setup command (./setup.sh) "
                f"or point RAG_LLM at a GGUF file")
        self.path = model_path
        self.name = model_path.name
        self.llm = Llama(model_path=str(model_path), n_ctx=context_tokens, n_threads=threads,
                         n_threads_batch=threads, n_batch=512, verbose=False)
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise LLMError(f"{model_path} has no chat template; an instruction-tuned GGUF is needed")
        # The model's own chat template, as llama-cpp-python's chat completion uses it; formatted
        # here so that an answer can be started with a few given words (see `stream`).
        eos, bos = self.llm.token_eos(), self.llm.token_bos()
        self.formatter = Jinja2ChatFormatter(
            template=template, stop_token_ids=[eos],
            eos_token=self.llm._model.token_get_text(eos) if eos != -1 else "",
            bos_token=self.llm._model.token_get_text(bos) if bos != -1 else "")
        # The model's memory (KV cache) of each fixed prompt prefix, by its tokens, newest last.
        self._prefix_states: OrderedDict[tuple[int, ...], bytes] = OrderedDict()
        self._fixed_tokens: dict[tuple[tuple[str, str], ...], list[int]] = {}  # fixed messages -> tokens
        self.last_stats: dict = {}  # tokens and seconds of the last answer, for the benchmarks
        # Where each prefix's state is saved once computed (the model cache), so that a new
        # process restores it in milliseconds instead of computing it (10 s for both languages
        # on two cores): keyed by the model file, the context size, llama.cpp's version and the
        # prefix's tokens, so any change of these computes it anew.
        self.state_dir = Path(state_dir) if state_dir else None
        stat = model_path.stat()
        self._state_key = f"{model_path.name}|{stat.st_size}|{stat.st_mtime_ns}|{context_tokens}|{_llama_version()}"
        self.prefixes_loaded = 0  # prefix states read from disk (for the tests and benchmarks)

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def prompt_tokens(self, messages: list[dict]) -> int:
        """Tokens of the whole prompt these messages make, as `stream` would send it."""
        return len(self._tokens(self.formatter(messages=messages)))

    def _tokens(self, formatted, start: str = "") -> list[int]:
        return self.llm.tokenize((formatted.prompt + start).encode("utf-8"),
                                 add_bos=not formatted.added_special, special=True)

    def stream(self, messages: list[dict], max_tokens: int = 256, start: str = "",
               fixed: int = 0) -> Iterator[str]:
        """Yield the answer piece by piece, `start` (words the answer is made to begin with)
        first; greedy decoding, so the same prompt gives the same answer. The first `fixed`
        messages are the same for many questions: their state is kept (see `_load_prefix`)."""
        formatted = self.formatter(messages=messages)
        prompt = self._tokens(formatted, start)
        if fixed:
            self._load_prefix(prompt, messages[:fixed])
        reused = self._common_length(prompt)
        started = time.perf_counter()
        # No repeat penalty: an answer should copy names and words from the sources and the
        # question, which a penalty on recent tokens discourages.
        if len(prompt) >= self.llm.n_ctx():
            raise LLMError(f"the prompt takes {len(prompt)} tokens, more than the model's context "
                                 f"of {self.llm.n_ctx()}")
        chosen: list[tuple[int, float]] = []
        parts = self.llm.create_completion(
            prompt=prompt, stream=True, temperature=0.0, top_k=1, max_tokens=max_tokens,
            repeat_penalty=1.0, stop=formatted.stop, stopping_criteria=formatted.stopping_criteria,
            logits_processor=[_Chosen(chosen)])
        if start:
            yield start
        first = None
        for part in parts:
            text = part["choices"][0]["text"]
            if text:
                first = first or time.perf_counter()
                yield text
        ended = time.perf_counter()
        first = first or ended
        self.last_stats = {"prompt_tokens": len(prompt), "reused_tokens": reused,
                           "generated_tokens": max(0, self.llm.n_tokens - len(prompt)),
                           "prompt_s": first - started, "generation_s": ended - first,
                           "logprobs": self._texts(chosen)}

    def _texts(self, chosen: list[tuple[int, float]]) -> list[tuple[str, float]]:
        """(token text, log-probability) pairs; a character split over tokens (Arabic letters are
        two bytes) goes to the token that completes it."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        return [(decoder.decode(self.llm.detokenize([token])), lp) for token, lp in chosen]

    def prepare(self, fixed: list[dict]) -> None:
        """Compute and keep the state of a fixed prefix ahead of the first question that uses it."""
        prompt = self._tokens(self.formatter(messages=[*fixed, {"role": "user", "content": ""}]))
        self._load_prefix(prompt, fixed)

    def _common_length(self, tokens: list[int]) -> int:
        """How many leading tokens of `tokens` the model's memory holds already."""
        return self.llm.longest_token_prefix(self.llm.input_ids[:self.llm.n_tokens], tokens)

    def _load_prefix(self, prompt: list[int], fixed: list[dict]) -> None:
        """Put the model's memory at the prompt's fixed prefix (system prompt and examples of the
        question's language) unless it is there already. llama.cpp reuses a common prefix with
        the previous prompt by itself, but a question in the other language shares none: its
        prefix is then loaded from a copy kept after its first use (about 12 MB a language,
        restored in milliseconds, where processing its ~400 tokens anew takes 4 s on two cores).
        The copy is llama.cpp's state of sequence 0, through its C API: llama-cpp-python's own
        save_state would also copy a 300 MB logits buffer."""
        import llama_cpp

        key = tuple((m["role"], m["content"]) for m in fixed)
        if key not in self._fixed_tokens:  # formatted and tokenized once, not every question
            self._fixed_tokens[key] = self._tokens(self.formatter(messages=fixed))
        n = self.llm.longest_token_prefix(prompt, self._fixed_tokens[key])
        prefix = tuple(prompt[:n])
        if n == 0:
            return
        held = self._common_length(prompt) >= n
        ctx = self.llm._ctx.ctx
        if prefix not in self._prefix_states and not held:
            saved = self._read_state(prefix)
            if saved is not None:
                self._prefix_states[prefix] = saved
                self.prefixes_loaded += 1
        if prefix in self._prefix_states:
            self._prefix_states.move_to_end(prefix)
            if held:
                return
            data = self._prefix_states[prefix]
            self.llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
            if llama_cpp.llama_state_seq_set_data(ctx, buffer, len(data), 0):
                self.llm.input_ids[:n] = prefix
                self.llm.n_tokens = n
                return
            # A state llama.cpp does not take back (a damaged file): computed anew below.
            del self._prefix_states[prefix]
            path = self._state_file(prefix)
            if path is not None:
                path.unlink(missing_ok=True)
        # First use of this prefix: compute it, or cut the memory back to it when it holds the
        # prefix and more (a question before), and keep a copy of exactly the prefix.
        if held:
            self.llm._ctx.kv_cache_seq_rm(-1, n, -1)
            self.llm.n_tokens = n
        else:
            self.llm.reset()
            self.llm.eval(list(prefix))
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
        self._prefix_states[prefix] = ctypes.string_at(buffer, written)
        self._write_state(prefix, self._prefix_states[prefix])
        while len(self._prefix_states) > PREFIX_STATES:
            self._prefix_states.popitem(last=False)

    def _state_file(self, prefix: tuple[int, ...]) -> Path | None:
        if self.state_dir is None:
            return None
        digest = hashlib.sha256(f"{self._state_key}|{','.join(map(str, prefix))}".encode()).hexdigest()[:32]
        return self.state_dir / f"prefix-{digest}.state"

    def _read_state(self, prefix: tuple[int, ...]) -> bytes | None:
        """A saved state whose checksum holds (a damaged or cut file is never given to llama.cpp)."""
        path = self._state_file(prefix)
        try:
            raw = path.read_bytes() if path is not None and path.is_file() else b""
        except OSError:
            return None  # unreadable: computed again and written anew
        head = len(_STATE_MAGIC) + 32
        if not raw.startswith(_STATE_MAGIC) or hashlib.sha256(raw[head:]).digest() != raw[len(_STATE_MAGIC):head]:
            return None
        return raw[head:]

    def _write_state(self, prefix: tuple[int, ...], data: bytes) -> None:
        """Save a prefix state atomically (a reader never sees half a file); the oldest files
        beyond STATE_FILES go. A cache that cannot be written only costs the next start time."""
        path = self._state_file(prefix)
        if path is None:
            return
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(_STATE_MAGIC + hashlib.sha256(data).digest() + data)
            os.replace(partial, path)
            saved = sorted(path.parent.glob("prefix-*.state"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in saved[STATE_FILES:]:
                old.unlink(missing_ok=True)
        except OSError:
            partial.unlink(missing_ok=True)


def _llama_version() -> str:
    import llama_cpp

    return getattr(llama_cpp, "__version__", "unknown")


class _Chosen:
    """A logits processor that changes nothing and notes, at each step, the token greedy decoding
    takes and its log-probability under the model. llama-cpp-python's own `logprobs` needs
    logits_all, which keeps n_ctx x n_vocab floats (2.5 GB at 4096 x 151,936); this costs a
    softmax over the vocabulary a token (under a millisecond)."""

    def __init__(self, chosen: list[tuple[int, float]]):
        self.chosen = chosen

    def __call__(self, input_ids, scores):
        import numpy as np

        best = int(np.argmax(scores))
        self.chosen.append((best, -float(np.log(np.exp(scores - scores[best]).sum()))))
        return scores
