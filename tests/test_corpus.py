import json

from rag.corpus import decode, load


def test_text_files_headline_and_body(tmp_path):
    (tmp_path / "a1.txt").write_text("\n\nالعنوان هنا\nالسطر الأول.\nالسطر الثاني.\n", encoding="utf-8")
    result = load([tmp_path])
    [article] = result.articles
    assert (article.id, article.title, article.text) == ("a1", "العنوان هنا", "السطر الأول.\nالسطر الثاني.")


def test_windows_1256_and_bom(tmp_path):
    (tmp_path / "cp.txt").write_bytes("عنوان عربي\nنص المقال بالعربية".encode("cp1256"))
    (tmp_path / "bom.md").write_bytes(b"\xef\xbb\xbf" + "Headline\nBody".encode())
    result = load([tmp_path])
    by_id = {a.id: a for a in result.articles}
    assert by_id["cp"].title == "عنوان عربي" and by_id["cp"].text == "نص المقال بالعربية"
    assert by_id["bom"].title == "Headline"
    assert not result.problems


def test_bad_files_are_reported_by_name_and_the_rest_kept(tmp_path):
    (tmp_path / "good.txt").write_text("Title\nText", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "broken.json").write_text("[{", encoding="utf-8")
    (tmp_path / "some.jsonl").write_text(
        json.dumps({"id": "j1", "title": "T", "text": "body"}) + "\nnot json\n"
        + json.dumps({"id": "j2", "content": "Headline line\nmore"}) + "\n", encoding="utf-8")
    result = load([tmp_path])
    assert sorted(a.id for a in result.articles) == ["good", "j1", "j2"]
    reasons = {(p.path.split("/")[-1], p.where): p.reason for p in result.problems}
    assert reasons[("empty.txt", "")] == "empty file"
    assert "binary" in reasons[("binary.txt", "")]
    assert "invalid JSON" in reasons[("broken.json", "")]
    assert "invalid JSON" in reasons[("some.jsonl", ":2")]
    assert {a.id: a.title for a in result.articles}["j2"] == "Headline line"


def test_json_array_fields_and_duplicate_ids(tmp_path):
    rows = [{"id": "x", "title": "T1", "text": "one", "url": "http://e/1", "date": "2015-09-29"},
            {"id": "x", "title": "T2", "text": "two"}]
    (tmp_path / "arr.json").write_text(json.dumps(rows), encoding="utf-8")
    result = load([tmp_path])
    [article] = result.articles
    assert (article.meta.url, article.meta.date) == ("http://e/1", "2015-09-29")
    assert "duplicate article id 'x'" in result.problems[0].reason


def test_a_few_invalid_utf8_bytes_are_replaced_with_a_warning():
    data = ("عنوان\n" + "نص سليم " * 200).encode() + b"\xff" + " نهاية".encode()
    text, warning = decode(data)
    assert text.startswith("عنوان") and "نهاية" in text
    assert "1 invalid UTF-8" in warning
