"""The benchmark data outside the repository (../shared/data: XQuAD and SaudiNewsNet, each with a
SOURCE.md), found or said missing with what to do: tests and the product never read it."""

from __future__ import annotations

from pathlib import Path

from rag.config import REPO_ROOT

DEFAULTS = {"xquad": REPO_ROOT.parent / "shared/data/xquad",
            "saudinewsnet": REPO_ROOT.parent / "shared/data/saudinewsnet"}


def require(folder: str | Path, name: str) -> Path:
    """`folder` if it holds the data set `name`; else exit with what to do."""
    folder = Path(folder)
    if not folder.is_dir() or not any(folder.iterdir()):
        raise SystemExit(f"no {name} data in {folder}: this benchmark reads the copy in ../shared/data/{name} "
                         f"(its SOURCE.md says where it comes from); pass --data DIR to read another copy")
    return folder
