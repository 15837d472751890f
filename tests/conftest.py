"""Shared fixtures. The models are the real ones from the model cache (./setup.sh fetches them);
they load once per test session. Tests build their own indexes in temporary folders."""

import os
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

    return Embedder(settings.embedder, threads=settings.threads)


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
