"""Settings: defaults, overridden by environment variables, overridden by command-line flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from rag.condense import EVIDENCE_TOKENS
from rag.corpus import MAX_ARTICLE_CHARS, ReadLimits

REPO_ROOT = Path(__file__).resolve().parent.parent
# Hybrid ranking's defaults (see rag.retriever.Fusion): BM25's weight chosen on XQuAD
# (bench/xquad.py --grid); the neighbours' weight is off: it helps on XQuAD's single-topic
# paragraphs, but costs news a little MRR among 2,000 other articles (bench/distractors.py)
# and the seed set two right answers (docs/design.md, "Ranking and passages").
BM25_WEIGHT = 0.2
CONTEXT_WEIGHT = 0.0
INDEX_ENGINES = ("faiss", "qdrant")  # RAG_INDEX: rag.vector_index.open_engine opens each
EMBEDDER_ENGINES = ("auto", "torch")  # RAG_EMBEDDER_ENGINE (rag.embedder.Embedder)


def usable_cores(cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """The cores this process may run on: those of its CPU affinity (taskset, a container's
    cpuset), fewer where a cgroup's CPU quota allows less (a container's --cpus). os.cpu_count()
    counts the whole host, and llama.cpp with more threads than cores is slower (8 threads on 2
    cores: generation 8.0 against 10.5 tokens/s, docs/experiments.md)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = cpu_max.read_text().split()[:2]
        if quota != "max":
            cores = min(cores, -(-int(quota) // int(period)))  # a quota of 1.5 cores: 2 threads
    except (OSError, ValueError):
        pass  # no cgroup v2 quota here
    return max(1, cores)


def _default_model_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-news" / "models"


def setting(default, env: str, help: str, flag: str | None = None, **kwargs):
    """A Settings field with its environment variable and, for the common ones, its CLI flag:
    the one source the CLI's flags, the environment and the README's table are checked against."""
    return field(default=default, metadata={"env": env, "flag": flag, "help": help}, **kwargs)


@dataclass(frozen=True)
class Settings:
    model_dir: Path = setting(_default_model_dir(), "RAG_MODEL_DIR", "model cache", "--model-dir")
    embedder_path: Path | None = setting(None, "RAG_EMBEDDER", "sentence-transformers model folder "
                                         "(default: in the model cache)", "--embedder")
    llm_path: Path | None = setting(None, "RAG_LLM", "GGUF model file run in this process "
                                    "(default: in the model cache)", "--llm")
    llm_url: str = setting("", "RAG_LLM_URL", "OpenAI-compatible LLM server, such as "
                           "http://127.0.0.1:8000/v1 (instead of the GGUF in this process)", "--llm-url")
    llm_model: str = setting("", "RAG_LLM_MODEL", "model name on that server (default: its only model)",
                             "--llm-model")
    llm_api_key: str = setting("", "RAG_LLM_API_KEY", "API key for that server (environment only)", repr=False)
    llm_timeout: float = setting(120.0, "RAG_LLM_TIMEOUT", "seconds to wait for that server")
    llm_deadline: float = setting(300.0, "RAG_LLM_DEADLINE", "seconds one answer from that server may take in all")
    llm_proxy: str = setting("", "RAG_LLM_PROXY", "proxy for that server's requests (default none: "
                             "HTTP_PROXY and the like are not used, so the API key goes to the server only)")
    llm_options: str = setting("", "RAG_LLM_OPTIONS", "engine-specific request fields for that server, "
                               "a JSON object")
    embedder_dtype: str = setting("auto", "RAG_EMBEDDER_DTYPE", "embedder precision: auto, bf16 or fp32")
    embedder_engine: str = setting("auto", "RAG_EMBEDDER_ENGINE", "embedder runtime: auto (its ONNX form where "
                                   "`rag setup` made one, torch for documents where the CPU has bf16) or torch")
    index_dir: Path = setting(REPO_ROOT / "index", "RAG_INDEX_DIR", "index folder (manifest, chunks; "
                              "with FAISS the vectors too)", "--index")
    index_engine: str = setting("faiss", "RAG_INDEX", "vector engine: faiss (in this process) or qdrant",
                                "--index-engine")
    qdrant_url: str = setting("", "RAG_QDRANT_URL", "Qdrant server or cluster, such as http://127.0.0.1:6333 "
                              "(default with qdrant: Qdrant's local mode in the index folder)", "--qdrant-url")
    qdrant_collection: str = setting("rag-news", "RAG_QDRANT_COLLECTION", "Qdrant collection of this index")
    qdrant_api_key: str = setting("", "RAG_QDRANT_API_KEY", "API key for that Qdrant (environment only)", repr=False)
    ingest_batch: int = setting(1024, "RAG_INGEST_BATCH", "chunks `rag ingest` embeds between two commits "
                                "(a kill loses at most one batch)")
    corpus_dir: Path = setting(REPO_ROOT / "seeds", "RAG_CORPUS", "article folder: what `rag ingest` reads "
                               "without paths, where uploads go", "--corpus")
    top_k: int = setting(3, "RAG_TOP_K", "chunks given to the LLM", "--top-k")
    passage_tokens: int = setting(400, "RAG_PASSAGE_TOKENS", "most embedder tokens of passages given to the LLM")
    evidence_tokens: int = setting(EVIDENCE_TOKENS, "RAG_EVIDENCE_TOKENS", "embedder tokens of the passages' "
                                   "sentences closest to the question the LLM reads (0: whole passages)")
    passages_per_article: int = setting(2, "RAG_PASSAGES_PER_ARTICLE", "most separate passages from one article")
    bm25_weight: float = setting(BM25_WEIGHT, "RAG_BM25_WEIGHT", "BM25's part in the ranking")
    context_weight: float = setting(CONTEXT_WEIGHT, "RAG_CONTEXT_WEIGHT", "weight of a chunk's neighbours")
    threads: int = setting(usable_cores(), "RAG_THREADS", "CPU threads", "--threads")
    context_tokens: int = setting(4096, "RAG_CONTEXT_TOKENS", "llama.cpp context window")
    max_answer_tokens: int = setting(256, "RAG_MAX_ANSWER_TOKENS", "longest answer, in tokens")
    # short chunks keep the 1.5B LLM accurate and fast
    chunk_tokens: int = setting(64, "RAG_CHUNK_TOKENS", "largest chunk, in embedder tokens")
    chunk_overlap_sentences: int = setting(1, "RAG_CHUNK_OVERLAP_SENTENCES", "sentences a chunk repeats of the one before")
    max_article_chars: int = setting(MAX_ARTICLE_CHARS, "RAG_MAX_ARTICLE_CHARS", "longest article indexed, "
                                     "in characters (longer ones are cut, with a warning)")
    read_seconds: float = setting(ReadLimits.seconds, "RAG_READ_SECONDS", "CPU seconds to read one file "
                                  "(twice this on the clock); a file over it is reported and skipped")
    read_memory_mb: int = setting(ReadLimits.memory_mb, "RAG_READ_MEMORY_MB", "memory the process reading "
                                  "files may use, in MB")
    pdf_pages: int = setting(ReadLimits.pdf_pages, "RAG_PDF_PAGES", "pages of one PDF read")
    unpacked_mb: int = setting(ReadLimits.unpacked_mb, "RAG_UNPACKED_MB", "MB a ZIP or DOCX may unpack to, "
                               "its members together")

    @classmethod
    def load(cls, **overrides) -> "Settings":
        values = {}
        for f in fields(cls):
            env = f.metadata["env"]
            if os.environ.get(env):
                values[f.name] = _convert(f.name, os.environ[env])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **{k: _convert(k, v) for k, v in values.items()})

    @classmethod
    def add_flags(cls, parser) -> None:
        """An argparse flag for each field that has one, named and explained by the field."""
        for f in fields(cls):
            if f.metadata["flag"]:
                kind = {"int": int, "float": float}.get(f.type, str)
                parser.add_argument(f.metadata["flag"], dest=f.name, type=kind,
                                    help=f"{f.metadata['help']} (env {f.metadata['env']})")

    @classmethod
    def from_args(cls, args) -> "Settings":
        """Settings from the environment, with the flags of add_flags that were given."""
        return cls.load(**{f.name: getattr(args, f.name, None) for f in fields(cls) if f.metadata["flag"]})

    @property
    def read_limits(self) -> ReadLimits:
        return ReadLimits(self.read_seconds, self.read_memory_mb, self.pdf_pages, self.unpacked_mb)

    @property
    def headlines(self) -> bool:
        """Whether the LLM's sources carry their headlines: when it reads whole passages, not
        when it reads only their closest sentences (docs/experiments.md, 2026-12-03)."""
        return not self.evidence_tokens

    @property
    def embedder(self) -> Path:
        return Path(self.embedder_path or self.model_dir / "embeddinggemma-300m")

    @property
    def llm(self) -> Path:
        return Path(self.llm_path or self.model_dir / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")


class SettingsError(ValueError):
    """A setting's value cannot be used; says which and why."""


def _convert(name: str, value):
    """A setting given as text (environment, flags), as the type of its field."""
    if not isinstance(value, str):
        return value
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if name == "index_engine" and value not in INDEX_ENGINES:
        raise SettingsError(f"RAG_INDEX (the vector engine) is {' or '.join(INDEX_ENGINES)}, not {value!r}"
                            + ("; the index folder is RAG_INDEX_DIR" if "/" in value else ""))
    if name == "embedder_engine" and value not in EMBEDDER_ENGINES:
        raise SettingsError(f"RAG_EMBEDDER_ENGINE is {' or '.join(EMBEDDER_ENGINES)}, not {value!r}")
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        env = {f.name: f.metadata["env"] for f in fields(Settings)}[name]
        raise SettingsError(f"{env} is a number ({kind}), not {value!r}") from None
    if kind == "str":
        return value
    return Path(value).expanduser()
