"""A stand-in for the embedder where the vectors do not matter (who writes the index, what
ingest keeps): deterministic unit vectors from a text's hash, one token a word, optionally slow
so that two writers overlap."""

from __future__ import annotations

import hashlib
import time

import numpy as np


class FakeEmbedder:
    dim = 8

    def __init__(self, seconds_per_batch: float = 0.0):
        self.seconds_per_batch = seconds_per_batch
        self.id = {"name": "fake", "dim": self.dim, "fingerprint": "fake", "document_format": "fake"}

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
        v = np.random.default_rng(seed).normal(size=self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def encode_query(self, texts):
        return np.array([self._vector(t) for t in texts])

    def encode_documents(self, texts, titles=None, batch_size=8, progress=None, ingest=False):
        out = []
        for start in range(0, len(texts), batch_size):
            batch = texts[start:start + batch_size]
            time.sleep(self.seconds_per_batch)
            out += [self._vector(t) for t in batch]
            if progress:
                progress(len(batch))
        return np.array(out, dtype=np.float32).reshape(len(texts), self.dim)
