"""Query and document embeddings from a local sentence-transformers folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# EmbeddingGemma's document prompt. Chunks get the model's own "none" in place of a title: a
# news article covers several stories and its headline names one, so with the headline in the
# prompt a chunk about another story ranked below other articles' chunks about the headline's
# subject (seed questions among 2,000 news articles, hit@5 0.897 with headlines, 0.949 without:
# BENCHMARKS.md). The claim check's passage sentences keep their headline.
DOCUMENT_FORMAT = "title: {title} | text: "
CHUNK_TITLE = "none"


class EmbedderError(RuntimeError):
    pass


def fingerprint(path: Path) -> str:
    """Identifies a model folder's weights without hashing a gigabyte on every start."""
    digest = hashlib.sha256()
    for name in ("config.json", "modules.json", "config_sentence_transformers.json"):
        file = path / name
        if file.is_file():
            digest.update(file.read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def embedder_id(path: Path, dim: int | None) -> dict:
    """What an index records of the embedder its vectors came from, and is checked against."""
    return {"name": path.name, "dim": dim, "fingerprint": fingerprint(path),
            "document_format": DOCUMENT_FORMAT.format(title=CHUNK_TITLE)}


def bf16_is_fast() -> bool:
    """Whether the CPU computes in bf16 natively. Without avx512_bf16 or AMX, torch emulates it
    and bf16 is slower than fp32: measured 1.9 vs 4.4 chunks/s on this project's 2-core Xeon."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def use_bf16(dtype: str) -> bool:
    if dtype not in ("auto", "bf16", "fp32"):
        raise EmbedderError(f"embedder dtype must be auto, bf16 or fp32, not {dtype!r}")
    return bf16_is_fast() if dtype == "auto" else dtype == "bf16"


class Embedder:
    def __init__(self, path: Path, threads: int | None = None, dtype: str = "auto"):
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()

        path = Path(path)
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise EmbedderError(
                f"no sentence-transformers model at {path}; run the setup command "
                f"(./setup.sh) or point RAG_EMBEDDER at a model folder")
        if threads:
            torch.set_num_threads(threads)
        self.dtype = "bf16" if use_bf16(dtype) else "fp32"
        self.path = path
        torch_dtype = torch.bfloat16 if self.dtype == "bf16" else torch.float32
        self.model = SentenceTransformer(
            str(path), device="cpu", local_files_only=True, model_kwargs={"dtype": torch_dtype})
        self.dim = self.model.get_embedding_dimension()
        self.id = embedder_id(path, self.dim)

    @classmethod
    def from_settings(cls, settings) -> "Embedder":
        """The embedder a Settings names, with its threads and precision."""
        return cls(settings.embedder, threads=settings.threads, dtype=settings.embedder_dtype)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode_query(self, texts: list[str]) -> np.ndarray:
        return self._as_array(self.model.encode_query(texts, batch_size=16))

    def encode_documents(self, texts: list[str], titles: list[str] | None = None, batch_size: int = 8,
                         progress=None) -> np.ndarray:
        """Embed texts as documents, each with its title in the prompt (default: none, as chunks
        are embedded); `progress(n)` is called after each batch."""
        titles = titles or [CHUNK_TITLE] * len(texts)
        # Sorting by length keeps padding in each batch small; the order is restored after.
        order = np.argsort([len(t) for t in texts])
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            # The prompt is written into each text (it may hold a title), so the model's own
            # document prompt is switched off with prompt="".
            batch = [DOCUMENT_FORMAT.format(title=titles[i]) + texts[i] for i in rows]
            out[rows] = self._as_array(self.model.encode_document(batch, prompt="", batch_size=batch_size))
            if progress:
                progress(len(rows))
        return out

    @staticmethod
    def _as_array(vectors) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)
