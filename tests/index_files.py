"""Where an index's files are, for tests that damage or read them."""

import json
from pathlib import Path


def current_manifest(index_dir: Path) -> dict:
    version = index_dir / (index_dir / "CURRENT").read_text().strip()
    return json.loads((version / "manifest.json").read_text())


def segment_file(index_dir: Path, name: str, segment: int = 0) -> Path:
    """A file of one of the current version's segments (the first by default)."""
    record = current_manifest(index_dir)["segments"][segment]
    return index_dir / "segments" / record["name"] / name
