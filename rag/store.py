"""The index a process searches: the chunks, their BM25 terms, their vectors in a vector engine
(rag.vector_index) and the manifest, kept on disk as segments and versions (rag.index_folder).

The retriever works in rows (a chunk's place in `chunks`); the engine knows each vector by its
key (chunk_key), and the store translates between the two.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rag import index_folder, lexical
from rag.index_folder import FORMAT, StoreError, damaged, rebuild_command
from rag.types import Chunk
from rag.vector_index.base import ChunkFilter, VectorIndex
from rag.vector_index.faiss_index import FaissIndex

VERIFIED_FILES = ("chunks.jsonl", "vectors.npy")  # terms.jsonl is derived: made again when it does not match


def chunk_key(chunk: Chunk, article_hash: str) -> str:
    """A chunk's key in the vector engine: its id and its article's content hash, so a changed
    article's new vectors never replace ones a reader of the previous version still uses."""
    return f"{chunk.chunk_id}@{article_hash[:16]}"


def chunk_terms(chunk: Chunk) -> list[str]:
    """A chunk's BM25 terms, its headline's among them (with or without them, the seed set among
    2,000 news articles ranks the same)."""
    return lexical.terms(f"{chunk.title}\n{chunk.text}")


@dataclass
class Segment:
    """Chunks committed together (one ingest batch), in order."""
    chunks: list[Chunk]
    terms: list[list[str]]
    vectors: np.ndarray | None  # None where the engine keeps the vectors
    name: str | None = None  # None: not written yet
    files: dict = field(default_factory=dict)


class Store:
    def __init__(self, manifest: dict, segments: list[Segment], engine: VectorIndex,
                 index_dir: Path | None = None, version: str | None = None):
        self.manifest = manifest
        self.segments = segments
        self.engine = engine
        self.index_dir = index_dir  # where it was loaded from, named in the messages that say how to rebuild it
        self.version = version  # the version folder it was loaded from (None: a new index)
        self._changed()

    @classmethod
    def empty(cls, embedder_id: dict, chunker: dict, engine: VectorIndex | None = None) -> "Store":
        engine = engine if engine is not None else FaissIndex(embedder_id["dim"])
        manifest = {"format": FORMAT, "embedder": embedder_id, "chunker": chunker,
                    "engine": engine.describe(), "articles": {}}
        return cls(manifest, [], engine)

    def _changed(self) -> None:
        """Rows made again from the segments (after a removal: rows move)."""
        self.chunks = [c for s in self.segments for c in s.chunks]
        self.terms = [t for s in self.segments for t in s.terms]
        self.keys = [chunk_key(c, self.articles[c.article_id]["hash"]) for c in self.chunks]
        self._forget_derived()

    def _forget_derived(self) -> None:
        self._rows = None
        self._lexical = None
        self._neighbours = None

    @property
    def articles(self) -> dict:
        return self.manifest["articles"]

    @property
    def rows(self) -> dict[str, int]:
        if self._rows is None:
            self._rows = {k: i for i, k in enumerate(self.keys)}
        return self._rows

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

    # --- searching ---------------------------------------------------------------------------

    def search_rows(self, query: np.ndarray, k: int, where: ChunkFilter | None = None) -> list[tuple[int, float]]:
        """The k rows nearest to a unit query vector, with their cosine scores."""
        if not self.chunks:
            return []
        # An engine shared with other versions may return keys this version does not list.
        found = self.engine.search(query, k, where)
        return [(self.rows[key], score) for key, score in found if key in self.rows][:k]

    def search(self, query: np.ndarray, k: int, where: ChunkFilter | None = None) -> list[tuple[Chunk, float]]:
        return [(self.chunks[r], s) for r, s in self.search_rows(query, k, where)]

    def similarity(self, query: np.ndarray, rows) -> np.ndarray:
        """The cosine of the query with the chunk of each row."""
        return self.engine.similarity(query, [self.keys[r] for r in np.asarray(rows).ravel()])

    def allowed_rows(self, where: ChunkFilter) -> np.ndarray:
        """1 for each row `where` allows, 0 for the rest (for the lexical side's scores)."""
        allowed = {a: where.allows(a, m.get("date", ""), m.get("source", "")) for a, m in self.articles.items()}
        return np.asarray([allowed.get(c.article_id, False) for c in self.chunks], dtype=np.float32)

    def sources(self) -> dict[str, int]:
        """Each source (outlet) of the index's articles, with how many articles it has."""
        counts: dict[str, int] = {}
        for meta in self.articles.values():
            if meta.get("source"):
                counts[meta["source"]] = counts.get(meta["source"], 0) + 1
        return dict(sorted(counts.items()))

    def dates(self) -> tuple[str, str] | None:
        """The first and last article date of the index (None when no article has a date)."""
        dated = [m["date"] for m in self.articles.values() if m.get("date")]
        return (min(dated), max(dated)) if dated else None

    # --- changing ----------------------------------------------------------------------------

    def add(self, chunks: list[Chunk], vectors: np.ndarray, articles: dict[str, dict]) -> None:
        """Add the chunks of new articles (`articles`: their manifest entries) as one segment."""
        self.articles.update(articles)
        vectors = np.asarray(vectors, dtype=np.float32)
        keys = [chunk_key(c, self.articles[c.article_id]["hash"]) for c in chunks]
        terms = [chunk_terms(c) for c in chunks]
        self.engine.add(keys, vectors, _payloads(chunks, self.articles), terms)
        self.segments.append(Segment(chunks, terms, None if self.engine.keeps_vectors else vectors))
        # New rows go at the end: appended, not made again from every segment at each batch.
        self.chunks += chunks
        self.terms += terms
        self.keys += keys
        self._forget_derived()

    def remove_articles(self, article_ids: set[str]) -> None:
        removed = []
        kept_segments = []
        for segment in self.segments:
            keep = [i for i, c in enumerate(segment.chunks) if c.article_id not in article_ids]
            if len(keep) == len(segment.chunks):
                kept_segments.append(segment)
                continue
            removed += [chunk_key(c, self.articles[c.article_id]["hash"])
                        for c in segment.chunks if c.article_id in article_ids]
            if keep:  # the rest of the segment is written again, as a new one
                kept_segments.append(Segment([segment.chunks[i] for i in keep], [segment.terms[i] for i in keep],
                                             None if segment.vectors is None else segment.vectors[keep]))
        self.engine.remove(removed)
        self.segments = kept_segments
        for article_id in article_ids:
            self.articles.pop(article_id, None)
        self._changed()

    def check_compatible(self, embedder_id: dict, chunker: dict) -> None:
        """Refuse an index built with another embedder, other chunk settings or another engine."""
        problem = index_folder.incompatibility(self.manifest, embedder_id, chunker, self.engine.describe())
        if problem:
            raise StoreError(f"{problem}; re-ingest with {rebuild_command(self.index_dir)}")

    # --- saving and loading ------------------------------------------------------------------

    def save(self, index_dir: Path, replaces: str | None = ..., final: bool = True,
             checkpoint_of_rebuild: bool = False) -> Path:
        """Commit: write the segments not written yet, then a version listing all of them, and
        make it current. `replaces` is the version that must still be current (default: the one
        this store was loaded from or last saved; None: there must be no index yet, unless the
        caller passes the version it is rebuilding); StoreError when another writer switched
        CURRENT in between. `final` False (a checkpoint within an ingest) skips what the engine
        saves of a whole version (a large FAISS index's trained inverted file);
        `checkpoint_of_rebuild` writes it for REBUILDING, not CURRENT (index_folder.write_version).
        Hold writer_lock(index_dir) around load and save."""
        replaces = self.version if replaces is ... else replaces
        for segment in self.segments:
            if segment.name is None:
                _write_segment(index_dir, segment)
        self.manifest.update({
            "format": FORMAT, "lexical": lexical.VERSION, "saved": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "chunks": len(self.chunks), "engine": self.engine.describe(),
            "segments": [{"name": s.name, "chunks": len(s.chunks), "files": s.files} for s in self.segments]})
        self.manifest.pop("files", None)  # format 1's record of its files
        name = index_folder.write_version(index_dir, self.manifest, replaces,
                                          self.engine.save if final and self.chunks else None,
                                          checkpoint_of_rebuild)
        self.engine.commit()
        self.index_dir = index_dir
        if not checkpoint_of_rebuild:
            self.version = name
        return index_dir / name

    @classmethod
    def load(cls, index_dir: Path, engine: VectorIndex | None = None, version: Path | None = None) -> "Store":
        """The current version of the index in `index_dir` (or the given `version` folder), its
        vectors in `engine` (default: FAISS in this process)."""
        version = version or index_folder.current_version(index_dir)
        manifest = index_folder.read_manifest(version)
        try:
            if manifest.get("format") == 1:
                segments = [_format1_segment(version, manifest)]
                manifest["articles"] = manifest.get("articles", {})
            elif manifest.get("format") == FORMAT:
                segments = [_read_segment(index_dir, record, manifest) for record in manifest["segments"]]
            else:
                raise StoreError(f"index format {manifest.get('format')} is not {FORMAT}")
            count = sum(len(s.chunks) for s in segments)
            if manifest.get("chunks") != count:
                raise StoreError(f"the index in {index_dir} is inconsistent ({count} chunks, its manifest "
                                 f"says {manifest.get('chunks')}); rebuild it with {rebuild_command(index_dir)}")
            engine = engine if engine is not None else FaissIndex(manifest["embedder"]["dim"])
            problem = index_folder.engine_mismatch(manifest, engine.describe())
            if problem:
                raise StoreError(f"{problem}; re-ingest with {rebuild_command(index_dir)}")
            store = cls(manifest, segments, engine, index_dir=index_dir, version=version.name)
            if not engine.keeps_vectors:
                start = 0
                for segment in segments:
                    if segment.vectors is None:
                        raise ValueError(f"segment {segment.name} has no vectors for {engine.name}")
                    keys = store.keys[start:start + len(segment.chunks)]
                    engine.add(keys, segment.vectors, _payloads(segment.chunks, store.articles))
                    start += len(keys)
            if not engine.load(version, store.keys) and engine.keeps_vectors:
                raise StoreError(f"the vector engine {engine.describe()} does not hold this index's vectors; "
                                 f"rebuild it with {rebuild_command(index_dir)}")
            return store
        except StoreError:
            raise
        except Exception as exc:  # any damage: missing file, truncated JSON, bad vectors
            raise damaged(index_dir, f"{type(exc).__name__}: {exc}") from None


def _payloads(chunks: list[Chunk], articles: dict) -> list[dict]:
    """What the engine keeps beside each vector, for filters: the chunk's article, and that
    article's date and source where it has them."""
    out = []
    for c in chunks:
        meta = articles.get(c.article_id, {})
        out.append({"article_id": c.article_id, "chunk_id": c.chunk_id,
                    **{k: meta[k] for k in ("date", "source") if meta.get(k)}})
    return out


def _write_segment(index_dir: Path, segment: Segment) -> None:
    staging, name = index_folder.new_segment(index_dir)
    with open(staging / "chunks.jsonl", "w", encoding="utf-8") as f:
        for chunk in segment.chunks:
            f.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
    with open(staging / "terms.jsonl", "w", encoding="utf-8") as f:
        for terms in segment.terms:
            f.write(json.dumps(terms, ensure_ascii=False) + "\n")
    if segment.vectors is not None:
        np.save(staging / "vectors.npy", np.ascontiguousarray(segment.vectors, dtype=np.float32))
    segment.files = index_folder.publish_segment(staging, name)
    segment.name = name


def _read_segment(index_dir: Path, record: dict, manifest: dict) -> Segment:
    folder = index_folder.segment_folder(index_dir, record["name"])
    files = record.get("files", {})
    for name in VERIFIED_FILES:
        problem = index_folder.unlike_record(folder / name, files.get(name))
        if problem:
            raise ValueError(problem)
    with open(folder / "chunks.jsonl", encoding="utf-8") as f:
        chunks = [Chunk(**json.loads(line)) for line in f if line.strip()]
    vectors = None
    if "vectors.npy" in files:
        # Mapped, not read: the engine keeps its own copy; the store reads these again only to
        # rewrite the segment when one of its articles is removed.
        vectors = np.load(folder / "vectors.npy", allow_pickle=False, mmap_mode="r")
        if vectors.shape != (len(chunks), manifest["embedder"]["dim"]):
            raise ValueError(f"segment {record['name']} has {vectors.shape} vectors for {len(chunks)} chunks")
    if len(chunks) != record.get("chunks"):
        raise ValueError(f"segment {record['name']} has {len(chunks)} chunks, not {record.get('chunks')}")
    terms = _stored_terms(folder / "terms.jsonl", files.get("terms.jsonl"), manifest, len(chunks))
    return Segment(chunks, terms or [chunk_terms(c) for c in chunks], vectors, record["name"], files)


def _stored_terms(path: Path, record: dict | None, manifest: dict, count: int) -> list[list[str]] | None:
    """Stored terms when they fit the chunks and this rag.lexical; None to make them again."""
    if manifest.get("lexical") != lexical.VERSION or index_folder.unlike_record(path, record):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            terms = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return None
    return terms if len(terms) == count else None


def _format1_segment(version: Path, manifest: dict) -> Segment:
    """An index an earlier version wrote (one faiss.index and chunks.jsonl a version) as one
    segment not written yet: it is searched as it is, and the next save writes it anew."""
    import faiss

    for name in ("faiss.index", "chunks.jsonl"):
        problem = index_folder.unlike_record(version / name, (manifest.get("files") or {}).get(name))
        if problem:
            raise ValueError(problem)
    with open(version / "chunks.jsonl", encoding="utf-8") as f:
        chunks = [Chunk(**json.loads(line)) for line in f if line.strip()]
    index = faiss.read_index(str(version / "faiss.index"))
    if index.ntotal != len(chunks):
        raise ValueError(f"{len(chunks)} chunks, {index.ntotal} vectors")
    if isinstance(index, faiss.IndexIVF):
        index.make_direct_map()
    vectors = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), np.float32)
    terms = _stored_terms(version / "terms.jsonl", (manifest.get("files") or {}).get("terms.jsonl"),
                          manifest, len(chunks))
    return Segment(chunks, terms or [chunk_terms(c) for c in chunks], np.asarray(vectors, dtype=np.float32))
