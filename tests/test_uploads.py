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
        ("c.pdf", _file(tmp_path, "c.pdf", b"%PDF")),
        ("d.txt", _file(tmp_path, "d.txt", b"")),
        ("e.txt", _file(tmp_path, "e.txt", b"x" * 1001)),
        ("a.txt", good),
    ], corpus)
    assert sorted(p.name for p in corpus.iterdir()) == ["a.txt", "b.jsonl"]
    assert not list(tmp_path.glob("a.txt"))  # nothing written outside the corpus folder
    reasons = {p.path: p.reason for p in result.problems}
    assert "unsupported file type .pdf" in reasons["c.pdf"]
    assert reasons["d.txt"] == "empty file"
    assert "over the" in reasons["e.txt"]
    assert "also named a.txt" in reasons["a.txt"]
    assert "invalid JSON" in reasons["b.jsonl"]  # the bad line; the good one is kept


def test_too_many_files_are_refused_whole(tmp_path):
    path = _file(tmp_path, "a.txt", b"t\n\nx")
    result = uploads.accept([("a.txt", path)] * (uploads.MAX_FILES + 1), tmp_path / "corpus")
    assert not result.saved and "too many files" in result.problems[0].reason
