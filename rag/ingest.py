"""Bring the index in step with a corpus: embed new and changed articles, drop deleted ones."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from rag import corpus
from rag.chunking import chunk_article
from rag.config import Settings
from rag.embedder import Embedder, embedder_id
from rag.injection import instruction_spans
from rag.index_folder import (StoreError, current_version, document_prompt_changed, pointer_text, read_manifest,
                              rebuilding, writer_lock)
from rag.store import Store
from rag.vector_index import open_engine


class IngestCancelled(RuntimeError):
    """The ingest was stopped before it saved anything; the index is as it was."""


class TooLarge(ValueError):
    """More chunks than one ingest call may embed (an upload's limit)."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks_embedded: int = 0
    total_articles: int = 0
    total_chunks: int = 0
    seconds: float = 0.0
    problems: list[corpus.Problem] = field(default_factory=list)
    warnings: list[corpus.Problem] = field(default_factory=list)
    commits: int = 0  # versions written (one a batch)


def manifest_entry(article: corpus.Article, chunks: int) -> dict:
    """What the index's manifest records of an article: its content hash and headline, where it
    was read from, its metadata (date, source, url, author, pages: only those it has)."""
    return {"hash": article.content_hash, "title": article.title, "chunks": chunks,
            "source_path": article.source_path, **article.meta.to_json(), "aliases": list(article.aliases)}


def _same_meta(entry: dict, article: corpus.Article) -> bool:
    return corpus.Metadata.from_json(entry) == article.meta


def chunker_settings(settings: Settings) -> dict:
    return {"max_tokens": settings.chunk_tokens, "overlap_sentences": settings.chunk_overlap_sentences,
            "version": 1}


def outdated(settings: Settings) -> str | None:
    """Why the index in settings.index_dir must be rebuilt for this version: its chunks were
    embedded by this embedder with another document prompt (an earlier version's). Read from its
    manifest, without loading the embedder; None when not. An index of another embedder is a
    user's choice, left for `rag serve` to refuse with its reason."""
    built = read_manifest(current_version(settings.index_dir)).get("embedder", {})
    expected = embedder_id(settings.embedder, dim=None)  # the dimension follows from the weights
    if any(built.get(k) != expected[k] for k in ("name", "fingerprint")):
        return None
    return document_prompt_changed(built, expected)


def pending_ingest(index_dir: Path) -> dict | None:
    """The ingest that committed the index's last checkpoint and did not finish (its paths,
    rebuild and remove_missing), None when the last one finished."""
    checkpoint = rebuilding(index_dir)
    try:
        version = checkpoint or current_version(index_dir)
        return read_manifest(version).get("pending")
    except StoreError:
        return None


def describe_progress(done: int, total: int, articles: int, seconds: float) -> str:
    """"embedded 300/1,200 chunks of 40 new or changed articles · 5.1 chunks/s · about 3 min left"."""
    rate = done / seconds if seconds > 0 else 0.0
    line = f"embedded {done:,}/{total:,} chunks of {articles:,} new or changed articles"
    if rate > 0:
        left = (total - done) / rate
        line += f" · {rate:.1f} chunks/s · " + (f"about {left / 60:.0f} min left" if left >= 90
                                                 else f"about {left:.0f} s left")
    return line


def build_missing_index(settings: Settings, embedder: Embedder) -> IngestReport | None:
    """Index the corpus folder when settings.index_dir holds no index yet (None when it does)."""
    if (settings.index_dir / "CURRENT").exists():
        return None
    return ingest([settings.corpus_dir], settings, embedder, batch_chunks=settings.ingest_batch)


def ingest(paths: list[Path], settings: Settings, embedder: Embedder, rebuild: bool = False,
           progress=None, remove_missing: bool | None = None, lock_timeout: float = -1,
           max_chunks: int | None = None, should_stop=None, batch_chunks: int | None = None,
           pause=None, loaded: corpus.LoadResult | None = None) -> IngestReport:
    """Ingest the articles under `paths` into settings.index_dir, as its one writer (the index's
    writer_lock is held from loading to saving; `lock_timeout` seconds to wait for it, -1 for
    as long as it takes, else store.IndexBusy).

    With `remove_missing` indexed articles not found under `paths` are removed; without it they
    are kept. By default (None) they are removed when a folder is named (a whole corpus) and
    kept when only files are (adding them). Either way an article whose file is named and no
    longer holds it (a replaced .jsonl) is removed.

    With `batch_chunks`, the embedded articles are committed every `batch_chunks` chunks or so
    (whole articles a batch): a crash or kill loses at most the batch in flight, and the next
    ingest of the same files resumes after the last commit (the articles committed are unchanged
    then). Readers see each commit; a rebuild's commits are checkpoints readers do not see, and a
    rebuild started again resumes from the last. Without it (uploads) one commit ends the ingest.

    `progress(done_chunks, total_chunks, articles)` is called while embedding, `articles` being
    the number of new or changed articles those chunks come from. `should_stop()`, called as
    often, ends the ingest with IngestCancelled, keeping only what was committed before. More
    than `max_chunks` chunks to embed raise TooLarge before any is. `pause()`, called after
    each embedding batch, may block: an upload waits there while the UI answers (rag.priority).
    `loaded` is what was read of `paths` already (an upload, checked before it is placed): it is
    not read again.
    """
    if remove_missing is None:
        remove_missing = any(Path(p).is_dir() for p in paths)
    with writer_lock(settings.index_dir, lock_timeout):
        return _ingest(paths, settings, embedder, rebuild, progress, remove_missing, max_chunks, should_stop,
                       batch_chunks, pause, loaded)


def _starting_store(settings: Settings, embedder: Embedder, chunker: dict, rebuild: bool) -> Store:
    """The index to extend: the current one, or for a rebuild the last checkpoint of a rebuild
    that was stopped (with the same settings), else an empty one."""
    engine = open_engine(settings, embedder.id["dim"])
    checkpoint = rebuilding(settings.index_dir)
    if rebuild and checkpoint is not None:
        try:
            store = Store.load(settings.index_dir, engine, version=checkpoint)
            store.check_compatible(embedder.id, chunker)
            return store
        except StoreError:
            engine = open_engine(settings, embedder.id["dim"])  # a checkpoint of other settings: start afresh
    if not rebuild:
        try:
            store = Store.load(settings.index_dir, engine)
            store.check_compatible(embedder.id, chunker)
            return store
        except StoreError:
            if (settings.index_dir / "CURRENT").exists():
                raise  # an index is there but unusable: say so, never overwrite silently
    return Store.empty(embedder.id, chunker, engine)


def batches(articles: list, chunks_by_article: dict, size: int | None) -> list[list]:
    """Whole articles in order, about `size` chunks a batch (all in one without a size)."""
    if not size:
        return [articles] if articles else []
    out, current, count = [], [], 0
    for article in articles:
        current.append(article)
        count += len(chunks_by_article[article.id])
        if count >= size:
            out.append(current)
            current, count = [], 0
    if current:
        out.append(current)
    return out


def _ingest(paths, settings, embedder, rebuild, progress, remove_missing, max_chunks, should_stop,
            batch_chunks, pause, loaded) -> IngestReport:
    started = time.perf_counter()
    chunker = chunker_settings(settings)
    replaces = pointer_text(settings.index_dir)  # the version this writer starts from
    store = _starting_store(settings, embedder, chunker, rebuild)
    resumed = rebuild and bool(store.articles)  # from a checkpoint of a stopped rebuild

    if loaded is None:
        try:
            loaded = corpus.load(paths, settings.max_article_chars, limits=settings.read_limits, should_stop=should_stop)
        except corpus.ReadCancelled:
            raise IngestCancelled("stopped while reading the articles; the index is as it was") from None
    report = IngestReport(problems=loaded.problems, warnings=loaded.warnings)
    # An article whose file failed to read this time keeps what the index already has of it.
    failed_sources = {p.path for p in loaded.problems}
    current = {a.id: a for a in loaded.articles}
    named_files = {str(p) for p in corpus.corpus_files(paths)}
    for article_id, meta in list(store.articles.items()):
        if article_id in current or meta.get("source_path") in failed_sources:
            continue
        if remove_missing or meta.get("source_path") in named_files or rebuild:
            report.removed.append(article_id)
    todo, renamed = [], False
    for article in loaded.articles:
        known = store.articles.get(article.id)
        if known is None:
            report.added.append(article.id)
            todo.append(article)
        elif known["hash"] != article.content_hash or (store.engine.keeps_vectors and not _same_meta(known, article)):
            # (a server engine keeps metadata in each vector's payload: new metadata, new points)
            report.changed.append(article.id)
            todo.append(article)
        else:
            report.unchanged += 1
            if known.get("aliases", []) != list(article.aliases) or not _same_meta(known, article):
                # same text, other copies or a date or source read anew: the manifest says so
                store.articles[article.id] = manifest_entry(article, known["chunks"])
                renamed = True
    for article in todo:  # said in the report, so a user sees what the assistant will not read
        whole = f"{article.title}\n{article.text}"
        report.warnings += [corpus.Problem(article.source_path, f"kept out of answers, reads as an instruction "
                                           f"to the assistant: {whole[s:e][:160]!r}")
                            for s, e in instruction_spans(whole)[:5]]

    chunks_by_article = {a.id: chunk_article(a, embedder.count_tokens, settings.chunk_tokens,
                                             settings.chunk_overlap_sentences) for a in todo}
    total = sum(len(c) for c in chunks_by_article.values())
    if max_chunks is not None and total > max_chunks:
        raise TooLarge(f"these articles make {total:,} passages; one upload may add at most "
                       f"{max_chunks:,} (add a large archive with `rag ingest`)")
    store.remove_articles(set(report.removed))  # changed articles leave with their batch's commit
    done = 0

    def advance(n):
        nonlocal done
        done += n
        if pause:
            pause()
        if should_stop and should_stop():
            raise IngestCancelled("stopped before anything was saved; the index is as it was" if not report.commits
                                  else f"stopped after {report.commits} commits: the articles committed "
                                       f"stay in the index; `rag ingest` again resumes with the rest")
        if progress:
            progress(done, total, len(todo))

    def commit(final: bool):
        nonlocal replaces
        if final:
            store.manifest.pop("pending", None)
        else:  # what `rag ingest` and `rag setup` resume if this ingest does not finish
            store.manifest["pending"] = {"paths": [str(p) for p in paths], "rebuild": rebuild,
                                         "remove_missing": remove_missing}
        store.save(settings.index_dir, replaces=replaces, final=final, checkpoint_of_rebuild=rebuild and not final)
        replaces = pointer_text(settings.index_dir)
        report.commits += 1

    todo_batches = batches(todo, chunks_by_article, batch_chunks)
    for i, batch in enumerate(todo_batches):
        chunks = [c for a in batch for c in chunks_by_article[a.id]]
        vectors = embedder.encode_documents([c.text for c in chunks], progress=advance, ingest=True)
        store.remove_articles({a.id for a in batch} & set(report.changed))
        store.add(chunks, vectors, {a.id: manifest_entry(a, len(chunks_by_article[a.id])) for a in batch})
        if i < len(todo_batches) - 1:
            commit(final=False)
    report.chunks_embedded = total
    if todo or report.removed or renamed or rebuild or resumed or not (settings.index_dir / "CURRENT").exists():
        commit(final=True)
    if rebuild and store.engine.keeps_vectors:  # a shared engine: sweep out what no version lists now
        store.engine.remove([k for k in store.engine.stored_keys() if k not in store.rows])
        store.engine.commit()
    report.total_articles = len(store.articles)
    report.total_chunks = len(store.chunks)
    report.seconds = time.perf_counter() - started
    return report
