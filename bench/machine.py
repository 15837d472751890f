"""What the benchmarks record about the machine they ran on (BENCHMARKS.md compares rows of one
machine only)."""

from __future__ import annotations

import platform
from pathlib import Path

from rag.config import usable_cores


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def machine() -> dict:
    return {"cpu": cpu_model(), "cores": usable_cores()}
