"""Answers before ingest. In one process: while a question is being answered, an upload's
embedding waits between its batches (a batch of 8 chunks is about 0.2 s). In another process:
`rag ingest` runs at the lowest CPU priority. On two cores the LLM's two threads and the
embedder's two would share them, and llama.cpp slows several-fold when another thread takes a
core: a running UI's first token 2.5 s idle, 4.9 s beside an upload in its process, 11.1 s
beside a `rag ingest`; 2.6 s each way with these (BENCHMARKS.md, "Answers while articles are
embedded")."""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager

# `rag ingest`'s niceness: alone it runs as fast as ever; beside a `rag serve` it takes only what
# the answers leave.
INGEST_NICE = 19
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


def lower_cpu_priority() -> int:
    """This process at INGEST_NICE (where the system allows it); its niceness now."""
    try:
        return os.nice(max(0, INGEST_NICE - os.nice(0)))
    except OSError:
        return os.nice(0)
