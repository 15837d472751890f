"""Query and document embeddings from a local sentence-transformers folder."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from rag.embedder_onnx import OnnxEncoder, export_folder, is_exported
from rag.embedder_torch import TorchEncoder

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


def onnx_folder(settings) -> Path:
    """Where `rag setup` puts the ONNX form of the embedder a Settings names (rag.embedder_onnx)."""
    return export_folder(settings.model_dir, settings.embedder, fingerprint(settings.embedder))


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


def query_prompt(path: Path) -> str:
    """The model's own query prompt (config_sentence_transformers.json), as sentence-transformers'
    encode_query adds it: EmbeddingGemma's "task: search result | query: "."""
    config = path / "config_sentence_transformers.json"
    if not config.is_file():
        return ""
    return (json.loads(config.read_text(encoding="utf-8")).get("prompts") or {}).get("query", "")


class Embedder:
    """Queries and documents to unit vectors. Two runtimes of one model: its ONNX form
    (rag.embedder_onnx, made by `rag setup`) where there is one, since it loads in 2-3 s against
    torch's 8-10 s; torch for an ingest's chunks where the CPU has native bf16 (three times ONNX's
    fp32 speed there), loaded the first time an ingest embeds. Chunks in bf16 and questions in
    fp32 rank as both in bf16 (XQuAD R@1, BENCHMARKS.md "Embedder forms")."""

    def __init__(self, path: Path, threads: int | None = None, dtype: str = "auto", onnx: Path | None = None):
        path = Path(path)
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise EmbedderError(
                f"no sentence-transformers model at {path}; run the setup command "
                f"(./setup.sh) or point RAG_EMBEDDER at a model folder")
        self.path, self.threads = path, threads
        self.dtype = "bf16" if use_bf16(dtype) else "fp32"
        self.query_prompt = query_prompt(path)
        self._onnx = self._torch = None
        if onnx is not None and is_exported(onnx):
            self._onnx = OnnxEncoder(onnx, path, threads)
        # Questions and token counts go through ONNX where there is a form, else torch.
        self._queries = self._onnx or self.torch_encoder()
        self.dim = self._queries.dim
        self.id = embedder_id(path, self.dim)

    @classmethod
    def from_settings(cls, settings) -> "Embedder":
        """The embedder a Settings names, with its threads, precision and runtime."""
        onnx = onnx_folder(settings) if settings.embedder_engine == "auto" else None
        return cls(settings.embedder, threads=settings.threads, dtype=settings.embedder_dtype, onnx=onnx)

    @property
    def engine(self) -> str:
        """The runtime queries are embedded with."""
        return "onnx" if self._onnx else "torch"

    def torch_encoder(self) -> TorchEncoder:
        """The model in torch, loaded on first use (an ingest in bf16, or no ONNX form)."""
        if self._torch is None:
            self._torch = TorchEncoder(self.path, self.threads, bf16=self.dtype == "bf16")
        return self._torch

    def _documents_encoder(self, ingest: bool):
        # ONNX runs fp32: as fast as torch's fp32, a third of its native bf16. An answer's few
        # sentences go through ONNX, so that answering never loads torch.
        if self._onnx and (not ingest or self.dtype == "fp32"):
            return self._onnx
        return self.torch_encoder()

    def count_tokens(self, text: str) -> int:
        return self._queries.count_tokens(text)

    def encode_query(self, texts: list[str]) -> np.ndarray:
        return self._as_array(self._queries.encode([self.query_prompt + t for t in texts]))

    def encode_documents(self, texts: list[str], titles: list[str] | None = None, batch_size: int = 8,
                         progress=None, ingest: bool = False) -> np.ndarray:
        """Embed texts as documents, each with its title in the prompt (default: none, as chunks
        are embedded); `progress(n)` is called after each batch. `ingest`: many texts, embedded by
        the faster runtime for throughput."""
        encoder = self._documents_encoder(ingest)
        titles = titles or [CHUNK_TITLE] * len(texts)
        # Sorting by length keeps padding in each batch small; the order is restored after.
        order = np.argsort([len(t) for t in texts])
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            # The prompt is written into each text, as it may hold a title.
            batch = [DOCUMENT_FORMAT.format(title=titles[i]) + texts[i] for i in rows]
            out[rows] = self._as_array(encoder.encode(batch, batch_size=batch_size))
            if progress:
                progress(len(rows))
        return out

    @staticmethod
    def _as_array(vectors) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)
