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
from rag.store import (Store, StoreError, current_version, document_prompt_changed, pointer_text, read_manifest,
                       writer_lock)


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


def build_missing_index(settings: Settings, embedder: Embedder) -> IngestReport | None:
    """Index the corpus folder when settings.index_dir holds no index yet (None when it does)."""
    if (settings.index_dir / "CURRENT").exists():
        return None
    return ingest([settings.corpus_dir], settings, embedder)


def ingest(paths: list[Path], settings: Settings, embedder: Embedder, rebuild: bool = False,
           progress=None, remove_missing: bool | None = None, lock_timeout: float = -1,
           max_chunks: int | None = None, should_stop=None) -> IngestReport:
    """Ingest the articles under `paths` into settings.index_dir, as its one writer (the index's
    writer_lock is held from loading to saving; `lock_timeout` seconds to wait for it, -1 for
    as long as it takes, else store.IndexBusy).

    With `remove_missing` indexed articles not found under `paths` are removed; without it they
    are kept. By default (None) they are removed when a folder is named (a whole corpus) and
    kept when only files are (adding them). Either way an article whose file is named and no
    longer holds it (a replaced .jsonl) is removed.

    `progress(done_chunks, total_chunks, articles)` is called while embedding, `articles` being
    the number of new or changed articles those chunks come from. `should_stop()`, called as
    often, ends the ingest with IngestCancelled before anything is saved. More than `max_chunks`
    chunks to embed raise TooLarge before any is.
    """
    if remove_missing is None:
        remove_missing = any(Path(p).is_dir() for p in paths)
    with writer_lock(settings.index_dir, lock_timeout):
        return _ingest(paths, settings, embedder, rebuild, progress, remove_missing, max_chunks, should_stop)


def _ingest(paths, settings, embedder, rebuild, progress, remove_missing, max_chunks, should_stop) -> IngestReport:
    started = time.perf_counter()
    chunker = chunker_settings(settings)
    replaces = pointer_text(settings.index_dir)  # the version this writer starts from
    store = None
    if not rebuild:
        try:
            store = Store.load(settings.index_dir)
            store.check_compatible(embedder.id, chunker)
        except StoreError:
            if (settings.index_dir / "CURRENT").exists():
                raise  # an index is there but unusable: say so, never overwrite silently
            store = None
    store = store or Store.empty(embedder.id, chunker)

    loaded = corpus.load(paths, settings.max_article_chars)
    report = IngestReport(problems=loaded.problems, warnings=loaded.warnings)
    # An article whose file failed to read this time keeps what the index already has of it.
    failed_sources = {p.path for p in loaded.problems}
    current = {a.id: a for a in loaded.articles}
    named_files = {str(p) for p in corpus.corpus_files(paths)}
    for article_id, meta in list(store.articles.items()):
        if article_id in current or meta.get("source_path") in failed_sources:
            continue
        if remove_missing or meta.get("source_path") in named_files:
            report.removed.append(article_id)
    todo, renamed = [], False
    for article in loaded.articles:
        known = store.articles.get(article.id)
        if known is None:
            report.added.append(article.id)
            todo.append(article)
        elif known["hash"] != article.content_hash:
            report.changed.append(article.id)
            todo.append(article)
        else:
            report.unchanged += 1
            if known.get("aliases", []) != list(article.aliases):  # same text, other copies
                known["aliases"], renamed = list(article.aliases), True
    for article in todo:  # said in the report, so a user sees what the assistant will not read
        whole = f"{article.title}\n{article.text}"
        report.warnings += [corpus.Problem(article.source_path, f"kept out of answers, reads as an instruction "
                                           f"to the assistant: {whole[s:e][:160]!r}")
                            for s, e in instruction_spans(whole)[:5]]

    chunks_by_article = {a.id: chunk_article(a, embedder.count_tokens, settings.chunk_tokens,
                                             settings.chunk_overlap_sentences) for a in todo}
    all_chunks = [c for a in todo for c in chunks_by_article[a.id]]
    if max_chunks is not None and len(all_chunks) > max_chunks:
        raise TooLarge(f"these articles make {len(all_chunks):,} passages; one upload may add at most "
                       f"{max_chunks:,} (add a large archive with `rag ingest`)")
    store.remove_articles(set(report.removed) | set(report.changed))
    if all_chunks:
        done = 0

        def advance(n):
            nonlocal done
            done += n
            if should_stop and should_stop():
                raise IngestCancelled("stopped before anything was saved; the index is as it was")
            if progress:
                progress(done, len(all_chunks), len(todo))

        vectors = embedder.encode_documents([c.text for c in all_chunks], progress=advance)
        metas = {a.id: {"hash": a.content_hash, "title": a.title, "chunks": len(chunks_by_article[a.id]),
                        "source_path": a.source_path, "url": a.url, "date": a.date, "source": a.source,
                        "aliases": list(a.aliases)}
                 for a in todo}
        store.add(all_chunks, vectors, metas)
    report.chunks_embedded = len(all_chunks)
    if todo or report.removed or renamed or rebuild or not (settings.index_dir / "CURRENT").exists():
        store.save(settings.index_dir, replaces=replaces)
    report.total_articles = len(store.articles)
    report.total_chunks = len(store.chunks)
    report.seconds = time.perf_counter() - started
    return report
