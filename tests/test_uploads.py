"""Uploaded files: safe names, type and size limits, bad files refused before they reach the corpus."""

from pathlib import Path

from rag import uploads


def test_safe_name_keeps_only_the_last_part_and_safe_characters():
    assert uploads.safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert uploads.safe_name("..\\..\\x.md") == "x.md"
    assert uploads.safe_name("/abs/path/news.JSONL") == "news.jsonl"
    assert uploads.safe_name("خبر عاجل!.txt") == "خبر_عاجل.txt"
    assert uploads.safe_name("...txt") == "upload.txt"
    assert uploads.safe_name(".hidden.txt") == "hidden.txt"


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "incoming" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


def test_only_readable_articles_of_allowed_types_reach_the_corpus(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 1000)
    good = _file(tmp_path, "a.txt", "عنوان\n\nنص المقال.".encode())
    lines = _file(tmp_path, "b.jsonl", b'{"id": "b1", "title": "t", "text": "x"}\nnot json\n')
    result = uploads.accept([
        ("../../a.txt", good),
        ("b.jsonl", lines),
        ("c.exe", _file(tmp_path, "c.exe", b"MZ")),
            ("f.pdf", _file(tmp_path, "f.pdf", b"%PDF-1.4 not really")),
        ("d.txt", _file(tmp_path, "d.txt", b"")),
        ("e.txt", _file(tmp_path, "e.txt", b"x" * 1001)),
        ("a.txt", good),
    ], corpus)
    assert not result.place()
    assert sorted(p.name for p in corpus.iterdir()) == ["a.txt", "b.jsonl"]
    assert not list(tmp_path.glob("a.txt"))  # nothing written outside the corpus folder
    reasons = {p.path: p.reason for p in result.problems}
    assert "unsupported file type .exe" in reasons["c.exe"]
    assert "damaged PDF" in reasons["f.pdf"]
    assert reasons["d.txt"] == "empty file"
    assert "over the" in reasons["e.txt"]
    assert "also named a.txt" in reasons["a.txt"]
    assert "invalid JSON" in reasons["b.jsonl"]  # the bad line; the good one is kept


def test_too_many_files_are_refused_whole(tmp_path):
    path = _file(tmp_path, "a.txt", b"t\n\nx")
    result = uploads.accept([("a.txt", path)] * (uploads.MAX_FILES + 1), tmp_path / "corpus")
    assert not result.saved and "too many files" in result.problems[0].reason


def _indexed(corpus_dir: Path) -> dict[str, str]:
    """Article id -> source file, as the index would have them after ingesting `corpus_dir`."""
    from rag import corpus

    return {a.id: a.source_path for a in corpus.load([corpus_dir]).articles}


def test_an_upload_never_replaces_an_article_by_name_id_or_spelling(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "x.txt").write_text("Old headline\n\nOld text.", encoding="utf-8")
    (corpus / "feed.jsonl").write_text('{"id": "story-1", "title": "Old", "text": "Old story."}\n', encoding="utf-8")
    first = uploads.accept([("a b.txt", _file(tmp_path, "a b.txt", b"Spaced\n\nSpaced text."))], corpus)
    assert [p.name for p in first.saved] == ["a_b.txt"] and not first.place()
    indexed = _indexed(corpus)
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    result = uploads.accept([
        ("x.txt", _file(tmp_path, "x.txt", b"New headline\n\nNew text.")),  # the same name
        ("x.md", _file(tmp_path, "x.md", b"New headline\n\nNew text.")),  # another suffix, the same id
        ("a_b.txt", _file(tmp_path, "a_b.txt", b"Other\n\nOther text.")),  # safe_name("a b.txt") is a_b.txt
        ("records.json", _file(tmp_path, "records.json", b'[{"id": "story-1", "text": "Replaced story."}]')),
    ], corpus, indexed)
    assert not result.saved
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before
    reasons = {p.path: p.reason for p in result.problems}
    assert "already has a file named x.txt" in reasons["x.txt"] and "Replace" in reasons["x.txt"]
    assert "article id 'x'" in reasons["x.md"]
    assert "article id 'story-1' is already in the index from feed.jsonl" in reasons["records.json"]
    assert "already has a file named a_b.txt" in reasons["a_b.txt"]


def test_replacing_is_explicit_and_keeps_the_old_file(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "x.txt").write_text("Old headline\n\nOld text.", encoding="utf-8")
    upload = _file(tmp_path, "x.txt", b"New headline\n\nNew text.")
    result = uploads.accept([("x.txt", upload)], corpus, _indexed(corpus), replace=True)
    result.discard()  # an ingest that failed or was stopped: the old file stays, nothing staged is left
    assert (corpus / "x.txt").read_text() == "Old headline\n\nOld text." and sorted(corpus.iterdir()) == [corpus / "x.txt"]
    result = uploads.accept([("x.txt", upload)], corpus, _indexed(corpus), replace=True)
    assert result.saved == [corpus / "x.txt"] and not result.problems
    assert [a.source_path for a in result.loaded().articles] == [str(corpus / "x.txt")]  # read once, here
    assert (corpus / "x.txt").read_text() == "Old headline\n\nOld text."  # not in place before it is indexed
    assert not result.place()
    assert (corpus / "x.txt").read_text() == "New headline\n\nNew text."
    [kept] = (corpus / uploads.REPLACED).iterdir()
    assert kept.name.startswith("x.txt.") and kept.read_text() == "Old headline\n\nOld text."
    from rag import corpus as reader
    assert [a.id for a in reader.load([corpus]).articles] == ["x"]  # the kept copy is not read as an article


def test_every_file_is_checked_before_any_is_copied_and_a_bad_one_only_skipped(tmp_path):
    corpus = tmp_path / "corpus"
    result = uploads.accept([
        ("good.txt", _file(tmp_path, "good.txt", b"Title\n\nText.")),
        ("deep.json", _file(tmp_path, "deep.json", b"[" * 100_000 + b"]" * 100_000)),
        ("later.txt", _file(tmp_path, "later.txt", b"Later\n\nMore text.")),
    ], corpus)
    assert not result.place()
    assert sorted(p.name for p in corpus.iterdir()) == ["good.txt", "later.txt"]
    assert [(p.path, p.reason) for p in result.problems] == [("deep.json", "JSON nested too deeply")]


def test_stale_part_files_are_removed_and_fresh_ones_left(tmp_path):
    import os
    import time

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    stale, fresh = corpus / ".old.txt.1234.part", corpus / ".new.txt.5678.part"
    stale.write_text("x")
    fresh.write_text("y")
    os.utime(stale, (time.time() - 2 * uploads.STALE_PART_SECONDS,) * 2)
    uploads.accept([("a.txt", _file(tmp_path, "a.txt", b"T\n\nx"))], corpus)
    assert not stale.exists() and fresh.exists()


def test_an_upload_never_shadows_an_article_of_the_same_file_name_in_a_subfolder_or_a_zip(tmp_path):
    import zipfile

    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "x.txt").write_text("Old headline\n\nOld text.", encoding="utf-8")
    (corpus / "sub" / "day.zip").write_bytes(b"")
    with zipfile.ZipFile(corpus / "sub" / "day.zip", "w") as z:
        z.writestr("inner/story.txt", "Zipped headline\n\nZipped text.")
    indexed = _indexed(corpus)
    assert set(indexed) == {"x", "story"}
    packed = tmp_path / "incoming" / "day.zip"
    packed.parent.mkdir()
    with zipfile.ZipFile(packed, "w") as z:
        z.writestr("sub/story.txt", "Other headline\n\nOther text.")
    for replace in (False, True):
        result = uploads.accept([("x.txt", _file(tmp_path, "x.txt", b"New headline\n\nNew text.")),
                                 ("day.zip", packed)], corpus, indexed, replace=replace)
        assert not result.saved, result.saved
        reasons = {p.path: p.reason for p in result.problems}
        assert "article id 'x' is already in the index from sub/x.txt" in reasons["x.txt"]
        assert "article id 'story' is already in the index from sub/day.zip" in reasons["day.zip"]
    assert sorted(p.name for p in corpus.iterdir()) == ["sub"]


def test_a_copy_that_fails_midway_leaves_nothing_in_the_corpus(tmp_path, monkeypatch):
    import shutil

    corpus = tmp_path / "corpus"
    copy, copies = shutil.copyfile, []

    def full_disk(source, target):
        if copies:
            raise OSError(28, "No space left on device")
        copies.append(target)
        return copy(source, target)

    monkeypatch.setattr(uploads.shutil, "copyfile", full_disk)
    result = uploads.accept([(f"{n}.txt", _file(tmp_path, f"{n}.txt", b"T\n\nText " + n.encode()))
                             for n in ("one", "two", "three")], corpus)
    assert not result.saved and not result.staged and copies
    assert "No space left on device" in result.problems[0].reason and "nothing was added" in result.problems[0].reason
    assert list(corpus.iterdir()) == []  # the first copy went with the staging folder
    monkeypatch.setattr(uploads.shutil, "copyfile", copy)
    again = uploads.accept([("one.txt", _file(tmp_path, "one.txt", b"T\n\nText one"))], corpus)
    assert again.saved and not again.problems and not again.place()  # nothing blocks uploading it again
    assert [p.name for p in corpus.iterdir()] == ["one.txt"]


def test_a_stopped_read_copies_nothing(tmp_path):
    import pytest

    from rag.corpus import ReadCancelled

    corpus = tmp_path / "corpus"
    with pytest.raises(ReadCancelled):
        uploads.accept([("a.txt", _file(tmp_path, "a.txt", b"T\n\nx"))], corpus, should_stop=lambda: True)
    assert not corpus.exists() or list(corpus.iterdir()) == []
