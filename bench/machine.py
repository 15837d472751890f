"""What the benchmarks record about the machine they ran on (BENCHMARKS.md compares rows of one
machine only)."""

from __future__ import annotations

from rag.doctor import cpu


def machine() -> dict:
    """The CPU's model name and the cores this process may use, as `rag doctor` reads them."""
    found = cpu()
    return {"cpu": found["model"], "cores": found["cores"]}
