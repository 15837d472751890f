"""The docs hold together: the README stays short and its links resolve, the version is the
changelog's, and nothing outside the benchmarks reads the benchmark data beside the repository
(a user's clone has none). The settings table is checked in test_settings.py."""

import re
import tomllib

from rag.config import REPO_ROOT

DOCS = [REPO_ROOT / "README.md", REPO_ROOT / "BENCHMARKS.md", REPO_ROOT / "CHANGELOG.md",
        *sorted((REPO_ROOT / "docs").glob("*.md"))]
SKIPPED = {".git", ".venv", "index", "test-output", "bench", "build", "__pycache__", ".pytest_cache"}


def test_the_readme_is_short_and_every_relative_link_resolves():
    assert len((REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 150
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if not re.match(r"[a-z]+:", target):
                assert (doc.parent / target).exists(), f"{doc.name} links to {target}, which is not there"


def test_the_version_is_the_changelogs_latest():
    version = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    assert released and released[0] == version


def test_only_benchmarks_refer_to_the_data_beside_the_repository():
    outside = ".." + "/shared"
    found = []
    for path in REPO_ROOT.rglob("*"):
        parts = path.relative_to(REPO_ROOT).parts
        if not path.is_file() or SKIPPED & set(parts) or path.name == "BENCHMARKS.md" or parts[0].endswith(".egg-info"):
            continue
        if path.suffix in (".py", ".md", ".sh", ".toml", ".txt", ".json", ".jsonl", ".cfg", "") and \
                outside in path.read_text(encoding="utf-8", errors="replace"):
            found.append(str(path.relative_to(REPO_ROOT)))
    assert not found, f"these refer to {outside}, which a user's clone does not have: {found}"
