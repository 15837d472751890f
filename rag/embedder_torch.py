"""The embedder on torch: the sentence-transformers model as it is, loaded the first time an
ingest embeds in bf16 or where there is no ONNX form (rag.embedder), and the source the ONNX form
is exported from (rag.embedder_onnx)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class TorchEncoder:
    """Texts (prompts included) to vectors with sentence-transformers on torch."""

    def __init__(self, path: Path, threads: int | None, bf16: bool):
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()
        if threads:
            torch.set_num_threads(threads)
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True,
                                         model_kwargs={"dtype": torch.bfloat16 if bf16 else torch.float32})
        self.dim = self.model.get_embedding_dimension()

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        return np.asarray(self.model.encode(texts, prompt="", batch_size=batch_size), dtype=np.float32)
