"""The index on disk: FAISS vectors, chunk metadata and a manifest, written atomically.

Layout of the index folder:
    CURRENT               name of the live version folder (replaced atomically)
    v-<stamp>/faiss.index  inner-product index over unit vectors (cosine)
    v-<stamp>/chunks.jsonl one chunk a line, in the row order of the FAISS index
    v-<stamp>/manifest.json embedder, chunker settings, one entry per article (content hash …)
    v-<stamp>/terms.jsonl  each chunk's BM25 terms, same order (derived data: made again from the
                           chunks when missing or made by another version of rag.lexical)
    .lock                  held by the one process writing the index (writer_lock)

A save writes a new version folder beside the live one, then points CURRENT at it with one
rename, so a crash at any moment leaves the previous version loadable. The manifest records the
size and sha256 of each file of its version, checked on load. One writer at a time: ingest holds
writer_lock from loading the index to saving it, and a save refuses to switch CURRENT when it no
longer names the version the writer started from. The version replaced is kept (a reader may be
loading it) and only versions and leftovers older than it are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np
from filelock import FileLock, Timeout

from rag import lexical
from rag.types import Chunk

FORMAT = 1
POINTER = "CURRENT"
LOCK = ".lock"
VERSION_PREFIX = "v-"
# Recorded by size and sha256 in the manifest. The first two are checked on load (damage is
# refused); terms.jsonl is derived data, made again from the chunks when it does not match.
INDEX_FILES = ("faiss.index", "chunks.jsonl", "terms.jsonl")
VERIFIED_FILES = ("faiss.index", "chunks.jsonl")

# Exact search up to this many chunks, an inverted file (IVF-Flat) past it. bench/retrieval.py,
# 768-d, two cores: exact search takes 3 ms at p95 over 10k chunks, 25-48 ms over 100k and
# 250 ms over 1M. An HNSW graph answered in 1-7 ms but found only 0.70-0.89 of the exact top 10
# at 1M; the inverted file, probing 64 of its lists, finds 0.99+ within a few ms (BENCHMARKS.md).
APPROXIMATE_FROM = 100_000
IVF_PROBES = 64  # lists searched a query (nprobe)
IVF_TRAINING_PER_LIST = 64  # k-means sample: this many vectors a list at most


def ivf_lists(count: int) -> int:
    """Lists of an inverted file over `count` vectors: about 4 sqrt(count), a power of two
    (1,024 at 100k, 4,096 at 1M)."""
    return 1 << round(np.log2(4 * np.sqrt(count)))


def build_index(vectors: np.ndarray) -> faiss.Index:
    """Inner-product index over unit vectors: exact while small, an inverted file when large."""
    dim = vectors.shape[1]
    if len(vectors) < APPROXIMATE_FROM:
        index = faiss.IndexFlatIP(dim)
    else:
        lists = ivf_lists(len(vectors))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).permutation(len(vectors))[:lists * IVF_TRAINING_PER_LIST]
        index.train(vectors[np.sort(sample)])
        index.nprobe = IVF_PROBES
    index.add(vectors)
    return index


def index_vectors(index: faiss.Index) -> np.ndarray:
    """All vectors of an index, in row order."""
    if not index.ntotal:
        return np.zeros((0, index.d), dtype=np.float32)
    if isinstance(index, faiss.IndexIVF):
        index.make_direct_map()  # an inverted file finds a row's vector only through this map
    return index.reconstruct_n(0, index.ntotal)


class StoreError(RuntimeError):
    """The index is missing, damaged or was built with other settings."""


@dataclass
class Store:
    manifest: dict
    chunks: list[Chunk] = field(default_factory=list)
    vectors: np.ndarray | None = None  # (n, dim) float32, rows in chunk order
    terms: list[list[str]] | None = None  # BM25 terms per chunk, rows in chunk order
    _index: faiss.Index | None = None
    _lexical: lexical.LexicalIndex | None = None
    _neighbours: tuple[np.ndarray, np.ndarray] | None = None
    _rows: dict[str, int] | None = None  # chunk_id -> row, built on first use
    index_dir: Path | None = None  # where it was loaded from, named in the messages that say how to rebuild it
    version: str | None = None  # the version folder it was loaded from (None: a new index)

    def __post_init__(self):
        if self.terms is None or len(self.terms) != len(self.chunks):
            self.terms = [chunk_terms(c) for c in self.chunks]

    @classmethod
    def empty(cls, embedder_id: dict, chunker: dict) -> "Store":
        manifest = {"format": FORMAT, "embedder": embedder_id, "chunker": chunker, "articles": {}}
        return cls(manifest, [], np.zeros((0, embedder_id["dim"]), dtype=np.float32))

    @property
    def articles(self) -> dict:
        return self.manifest["articles"]

    @property
    def index(self) -> faiss.Index:
        if self._index is None:
            self._index = build_index(self.vectors)
        return self._index

    @property
    def lexical(self) -> lexical.LexicalIndex:
        if self._lexical is None:
            self._lexical = lexical.LexicalIndex(self.terms)
        return self._lexical

    @property
    def neighbours(self) -> tuple[np.ndarray, np.ndarray]:
        """Each chunk's row before and after it in its article, the chunk's own row at the
        article's start or end (an article's chunks are stored together, in order)."""
        if self._neighbours is None:
            rows = np.arange(len(self.chunks))
            follows = np.asarray([i > 0 and self.chunks[i - 1].article_id == c.article_id
                                  and self.chunks[i - 1].position == c.position - 1
                                  for i, c in enumerate(self.chunks)], dtype=bool)
            before = np.where(follows, rows - 1, rows)
            after = np.where(np.append(follows[1:], False), rows + 1, rows)
            self._neighbours = (before, after)
        return self._neighbours

    def search(self, query: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        return [(self.chunks[r], s) for r, s in self.search_rows(query, k)]

    def search_rows(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k rows nearest to a unit query vector, with their cosine scores."""
        if not self.chunks:
            return []
        scores, rows = self.index.search(query.reshape(1, -1).astype(np.float32), min(k, len(self.chunks)))
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def vectors_of(self, chunk_ids: list[str]) -> np.ndarray:
        if self._rows is None:
            self._rows = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        return self.vectors[[self._rows[c] for c in chunk_ids]]

    def remove_articles(self, article_ids: set[str]) -> None:
        keep = [i for i, c in enumerate(self.chunks) if c.article_id not in article_ids]
        self.chunks = [self.chunks[i] for i in keep]
        self.terms = [self.terms[i] for i in keep]
        self.vectors = self.vectors[keep]
        for article_id in article_ids:
            self.articles.pop(article_id, None)
        self._index = self._lexical = self._neighbours = self._rows = None

    def add(self, chunks: list[Chunk], vectors: np.ndarray, articles: dict[str, dict]) -> None:
        self.chunks += chunks
        self.terms += [chunk_terms(c) for c in chunks]
        self.vectors = np.vstack([self.vectors, vectors.astype(np.float32)])
        self.articles.update(articles)
        self._index = self._lexical = self._neighbours = self._rows = None

    def check_compatible(self, embedder_id: dict, chunker: dict) -> None:
        """Refuse an index built with another embedder or other chunk settings."""
        built = self.manifest.get("embedder", {})
        if any(built.get(k) != embedder_id.get(k) for k in ("name", "dim", "fingerprint")):
            raise StoreError(
                f"the index was built with embedder {built.get('name')} "
                f"(dim {built.get('dim')}, fingerprint {built.get('fingerprint')}), not "
                f"{embedder_id['name']} (dim {embedder_id['dim']}, fingerprint "
                f"{embedder_id['fingerprint']}); re-ingest with {rebuild_command(self.index_dir)}")
        problem = document_prompt_changed(built, embedder_id)
        if problem:
            raise StoreError(f"{problem}; re-ingest with {rebuild_command(self.index_dir)}")
        if self.manifest.get("chunker") != chunker:
            raise StoreError(
                f"the index was built with chunk settings {self.manifest.get('chunker')}, "
                f"not {chunker}; re-ingest with {rebuild_command(self.index_dir)}")

    def save(self, index_dir: Path, replaces: str | None = ...) -> Path:
        """Write a new version and make it current. `replaces` is the version that must still be
        current (default: the one this store was loaded from; None: there must be no index yet,
        unless the caller passes the version it is rebuilding); StoreError when another writer
        switched CURRENT in between. Hold writer_lock(index_dir) around load and save."""
        replaces = self.version if replaces is ... else replaces
        index_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        version = index_dir / f"{VERSION_PREFIX}{stamp}"
        staging = index_dir / f".tmp-{stamp}"
        staging.mkdir()
        started = staging.stat().st_mtime
        faiss.write_index(self.index, str(staging / "faiss.index"))
        with open(staging / "chunks.jsonl", "w", encoding="utf-8") as f:
            for chunk in self.chunks:
                f.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
        with open(staging / "terms.jsonl", "w", encoding="utf-8") as f:
            for chunk_terms_ in self.terms:
                f.write(json.dumps(chunk_terms_, ensure_ascii=False) + "\n")
        self.manifest["lexical"] = lexical.VERSION
        self.manifest["saved"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        self.manifest["chunks"] = len(self.chunks)
        self.manifest["files"] = {name: _file_record(staging / name) for name in INDEX_FILES}
        (staging / "manifest.json").write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1))
        _fsync_folder(staging)
        staging.rename(version)
        live = pointer_text(index_dir)
        if live != replaces:
            shutil.rmtree(version)
            raise StoreError(
                f"the index in {index_dir} was changed by another writer while this one worked "
                f"(it is now {live}, not {replaces}); nothing was written: run it again")
        pointer_tmp = index_dir / f".{POINTER}.tmp-{stamp}"
        with open(pointer_tmp, "w") as f:
            f.write(version.name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(pointer_tmp, index_dir / POINTER)  # the one atomic switch
        _fsync_dir(index_dir)
        self.version, self.index_dir = version.name, index_dir
        previous = index_dir / live if live and Path(live).name == live and live.startswith(VERSION_PREFIX) else None
        cutoff = previous.stat().st_mtime if previous and previous.is_dir() else started
        _remove_stale(index_dir, keep={version.name, live}, older_than=cutoff)
        return version

    @classmethod
    def load(cls, index_dir: Path) -> "Store":
        version = current_version(index_dir)
        manifest = read_manifest(version)
        try:
            if manifest.get("format") != FORMAT:
                raise StoreError(f"index format {manifest.get('format')} is not {FORMAT}")
            _verify_files(version, manifest)
            with open(version / "chunks.jsonl", encoding="utf-8") as f:
                chunks = [Chunk(**json.loads(line)) for line in f if line.strip()]
            index = faiss.read_index(str(version / "faiss.index"))
            vectors = index_vectors(index)
        except StoreError:
            raise
        except Exception as exc:  # any damage: missing file, truncated JSON, bad FAISS data
            raise StoreError(
                f"the index in {index_dir} is damaged ({type(exc).__name__}: {exc}); "
                f"rebuild it with {rebuild_command(index_dir)}") from None
        if len(chunks) != index.ntotal or manifest.get("chunks") != len(chunks):
            raise StoreError(
                f"the index in {index_dir} is inconsistent ({len(chunks)} chunks, "
                f"{index.ntotal} vectors); rebuild it with {rebuild_command(index_dir)}")
        return cls(manifest, chunks, np.asarray(vectors, dtype=np.float32),
                   _load_terms(version, manifest, len(chunks)), index, index_dir=index_dir,
                   version=version.name)


def document_prompt_changed(built: dict, embedder_id: dict) -> str | None:
    """Why chunks embedded as the manifest's `built` embedder record says cannot be searched with
    `embedder_id`'s document prompt (None when the prompts are the same)."""
    if built.get("document_format") == embedder_id.get("document_format"):
        return None
    return (f"the index's chunks were embedded with the document prompt {built.get('document_format')!r}, "
            f"not {embedder_id.get('document_format')!r} as this version does")


def rebuild_command(index_dir: Path | None) -> str:
    """The command that rebuilds the index in `index_dir`, as the error messages give it."""
    return f"`rag ingest --rebuild --index {index_dir}`" if index_dir else "`rag ingest --rebuild`"


def current_version(index_dir: Path) -> Path:
    """The folder of the index's current version (CURRENT names it; see Store.save)."""
    name = _pointer_name(index_dir)
    if name is None:
        raise StoreError(f"no index in {index_dir}; build one with `rag ingest`")
    return index_dir / name


def pointer_text(index_dir: Path) -> str | None:
    """What CURRENT says, unchecked (None when there is no CURRENT)."""
    pointer = index_dir / POINTER
    if not pointer.is_file():
        return None
    return pointer.read_text(encoding="utf-8", errors="replace").strip()


def _pointer_name(index_dir: Path) -> str | None:
    """The version folder CURRENT names (None when there is no CURRENT); StoreError when it names
    anything but a version folder directly inside the index."""
    name = pointer_text(index_dir)
    if name is None:
        return None
    if (not name.startswith(VERSION_PREFIX) or Path(name).name != name or name in (".", "..")
            or not (index_dir / name).is_dir()):
        raise StoreError(f"the index in {index_dir} is damaged ({POINTER} names {name[:80]!r}, not a "
                         f"version folder of it); rebuild it with {rebuild_command(index_dir)}")
    return name


def writer_lock(index_dir: Path, timeout: float = -1) -> FileLock:
    """The lock a process holds while it writes the index in `index_dir` (a file lock, so it
    holds across processes: `rag ingest`, `rag setup` and every `rag serve`). `timeout` seconds
    to wait, -1 for as long as it takes; acquiring it raises IndexBusy after that."""
    index_dir.mkdir(parents=True, exist_ok=True)
    return _Lock(str(index_dir / LOCK), timeout=timeout)


class IndexBusy(StoreError):
    """Another process is writing the index."""


class _Lock(FileLock):
    def acquire(self, *args, **kwargs):
        try:
            return super().acquire(*args, **kwargs)
        except Timeout:
            raise IndexBusy(f"another process is adding articles to the index in "
                            f"{Path(self.lock_file).parent}; try again when it has finished") from None


def read_manifest(version: Path) -> dict:
    """An index version's manifest, without its chunks and vectors."""
    try:
        return json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"the index in {version.parent} is damaged ({type(exc).__name__}: {exc}); "
                         f"rebuild it with {rebuild_command(version.parent)}") from None


def indexed_sources(index_dir: Path) -> list[Path]:
    """The files the articles of the index in `index_dir` were read from, by its manifest (none
    when there is no readable index): what `rag ingest --rebuild` reads again by default, so an
    index another version or other settings made is rebuilt with the same articles."""
    try:
        manifest = read_manifest(current_version(index_dir))
        return sorted({Path(a["source_path"]) for a in manifest["articles"].values() if a.get("source_path")})
    except (StoreError, KeyError, TypeError, AttributeError):
        return []


def chunk_terms(chunk: Chunk) -> list[str]:
    """A chunk's BM25 terms, its headline's among them (with or without them, the seed set among
    2,000 news articles ranks the same)."""
    return lexical.terms(f"{chunk.title}\n{chunk.text}")


def _load_terms(version: Path, manifest: dict, count: int) -> list[list[str]] | None:
    """Stored terms when they fit the chunks and this rag.lexical; None to make them again."""
    if manifest.get("lexical") != lexical.VERSION or _unlike_record(version, manifest, "terms.jsonl"):
        return None
    try:
        with open(version / "terms.jsonl", encoding="utf-8") as f:
            terms = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return None
    return terms if len(terms) == count else None


def _file_record(path: Path) -> dict:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def _verify_files(version: Path, manifest: dict) -> None:
    """Each file the manifest records has its recorded size and sha256 (an index saved before
    the manifest recorded them is taken as it is)."""
    for name in VERIFIED_FILES:
        problem = _unlike_record(version, manifest, name)
        if problem:
            raise ValueError(problem)


def _unlike_record(version: Path, manifest: dict, name: str) -> str | None:
    """How a file of an index version differs from the manifest's record of it (None: it does
    not, or the manifest has no record)."""
    expected = (manifest.get("files") or {}).get(name)
    if not expected:
        return None
    path = version / name
    if not path.is_file() or path.stat().st_size != expected.get("size"):
        return f"{name} is missing or not of its recorded size"
    if _file_record(path)["sha256"] != expected.get("sha256"):
        return f"{name} does not match its recorded sha256"
    return None


def _fsync_folder(folder: Path) -> None:
    for file in folder.iterdir():
        with open(file, "rb") as f:
            os.fsync(f.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    """Make a folder's entries (a rename into it) durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale(index_dir: Path, keep: set, older_than: float) -> None:
    """Old versions and leftovers of interrupted saves, if older than `older_than` (a timestamp):
    never the versions in `keep`, nor anything a writer of another version may still be making."""
    for entry in index_dir.iterdir():
        if entry.name in keep or not entry.name.startswith((VERSION_PREFIX, ".tmp-", f".{POINTER}.tmp-")):
            continue
        try:
            if entry.stat().st_mtime >= older_than:
                continue
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink(missing_ok=True)
        except FileNotFoundError:  # removed by someone else meanwhile
            pass
