"""Embedder forms side by side, in one run: ingest throughput (chunks/s over the XQuAD corpus's
chunks, length-sorted batches as `rag ingest` embeds them) and the XQuAD retrieval guard (R@1 of
the product's hybrid ranking and of dense alone, Arabic and English questions).

    .venv/bin/python bench/embedder_forms.py [--data ../shared/data/xquad] [--forms bf16 fp32 int8]
                                             [--dims 768 256] [--out bench/results/embedder-forms.json]

Forms: bf16 and fp32 (torch), int8 (torch dynamic quantization of every Linear layer to int8
weights, activations quantized on the fly; fp32 elsewhere), onnx (the ONNX form `rag setup`
exports, fp32, for chunks and queries), onnx+bf16 (the ONNX form's queries against torch's bf16
chunks: the default where the CPU has native bf16). A form may replace the default only
if R@1 falls by at most 0.005 in both languages. `--dims` also scores the Matryoshka truncation
of the default form's vectors (first d dimensions, renormalized). Needs ../shared/data/xquad (the
XQuAD files: see its SOURCE.md); measure with nothing else running.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from xquad import load_xquad, retrieval  # noqa: E402

from rag.chunking import chunk_article  # noqa: E402
from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.corpus import Article  # noqa: E402
from rag.embedder import Embedder, onnx_folder  # noqa: E402
from rag.embedder_onnx import is_exported  # noqa: E402
from rag.retriever import Fusion  # noqa: E402
from rag.store import Store  # noqa: E402


def embedder_in(form: str, settings: Settings) -> Embedder:
    if form in ("bf16", "fp32"):
        return Embedder(settings.embedder, threads=settings.threads, dtype=form)
    if form in ("onnx", "onnx+bf16"):
        folder = onnx_folder(settings)
        if not is_exported(folder):
            raise SystemExit(f"no ONNX form in {folder}: run `rag setup`")
        return Embedder(settings.embedder, threads=settings.threads,
                        dtype="fp32" if form == "onnx" else "bf16", onnx=folder)
    if form == "int8":
        import torch

        embedder = Embedder(settings.embedder, threads=settings.threads, dtype="fp32")
        encoder = embedder.torch_encoder()
        encoder.model = torch.ao.quantization.quantize_dynamic(encoder.model, {torch.nn.Linear}, dtype=torch.qint8)
        return embedder
    raise SystemExit(f"unknown form {form}")


def truncated(vectors: np.ndarray, dim: int) -> np.ndarray:
    cut = vectors[:, :dim]
    return cut / np.maximum(np.linalg.norm(cut, axis=1, keepdims=True), 1e-12)


def store_of(chunks, vectors, embedder_id: dict, chunker: dict) -> Store:
    store = Store.empty({**embedder_id, "dim": vectors.shape[1]}, chunker)
    store.add(chunks, vectors, {a: {"hash": a} for a in dict.fromkeys(c.article_id for c in chunks)})
    return store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(REPO_ROOT.parent / "shared/data/xquad"))
    parser.add_argument("--forms", nargs="+", default=["bf16", "fp32", "int8"])
    parser.add_argument("--dims", nargs="*", type=int, default=[768, 512, 256])
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/embedder-forms.json"))
    args = parser.parse_args()
    if not Path(args.data).is_dir():
        raise SystemExit(f"no XQuAD data at {args.data} (see ../shared/data/xquad/SOURCE.md); pass --data")

    settings = Settings.load()
    paragraphs, questions = load_xquad(Path(args.data))
    articles = [Article(id=p["id"], title=p["title"], text=p["text"], source_path="xquad") for p in paragraphs]
    chunker = {"max_tokens": settings.chunk_tokens, "overlap_sentences": settings.chunk_overlap_sentences, "version": 1}
    fusions = {"hybrid": Fusion(), "dense": Fusion(weight=0.0)}
    rows = []
    for form in args.forms:
        embedder = embedder_in(form, settings)
        chunks = [c for a in articles for c in chunk_article(a, embedder.count_tokens, settings.chunk_tokens,
                                                              settings.chunk_overlap_sentences)]
        started = time.perf_counter()
        vectors = embedder.encode_documents([c.text for c in chunks], ingest=True)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        queries = {lang: embedder.encode_query([q[lang] for q in questions]) for lang in ("ar", "en")}
        query_seconds = time.perf_counter() - started
        dims = args.dims if form == args.forms[0] else [vectors.shape[1]]
        for dim in dims:
            store = store_of(chunks, truncated(vectors, dim), embedder.id, chunker)
            scores = retrieval(store, questions, {lang: truncated(v, dim) for lang, v in queries.items()}, fusions)
            row = {"form": form, "dim": dim, "chunks": len(chunks), "chunks_per_s": round(len(chunks) / seconds, 2),
                   "queries_per_s": round(2 * len(questions) / query_seconds, 1),
                   **{f"{name} R@1": s["R@1"] for name, s in scores.items()}}
            rows.append(row)
            print(json.dumps(row), flush=True)
        del embedder
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"benchmark": "embedder-forms", "cpu_threads": settings.threads,
                                          "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
