"""The embedder's ONNX form: the same sentence-transformers model exported once by `rag setup`
(torch's exporter, fp32, its weights in a file beside the graph) and run by ONNX Runtime with the
tokenizer's own Rust library. A process that embeds with it imports no torch, transformers or
sentence-transformers: the embedder is ready in 2-3 s instead of 8-10 s, which was most of
the UI's cold start (BENCHMARKS.md, "Cold start"). Its vectors are the torch model's in fp32
(cosine 1.0000)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

GRAPH = "model.onnx"
WEIGHTS = "model.onnx.data"  # written by the exporter beside the graph; ONNX Runtime maps it
SOURCE = "source.json"  # written last: an export without it is unfinished
# The export is checked against the torch model on these before it is kept.
CHECK_TEXTS = ["task: search result | query: ماذا قال بيسكوف عن مركز بغداد؟",
               "task: search result | query: what did Peskov say about the Baghdad center?",
               "title: none | text: قال المتحدث باسم الكرملين إن المركز لا يستهدف أي دولة. " * 3]
MAX_DIFFERENCE = 1e-3  # largest difference of a vector component between the forms


class OnnxExportError(RuntimeError):
    pass


def export_folder(model_dir: Path, embedder: Path, fingerprint: str) -> Path:
    """Where the export of the model folder `embedder` lives: in the model cache, named by the
    folder's fingerprint so that a changed model never uses an old export."""
    return Path(model_dir) / "embedder-onnx" / f"{Path(embedder).name}-{fingerprint}"


def is_exported(folder: Path) -> bool:
    return all((folder / name).is_file() for name in (GRAPH, WEIGHTS, SOURCE))


def export(embedder: Path, target: Path) -> dict:
    """Export the model folder `embedder` to `target` (replaced whole, atomically), after checking
    that ONNX Runtime gives the torch model's vectors. Needs torch, sentence-transformers and
    onnxscript; about 2 minutes and 4.5 GB of memory for EmbeddingGemma-300m."""
    import torch

    from rag.embedder_torch import TorchEncoder

    model = TorchEncoder(Path(embedder), threads=None, bf16=False).model.eval()

    class Vectors(torch.nn.Module):  # the modules' chain (transformer, pooling, dense, normalize)
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model({"input_ids": input_ids, "attention_mask": attention_mask})["sentence_embedding"]

    sample = model.tokenizer(CHECK_TEXTS, padding=True, return_tensors="pt")
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length")
    shapes = {"input_ids": {0: batch, 1: length}, "attention_mask": {0: batch, 1: length}}
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        # the exporter's progress lines and warnings (torchvision absent, axis names) say nothing
        # to a user; a failure still raises
        with torch.no_grad(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            logging.getLogger("torch.onnx").setLevel(logging.ERROR)
            program = torch.onnx.export(Vectors().eval(), (sample["input_ids"], sample["attention_mask"]),
                                        dynamic_shapes=shapes, dynamo=True, verbose=False,
                                        input_names=["input_ids", "attention_mask"],
                                        output_names=["sentence_vector"])
        program.save(str(partial / GRAPH), external_data=True)
        expected = model.encode(CHECK_TEXTS, prompt="", normalize_embeddings=True)
        source = {"dim": int(expected.shape[1]),
                  "max_tokens": int(model.max_seq_length), "torch": torch.__version__}
        (partial / SOURCE).write_text(json.dumps(source, indent=1))
        got = OnnxEncoder(partial, embedder, threads=None).encode(CHECK_TEXTS)
        difference = float(np.abs(got - expected).max())
        if difference > MAX_DIFFERENCE:
            raise OnnxExportError(f"the ONNX form's vectors differ from the model's by {difference:.2g}")
        if target.exists():
            shutil.rmtree(target)
        os.replace(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    for old in target.parent.glob(f"{Path(embedder).name}-*"):  # exports of the folder as it was
        if old != target and len(old.name) == len(target.name):  # not another's, not unfinished
            shutil.rmtree(old, ignore_errors=True)
    return source


class OnnxEncoder:
    """Texts (prompts included) to unit vectors, as the model's sentence-transformers modules
    compute them."""

    def __init__(self, folder: Path, embedder: Path, threads: int | None):
        import onnxruntime
        from tokenizers import Tokenizer

        source = json.loads((folder / SOURCE).read_text())
        self.dim = source["dim"]
        self.tokenizer = Tokenizer.from_file(str(Path(embedder) / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()  # count_tokens counts all; encode cuts as the model does
        # the model's window less the special tokens the tokenizer adds around a text
        self.max_text_tokens = source["max_tokens"] - self.tokenizer.num_special_tokens_to_add(False)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # its warnings about the exporter's unused names are noise
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        # ONNX Runtime's threads otherwise spin on after each run, on the two cores llama.cpp
        # answers with next
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(folder / GRAPH), options,
                                                    providers=["CPUExecutionProvider"])

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            encodings = self.tokenizer.encode_batch(texts[start:start + batch_size], add_special_tokens=False)
            for e in encodings:
                e.truncate(self.max_text_tokens)
            encodings = [self.tokenizer.post_process(e) for e in encodings]
            width = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(encodings), width), dtype=np.int64)  # padded at the end, masked
            mask = np.zeros_like(ids)
            for row, e in enumerate(encodings):
                ids[row, :len(e.ids)] = e.ids
                mask[row, :len(e.ids)] = 1
            out[start:start + len(encodings)] = self.session.run(
                None, {"input_ids": ids, "attention_mask": mask})[0]
        return out
