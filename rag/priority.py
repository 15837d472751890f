"""Answers before ingest, in one process: while a question is being answered, an upload's
embedding waits between its batches (a batch of 8 chunks is about 0.2 s). On two cores the
LLM's two threads and the embedder's two would share them, and llama.cpp slows several-fold
when another thread takes a core (BENCHMARKS.md, "Answers while an upload is embedding")."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

# The longest an ingest waits at one time: an answer whose stream was abandoned without being
# closed must not hold an upload back for ever.
MAX_WAIT_S = 120.0


class AnswersFirst:
    def __init__(self):
        self._answering = 0
        self._changed = threading.Condition()

    @contextmanager
    def answering(self):
        """Around everything an answer computes: retrieval, the LLM, the checks."""
        with self._changed:
            self._answering += 1
        try:
            yield
        finally:
            with self._changed:
                self._answering -= 1
                self._changed.notify_all()

    @property
    def busy(self) -> bool:
        return self._answering > 0

    def wait_for_answers(self, max_wait: float = MAX_WAIT_S) -> float:
        """Block while an answer is being written (at most `max_wait` seconds); the seconds waited."""
        started = time.monotonic()
        with self._changed:
            self._changed.wait_for(lambda: self._answering == 0, timeout=max_wait)
        return time.monotonic() - started
