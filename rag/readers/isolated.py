"""Files read in a worker process inside limits: CPU time, wall time and memory (ReadLimits).

A reader is a parser of bytes someone else wrote (pypdf, pdfminer, python-docx, lxml, zipfile):
a hostile file can make it run for minutes or grow a small stream to gigabytes. Read in the
server's process, one such file held the ingest lock, every upload behind it, and the memory of
the answers. Here each file is read by `python -m rag.readers.worker`, which:

- runs with an address-space limit (RLIMIT_AS; a MemoryError is said as "needs more than N MB");
- has a CPU-time limit for each file (RLIMIT_CPU, the kernel ends it past the limit);
- is killed by this side when a file takes longer than twice that on the clock, or when the
  caller's `should_stop()` says so (the Stop button), which raises ReadCancelled.

A file over a limit is reported with which limit, the worker is started again, and the other
files are read. Results come back as JSON (never pickle: the worker handles hostile input).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

from rag.readers.base import Article, LoadResult, Metadata, Problem, ReadLimits, UnreadableFile

POLL_SECONDS = 0.1  # how often a wait checks the clock and should_stop


class ReadCancelled(RuntimeError):
    """should_stop() said to stop while a file was being read; nothing of it was kept."""


def result_to_json(result: LoadResult) -> dict:
    return {"articles": [asdict(a) for a in result.articles],
            "problems": [asdict(p) for p in result.problems], "warnings": [asdict(p) for p in result.warnings]}


def result_from_json(data: dict) -> LoadResult:
    articles = [Article(**{**a, "meta": Metadata.from_json(a["meta"]), "aliases": tuple(a["aliases"])})
                for a in data["articles"]]
    return LoadResult(articles, [Problem(**p) for p in data["problems"]], [Problem(**p) for p in data["warnings"]])


class IsolatedReader:
    """One worker process, started on first use and again after a file it could not finish."""

    def __init__(self, limits: ReadLimits = ReadLimits()):
        self.limits = limits
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()  # one file at a time through the one worker

    def read(self, path: Path, name: str, max_chars: int, should_stop=None) -> LoadResult:
        """The articles of one file; UnreadableFile with the reason, a limit named where one was hit."""
        with self._lock:
            process = self._worker()
            request = {"path": str(path), "name": name, "max_chars": max_chars, "limits": asdict(self.limits)}
            try:
                process.stdin.write((json.dumps(request) + "\n").encode())
                process.stdin.flush()
            except OSError:
                self._stop()
                raise UnreadableFile("the reading process could not be started") from None
            line, why = self._answer(process, should_stop)
            if line is None:
                raise UnreadableFile(why)
        answer = json.loads(line)
        if "unreadable" in answer:
            raise UnreadableFile(answer["unreadable"])
        return result_from_json(answer)

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _worker(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            package_root = str(Path(__file__).resolve().parents[2])
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
            self._process = subprocess.Popen(
                [sys.executable, "-m", "rag.readers.worker", str(self.limits.memory_mb)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        return self._process

    def _answer(self, process: subprocess.Popen, should_stop) -> tuple[str | None, str]:
        """(the worker's answer line, "") or (None, why there is none), the worker then ended."""
        wall = 2 * self.limits.seconds
        started, pieces = time.monotonic(), []
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while True:
                if should_stop is not None and should_stop():
                    self._stop()
                    raise ReadCancelled("stopped while a file was being read")
                if time.monotonic() - started > wall:
                    self._stop()
                    return None, f"took longer than {wall:g} s to read (the limit, RAG_READ_SECONDS × 2)"
                if not selector.select(POLL_SECONDS):
                    continue
                data = os.read(process.stdout.fileno(), 1 << 20)
                if not data:
                    return None, self._ended(process)
                pieces.append(data)
                if data.endswith(b"\n"):  # JSON escapes its newlines: this one ends the answer
                    answer = b"".join(pieces).decode()
                    if answer.startswith('{"memory"'):  # the worker ran out and ends
                        self._stop()
                        return None, (f"needs more than {self.limits.memory_mb} MB of memory to read "
                                      f"(the limit, RAG_READ_MEMORY_MB)")
                    return answer, ""

    def _ended(self, process: subprocess.Popen) -> str:
        code = process.wait()
        self._stop()
        if code == -signal.SIGXCPU:
            return f"used more than {self.limits.seconds:g} s of CPU time to read (the limit, RAG_READ_SECONDS)"
        if code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS):
            return f"made its reader crash (signal {-code}); it may need more than {self.limits.memory_mb} MB"
        return f"the reading process ended unexpectedly (exit status {code})"

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                stream.close()
            self._process = None


_shared: dict[ReadLimits, IsolatedReader] = {}
_shared_lock = threading.Lock()


def reader_for_limits(limits: ReadLimits) -> IsolatedReader:
    """This process's worker for these limits (kept for the next load: starting one takes a
    fraction of a second)."""
    with _shared_lock:
        if limits not in _shared:
            _shared[limits] = IsolatedReader(limits)
        return _shared[limits]
