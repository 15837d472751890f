"""The embedder's ONNX form (rag/embedder_onnx.py): the vectors and token counts of the torch model,
and a process that embeds a question with it loads no torch. `rag setup` (./setup.sh) exports it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import REPO_ROOT, Settings, SettingsError
from rag.embedder import Embedder, fingerprint, onnx_folder
from rag.embedder_onnx import SOURCE, export_folder, is_exported

TEXTS = ["ماذا قال بيسكوف عن مركز بغداد للمعلومات؟", "What did Peskov say about the Baghdad center?",
         "أكد المتحدث باسم الكرملين أن المركز لا يستهدف أي دولة، وأنه مفتوح لانضمام الآخرين."]


def test_an_export_is_found_by_the_fingerprint_of_the_model_it_came_from(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"hidden_size": 768}')
    (model / "model.safetensors").write_bytes(b"0" * 10)
    before = export_folder(tmp_path / "cache", model, fingerprint(model))
    (model / "model.safetensors").write_bytes(b"0" * 11)  # new weights: the old export is not theirs
    after = export_folder(tmp_path / "cache", model, fingerprint(model))
    assert before != after and before.parent == after.parent


def test_an_unfinished_export_is_not_used(tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"graph")
    (tmp_path / "model.onnx.data").write_bytes(b"weights")
    assert not is_exported(tmp_path)  # the exporter writes source.json last
    (tmp_path / SOURCE).write_text(json.dumps({"dim": 768, "max_tokens": 2048}))
    assert is_exported(tmp_path)


def test_the_engine_setting_names_its_choices(monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDER_ENGINE", "onnx")
    with pytest.raises(SettingsError, match="auto or torch"):
        Settings.load()


@pytest.fixture(scope="module")
def exported(settings) -> Path:
    folder = onnx_folder(settings)
    assert is_exported(folder), f"no ONNX form of the embedder in {folder}: run ./setup.sh"
    return folder


@pytest.fixture(scope="module")
def both(settings, exported):
    """The model in fp32 on each runtime."""
    return (Embedder(settings.embedder, settings.threads, dtype="fp32", onnx=exported),
            Embedder(settings.embedder, settings.threads, dtype="fp32"))


def test_the_onnx_form_gives_the_models_vectors(both):
    onnx, torch = both
    assert (onnx.engine, torch.engine) == ("onnx", "torch")
    assert onnx.id == torch.id  # one model: an index made by either is read by the other
    for vectors in ((onnx.encode_query(TEXTS), torch.encode_query(TEXTS)),
                    (onnx.encode_documents(TEXTS, titles=["none", "none", "الكرملين"]),
                     torch.encode_documents(TEXTS, titles=["none", "none", "الكرملين"]))):
        cosine = (vectors[0] * vectors[1]).sum(axis=1)
        assert cosine.min() > 0.9999, cosine
    # the query's own prompt is used: a question is not embedded as a document
    assert (onnx.encode_query(TEXTS[:1]) * onnx.encode_documents(TEXTS[:1])).sum() < 0.99


def test_the_onnx_form_counts_tokens_and_cuts_long_texts_as_the_model_does(both):
    onnx, torch = both
    article = sorted((REPO_ROOT / "seeds").glob("*.txt"))[0].read_text(encoding="utf-8")
    for text in [article, *article.splitlines(), *TEXTS, ""]:
        assert onnx.count_tokens(text) == torch.count_tokens(text)
    long = " ".join([article] * 12)  # past the model's 2,048 tokens: both keep the first 2,048
    assert torch.count_tokens(long) > 2100
    cosine = float((onnx.encode_query([long]) * torch.encode_query([long])).sum())
    assert cosine > 0.9999


def test_an_ingest_is_embedded_by_torch_only_where_the_cpu_has_bf16(settings, exported):
    fp32 = Embedder(settings.embedder, settings.threads, dtype="fp32", onnx=exported)
    assert fp32._documents_encoder(ingest=True) is fp32._onnx and fp32._torch is None
    bf16 = Embedder(settings.embedder, settings.threads, dtype="bf16", onnx=exported)
    bf16.encode_documents(TEXTS)  # an answer's sentences: torch is not loaded for them
    assert bf16._torch is None
    assert bf16._documents_encoder(ingest=True) is bf16._torch is not None


def test_a_process_that_embeds_a_question_loads_no_torch(settings, exported):
    code = ("import sys; from rag.config import Settings; from rag.embedder import Embedder; "
            "e = Embedder.from_settings(Settings.load()); e.encode_query(['متى؟']); "
            "print(e.engine, sorted({'torch', 'transformers', 'sentence_transformers'} & set(sys.modules)))")
    env = {**os.environ, "RAG_MODEL_DIR": str(settings.model_dir)}
    env.pop("RAG_EMBEDDER_ENGINE", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["onnx", "[]"]
    env["RAG_EMBEDDER_ENGINE"] = "torch"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.stdout.startswith("torch ['sentence_transformers', 'torch', 'transformers']"), out.stderr

