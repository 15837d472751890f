"""Shared fixtures. The models are the real ones from the model cache (./setup.sh fetches them);
they load once per test session. Tests build their own indexes in temporary folders."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from rag.config import REPO_ROOT, Settings  # noqa: E402

SEEDS = REPO_ROOT / "seeds"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    s = Settings.load(index_dir=tmp_path_factory.mktemp("index"))
    for path in (s.embedder, s.llm):
        assert path.exists(), f"{path} is missing: run ./setup.sh first"
    return s


@pytest.fixture(scope="session")
def embedder(settings):
    from rag.embedder import Embedder

    return Embedder.from_settings(settings)


@pytest.fixture(scope="session")
def seed_index(settings, embedder) -> Settings:
    """The seed articles, indexed once for the session."""
    from rag.ingest import ingest

    report = ingest([SEEDS], settings, embedder)
    assert report.total_articles == 2 and not report.problems
    return settings


@pytest.fixture(scope="session")
def assistant(seed_index, embedder):
    from rag.chat import Assistant

    return Assistant(seed_index, embedder=embedder)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_server(seed_index, tmp_path_factory):
    """app.py on loopback, on a copy of the seed index and corpus (uploads change both);
    yields (url, corpus folder, index folder)."""
    root = tmp_path_factory.mktemp("app")
    index, corpus = root / "index", root / "corpus"
    shutil.copytree(seed_index.index_dir, index)
    shutil.copytree(SEEDS, corpus)
    port = free_port()
    log = open(root / "app.log", "w")
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--index", str(index), "--corpus", str(corpus)],
        cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 300
    while time.time() < deadline:
        assert process.poll() is None, (root / "app.log").read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(1)
    else:
        process.kill()
        pytest.fail("the app did not start in 300 s")
    yield f"http://127.0.0.1:{port}/", corpus, index
    process.terminate()
    process.wait(timeout=30)


def start_llm_server(model: Path, port: int, log_path: Path, context: int = 2048, threads: int = 1) -> subprocess.Popen:
    """`python -m llama_cpp.server` on loopback with the project's GGUF: one thread, a small
    context, and interrupt_requests off (on, a second streaming request cuts the first off)."""
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "qwen",
         "--host", "127.0.0.1", "--port", str(port), "--n_threads", str(threads), "--n_threads_batch", str(threads),
         "--n_ctx", str(context), "--interrupt_requests", "False"],
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 180
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited: {log_path.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(1)
    process.kill()
    raise RuntimeError("llama_cpp.server did not start in 180 s")


@pytest.fixture(scope="module")
def llm_server(settings, tmp_path_factory):
    """A running llama_cpp.server for the module's tests, stopped by its process id after them;
    yields its /v1 URL."""
    port = free_port()
    process = start_llm_server(settings.llm, port, tmp_path_factory.mktemp("llm-server") / "server.log")
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.poll() is not None
