"""Shared fixtures. The models are the real ones from the model cache (./setup.sh fetches them);
they load once per test session. Tests build their own indexes in temporary folders."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from rag.config import REPO_ROOT, Settings  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from processes import free_port, start_llm_server, stop, wait_for_port  # noqa: E402

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
    try:
        wait_for_port(process, port, 300, "the app", root / "app.log")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield f"http://127.0.0.1:{port}/", corpus, index
    stop(process)


@pytest.fixture(scope="module")
def llm_server(settings, tmp_path_factory):
    """A running llama_cpp.server for the module's tests, stopped by its process id after them;
    yields its /v1 URL."""
    port = free_port()
    process = start_llm_server(settings.llm, port, tmp_path_factory.mktemp("llm-server") / "server.log")
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop(process)
        assert process.poll() is not None
