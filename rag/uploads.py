"""Articles uploaded through the UI: all checked first, then copied into the corpus folder under a
safe name, never over another file unless the user asked to replace it.

Each file is read once, here (in the reading worker, inside its limits), and what was read is
what the ingest indexes. Only files that load as articles are copied, first into a staging
folder inside the corpus (hidden, so never read as articles) and into place only once the index
holds them (UploadResult.place; discard() otherwise): a bad upload, a copy that fails midway, a
stopped or failed ingest leave the corpus and the index as they were. The uploaded file's own
name never chooses where anything is
written: it is cut to its last part and to safe characters first (no `../`, no absolute paths).
A name or article id that is already taken is refused; with `replace`, a file of the same name
is replaced and the old one kept in the corpus's `.replaced/` folder (hidden folders are not
read as articles). An article id indexed from another file is always refused.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field, replace as with_fields
from pathlib import Path

from rag import corpus

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILES = 50
MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # one upload request in all (app's request guard)
REPLACED = ".replaced"  # the previous versions of replaced files, inside the corpus folder
STAGING = ".staging-"  # an upload's copies until the index holds them: .staging-<random>/ in the corpus
STALE_PART_SECONDS = 3600  # a .part file or staging folder this old is a leftover of a copy that died
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


@dataclass
class UploadResult:
    saved: list[Path] = field(default_factory=list)  # where the checked files go in the corpus folder
    problems: list[corpus.Problem] = field(default_factory=list)  # rejected, with the reason
    warnings: list[corpus.Problem] = field(default_factory=list)  # saved, but worth knowing
    replaced: dict[Path, Path] = field(default_factory=dict)  # saved file -> where its old version went
    articles: dict[str, list[corpus.Article]] = field(default_factory=dict)  # file name -> what was read of it
    staged: dict[Path, Path] = field(default_factory=dict)  # saved file -> its copy in the staging folder
    replace: bool = False

    def loaded(self) -> corpus.LoadResult:
        """What was read of the saved files, as the ingest takes it (each article's source_path
        already the file's place in the corpus)."""
        return corpus.deduplicated([a for path in self.saved for a in self.articles.get(path.name, [])])

    def place(self) -> list[corpus.Problem]:
        """Move the staged copies into place (a replaced file's old version into .replaced/),
        never over a file that appeared meanwhile; what could not be placed, with the reason."""
        problems = []
        for target, staged in self.staged.items():
            problem = _place(staged, target, self)
            if problem:
                problems.append(corpus.Problem(target.name, problem))
        self.discard()
        return problems

    def discard(self) -> None:
        """Take back what is still staged: the corpus folder as it was before the upload."""
        for staged in {p.parent for p in self.staged.values()}:
            shutil.rmtree(staged, ignore_errors=True)
        self.staged = {}


def safe_name(name: str) -> str:
    """The last part of an uploaded file's name, with anything but letters, digits, `.`, `-`
    and `_` replaced; never empty, never hidden."""
    base = re.split(r"[\\/]", name)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("_", stem).strip("._") or "upload"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def accept(uploaded: list[tuple[str, Path]], corpus_dir: Path, indexed: dict[str, str] | None = None,
           replace: bool = False, limits: corpus.ReadLimits = corpus.ReadLimits(), should_stop=None) -> UploadResult:
    """Check each (original name, temporary path), then copy the good ones into a staging folder
    of `corpus_dir` (UploadResult.place moves them into place).

    `indexed` maps the index's article ids to the file each was read from. Nothing is copied
    before every file has been checked; a bad file is reported and skipped. Each file is read
    inside `limits`; should_stop() ends the reading with corpus.ReadCancelled."""
    result = UploadResult(replace=replace)
    if len(uploaded) > MAX_FILES:
        result.problems.append(corpus.Problem(
            f"{len(uploaded)} files", f"too many files at once; the limit is {MAX_FILES}"))
        return result
    corpus_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(corpus_dir)
    indexed = indexed or {}
    names: set[str] = set()
    ids: dict[str, str] = {}  # article id -> name, within this upload
    good: list[tuple[Path, Path]] = []  # (temporary, target)
    for original, temporary in uploaded:
        name = safe_name(original)
        target = corpus_dir / name
        reason = _rejection(name, temporary, names)
        loaded = None
        if not reason:
            loaded = corpus.load([temporary], names={temporary: name}, limits=limits, should_stop=should_stop)
            if loaded.problems and not loaded.articles:
                reason = loaded.problems[0].reason
        if not reason and target.exists() and not replace:
            reason = (f"the corpus already has a file named {name}; choose “Replace files of the same name” "
                      f"to replace it (the old one is kept in {REPLACED}/)")
        if not reason:
            reason = _taken_id(loaded.articles, target, indexed, ids, corpus_dir)
        if reason:
            result.problems.append(corpus.Problem(original, reason))
            continue
        # A .jsonl with some bad lines is kept for its good ones; the bad ones are reported.
        result.problems += [corpus.Problem(original, p.reason, p.where) for p in loaded.problems]
        result.warnings += [corpus.Problem(original, p.reason, p.where) for p in loaded.warnings]
        names.add(name)
        ids.update((a.id, name) for a in loaded.articles)
        result.articles[name] = [with_fields(a, source_path=str(target)) for a in loaded.articles]
        good.append((temporary, target))
    if good:
        _stage(good, corpus_dir, result)
    return result


def _stage(good: list[tuple[Path, Path]], corpus_dir: Path, result: UploadResult) -> None:
    """Copy every checked file into one new staging folder; a failed copy (a full disk) takes
    them all back and says so."""
    staging = corpus_dir / f"{STAGING}{uuid.uuid4().hex[:12]}"
    try:
        staging.mkdir()
        for temporary, target in good:
            staged = staging / target.name
            shutil.copyfile(temporary, staged)
            result.staged[target] = staged
            result.saved.append(target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        result.problems.append(corpus.Problem(
            f"{len(good)} files", f"could not be copied into the corpus folder ({exc.strerror or exc}); nothing was added"))
        result.saved, result.staged, result.articles = [], {}, {}


def _rejection(name: str, path: Path, taken: set[str]) -> str | None:
    suffix = Path(name).suffix.lower()
    if suffix not in corpus.SUFFIXES:
        return f"unsupported file type {suffix or '(none)'}; use {', '.join(sorted(corpus.SUFFIXES))}"
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return f"{size / 1e6:.1f} MB is over the {MAX_FILE_BYTES // (1024 * 1024)} MB limit per file"
    if name in taken:
        return f"another file in this upload is also named {name}"
    return None


def _taken_id(articles: list[corpus.Article], target: Path, indexed: dict[str, str],
              in_upload: dict[str, str], corpus_dir: Path) -> str | None:
    """Why one of these articles' ids cannot be used (None when all are free): an id is an
    article's identity in the index and its citations, so it names one file's article only."""
    for article in articles:
        if article.id in in_upload:
            return f"article id {article.id!r} is also in {in_upload[article.id]} of this upload"
        source = indexed.get(article.id)
        if source is not None and not _same_file(source, target):
            # by the whole path: corpus/sub/x.txt and an upload x.txt share a name, not a file
            where = f" from {_in_corpus(source, corpus_dir)}" if source else ""
            return (f"article id {article.id!r} is already in the index{where}; rename the file "
                    f"(or give the record another id), or replace {Path(source).name or 'that file'} itself")
    if target.suffix.lower() in corpus.TEXT_SUFFIXES:  # x.md beside x.txt would share the id x
        for other in corpus.TEXT_SUFFIXES - {target.suffix.lower()}:
            if (corpus_dir / f"{target.stem}{other}").exists():
                return f"the corpus has {target.stem}{other}, whose article id {target.stem!r} this file would take"
    return None


def _same_file(source: str, target: Path) -> bool:
    return bool(source) and Path(source).resolve() == target.resolve()


def _in_corpus(source: str, corpus_dir: Path) -> str:
    """The indexed file as a user knows it: its place in the corpus folder, else its name."""
    try:
        return str(Path(source).resolve().relative_to(corpus_dir.resolve()))
    except ValueError:
        return Path(source).name


def _place(staged: Path, target: Path, result: UploadResult) -> str | None:
    """Move one staged upload to `target` without ever overwriting a file: a hard link of the
    finished copy, which fails if the name was taken meanwhile (another server, a user)."""
    try:
        backup = None
        if result.replace and target.exists():
            backup = target.parent / REPLACED / f"{target.name}.{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
            backup.parent.mkdir(exist_ok=True)
            os.replace(target, backup)
        try:
            _link_new(staged, target)
        except FileExistsError:
            if backup is not None:
                os.replace(backup, target)
            return ("a file of this name appeared in the corpus meanwhile; nothing was replaced, and its "
                    "articles, indexed from this upload, are taken out again by the next `rag ingest`")
        if backup is not None:
            result.replaced[target] = backup
        return None
    finally:
        staged.unlink(missing_ok=True)


def _link_new(source: Path, target: Path) -> None:
    """`target` made to hold `source`'s content; FileExistsError if it exists."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: create exclusively, then copy
        with open(source, "rb") as src, open(target, "xb") as dst:
            shutil.copyfileobj(src, dst)


def _remove_stale_parts(corpus_dir: Path) -> None:
    """Leftovers of copies that died halfway (a crash between copy and link, or before the index
    held a staged upload)."""
    cutoff = time.time() - STALE_PART_SECONDS
    for leftover in [*corpus_dir.glob(".*.part"), *corpus_dir.glob(f"{STAGING}*")]:
        try:
            if leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        except FileNotFoundError:
            pass
