"""The index folder on disk: versions, the CURRENT pointer, segments, the writer's lock and the
compatibility rules, whichever vector engine holds the vectors.

Layout:
    CURRENT                 name of the live version folder (replaced atomically)
    REBUILDING              name of the last checkpoint of a rebuild not finished yet, if any
    v-<stamp>/manifest.json one version: embedder, chunker, engine, one entry per article, and the
                            segments it is made of, in order, each with its files' size and sha256
    v-<stamp>/faiss.index   (FAISS, large indexes only) the trained inverted file of that version
    segments/s-<stamp>/     one batch of chunks, written once and never changed:
        chunks.jsonl        one chunk a line
        terms.jsonl         each chunk's BM25 terms, same order (derived: made again when stale)
        vectors.npy         their unit vectors, same order (FAISS only: a server keeps its own)
    .lock                   held by the one process writing the index (writer_lock)

An ingest commits a batch by writing a segment and then a new version that lists it with the
segments before it, so a crash at any moment loses at most the batch in flight, and the index
readers load is always a complete version. A commit switches CURRENT only if it still names the
version the writer started from. The version replaced is kept (a reader may be loading it); older
versions, and segments no kept version lists, are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from filelock import FileLock, Timeout

FORMAT = 2
POINTER = "CURRENT"
REBUILDING = "REBUILDING"  # names the last checkpoint of a rebuild in progress
LOCK = ".lock"
VERSION_PREFIX = "v-"
SEGMENTS = "segments"
SEGMENT_PREFIX = "s-"
MANIFEST = "manifest.json"


class StoreError(RuntimeError):
    """The index is missing, damaged or was built with other settings."""


class IndexBusy(StoreError):
    """Another process is writing the index."""


def rebuild_command(index_dir: Path | None) -> str:
    """The command that rebuilds the index in `index_dir`, as the error messages give it."""
    return f"`rag ingest --rebuild --index {index_dir}`" if index_dir else "`rag ingest --rebuild`"


def damaged(index_dir: Path, why: str) -> StoreError:
    return StoreError(f"the index in {index_dir} is damaged ({why}); rebuild it with {rebuild_command(index_dir)}")


def stamp() -> str:
    """A name part no other writer or earlier save has used."""
    return time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**9}"


def document_prompt_changed(built: dict, embedder_id: dict) -> str | None:
    """Why chunks embedded as the manifest's `built` embedder record says cannot be searched with
    `embedder_id`'s document prompt (None when the prompts are the same)."""
    if built.get("document_format") == embedder_id.get("document_format"):
        return None
    return (f"the index's chunks were embedded with the document prompt {built.get('document_format')!r}, "
            f"not {embedder_id.get('document_format')!r} as this version does")


def incompatibility(manifest: dict, embedder_id: dict, chunker: dict, engine: dict) -> str | None:
    """Why an index with this manifest cannot be searched or extended with this embedder, these
    chunk settings and this vector engine (None when it can)."""
    built = manifest.get("embedder", {})
    if any(built.get(k) != embedder_id.get(k) for k in ("name", "dim", "fingerprint")):
        return (f"the index was built with embedder {built.get('name')} (dim {built.get('dim')}, "
                f"fingerprint {built.get('fingerprint')}), not {embedder_id['name']} (dim "
                f"{embedder_id['dim']}, fingerprint {embedder_id['fingerprint']})")
    problem = document_prompt_changed(built, embedder_id)
    if problem:
        return problem
    if manifest.get("chunker") != chunker:
        return f"the index was built with chunk settings {manifest.get('chunker')}, not {chunker}"
    return engine_mismatch(manifest, engine)


def engine_mismatch(manifest: dict, engine: dict) -> str | None:
    """Why an index cannot be opened with this vector engine (None when it can)."""
    made_for = manifest.get("engine", {"name": "faiss"})  # format 1 knew only FAISS
    if made_for != engine:
        return f"the index was built for the vector engine {made_for}, not {engine} (RAG_INDEX)"
    return None


# --- CURRENT and versions --------------------------------------------------------------------

def pointer_text(index_dir: Path) -> str | None:
    """What CURRENT says, unchecked (None when there is no CURRENT)."""
    pointer = index_dir / POINTER
    if not pointer.is_file():
        return None
    return pointer.read_text(encoding="utf-8", errors="replace").strip()


def current_version(index_dir: Path) -> Path:
    """The folder of the index's current version; StoreError when there is none or CURRENT names
    anything but a version folder directly inside the index."""
    name = pointer_text(index_dir)
    if name is None:
        raise StoreError(f"no index in {index_dir}; build one with `rag ingest`")
    if (not name.startswith(VERSION_PREFIX) or Path(name).name != name or name in (".", "..")
            or not (index_dir / name).is_dir()):
        raise damaged(index_dir, f"{POINTER} names {name[:80]!r}, not a version folder of it")
    return index_dir / name


def read_manifest(version: Path) -> dict:
    """An index version's manifest, without its chunks and vectors."""
    try:
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise damaged(version.parent, f"{type(exc).__name__}: {exc}") from None
    if not isinstance(manifest, dict):
        raise damaged(version.parent, "its manifest is not a JSON object")
    return manifest


def indexed_sources(index_dir: Path) -> list[Path]:
    """The files the articles of the index in `index_dir` were read from, by its manifest (none
    when there is no readable index): what `rag ingest --rebuild` reads again by default, so an
    index another version or other settings made is rebuilt with the same articles."""
    try:
        manifest = read_manifest(current_version(index_dir))
        return sorted({Path(a["source_path"]) for a in manifest["articles"].values() if a.get("source_path")})
    except (StoreError, KeyError, TypeError, AttributeError):
        return []


def rebuilding(index_dir: Path) -> Path | None:
    """The last checkpoint of a rebuild that has not finished (None when there is none)."""
    pointer = index_dir / REBUILDING
    name = pointer.read_text(encoding="utf-8", errors="replace").strip() if pointer.is_file() else ""
    if name.startswith(VERSION_PREFIX) and Path(name).name == name and (index_dir / name).is_dir():
        return index_dir / name
    return None


def write_version(index_dir: Path, manifest: dict, replaces: str | None, write_files=None,
                  checkpoint_of_rebuild: bool = False) -> str:
    """Write `manifest` (and what `write_files(folder)` puts beside it) as a new version and make
    it current, if CURRENT still names `replaces` (None: there is no index yet); StoreError, and
    nothing left behind, when another writer switched it in between. Returns the version's name.

    A checkpoint of a rebuild is pointed at by REBUILDING instead of CURRENT: readers keep the
    index being rebuilt until the rebuild's last commit, and a rebuild started again resumes
    from it (the checkpoint before it is removed: no reader loads those)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"{VERSION_PREFIX}{stamp()}"
    staging = index_dir / f".tmp-{name}"
    staging.mkdir()
    started = staging.stat().st_mtime
    if write_files:
        write_files(staging)
    (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    fsync_folder(staging)
    version = index_dir / name
    staging.rename(version)
    live = pointer_text(index_dir)
    if live != replaces:
        shutil.rmtree(version)
        raise StoreError(
            f"the index in {index_dir} was changed by another writer while this one worked "
            f"(it is now {live}, not {replaces}); nothing was written: run it again")
    earlier_checkpoint = rebuilding(index_dir)
    pointer_tmp = index_dir / f".{POINTER}.tmp-{name}"
    with open(pointer_tmp, "w") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(pointer_tmp, index_dir / (REBUILDING if checkpoint_of_rebuild else POINTER))  # the one atomic switch
    if not checkpoint_of_rebuild:
        (index_dir / REBUILDING).unlink(missing_ok=True)
    fsync_dir(index_dir)
    if earlier_checkpoint is not None and earlier_checkpoint.name != live:
        shutil.rmtree(earlier_checkpoint, ignore_errors=True)
    previous = index_dir / live if live and Path(live).name == live and live.startswith(VERSION_PREFIX) else None
    cutoff = previous.stat().st_mtime if previous and previous.is_dir() else started
    remove_stale(index_dir, keep={name, live}, older_than=cutoff)
    return name


def new_segment(index_dir: Path) -> tuple[Path, str]:
    """A staging folder for a segment's files and the segment's name; publish_segment moves it
    into place once they are written."""
    name = f"{SEGMENT_PREFIX}{stamp()}"
    (index_dir / SEGMENTS).mkdir(parents=True, exist_ok=True)
    staging = index_dir / SEGMENTS / f".tmp-{name}"
    staging.mkdir()
    return staging, name


def publish_segment(staging: Path, name: str) -> dict:
    """Make a written segment durable under its name; returns its files' records."""
    fsync_folder(staging)
    records = {f.name: file_record(f) for f in sorted(staging.iterdir())}
    staging.rename(staging.parent / name)
    fsync_dir(staging.parent)
    return records


def segment_folder(index_dir: Path, name: str) -> Path:
    if not name.startswith(SEGMENT_PREFIX) or Path(name).name != name:
        raise damaged(index_dir, f"its manifest names the segment {name[:80]!r}")
    return index_dir / SEGMENTS / name


# --- one writer ------------------------------------------------------------------------------

def writer_lock(index_dir: Path, timeout: float = -1) -> FileLock:
    """The lock a process holds while it writes the index in `index_dir` (a file lock, so it
    holds across processes: `rag ingest`, `rag setup` and every `rag serve`). `timeout` seconds
    to wait, -1 for as long as it takes; acquiring it raises IndexBusy after that."""
    index_dir.mkdir(parents=True, exist_ok=True)
    return _Lock(str(index_dir / LOCK), timeout=timeout)


class _Lock(FileLock):
    def acquire(self, *args, **kwargs):
        try:
            return super().acquire(*args, **kwargs)
        except Timeout:
            raise IndexBusy(f"another process is adding articles to the index in "
                            f"{Path(self.lock_file).parent}; try again when it has finished") from None


# --- files -----------------------------------------------------------------------------------

def file_record(path: Path) -> dict:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def unlike_record(path: Path, expected: dict | None) -> str | None:
    """How a file differs from its record (None: it does not, or there is no record)."""
    if not expected:
        return None
    if not path.is_file() or path.stat().st_size != expected.get("size"):
        return f"{path.name} of {path.parent.name} is missing or not of its recorded size"
    if file_record(path)["sha256"] != expected.get("sha256"):
        return f"{path.name} of {path.parent.name} does not match its recorded sha256"
    return None


def fsync_folder(folder: Path) -> None:
    for file in folder.iterdir():
        with open(file, "rb") as f:
            os.fsync(f.fileno())
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (a rename into it) durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale(index_dir: Path, keep: set, older_than: float) -> None:
    """Old versions and leftovers of interrupted saves, if older than `older_than` (a timestamp):
    never the versions in `keep`, nor anything a writer of another version may still be making;
    then the segments no remaining version lists."""
    for entry in index_dir.iterdir():
        if entry.name in keep or not entry.name.startswith((VERSION_PREFIX, ".tmp-", f".{POINTER}.tmp-")):
            continue
        _remove_if_older(entry, older_than)
    segments = index_dir / SEGMENTS
    if not segments.is_dir():
        return
    listed = set()
    for version in index_dir.glob(f"{VERSION_PREFIX}*"):
        try:
            listed |= {s["name"] for s in read_manifest(version).get("segments", [])}
        except (StoreError, KeyError, TypeError):
            return  # a version that cannot be read: keep every segment rather than guess
    for entry in segments.iterdir():
        if entry.name not in listed:
            _remove_if_older(entry, older_than)


def _remove_if_older(entry: Path, older_than: float) -> None:
    try:
        if entry.stat().st_mtime >= older_than:
            return
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink(missing_ok=True)
    except FileNotFoundError:  # removed by someone else meanwhile
        pass
