"""The reading process of rag.readers.isolated: `python -m rag.readers.worker MEMORY_MB`.

Reads one request a line on stdin ({"path", "name", "max_chars", "limits"}) and answers one JSON
line on stdout: the file's LoadResult, {"unreadable": reason}, or {"memory": true} before it
ends (a MemoryError leaves the process in no state to go on). Its address space is limited once,
at the start; its CPU time per file, by moving the soft RLIMIT_CPU to what it has used plus the
file's allowance (the kernel sends SIGXCPU past it, which ends the process).
"""

from __future__ import annotations

import json
import resource
import sys


def _limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    except (ValueError, OSError):  # a system that keeps no address-space limit (macOS): the clock still does
        pass


def _allow_cpu(seconds: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(usage.ru_utime + usage.ru_stime + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def answer(request: dict) -> dict:
    from pathlib import Path

    from rag.readers import file_data, read_file
    from rag.readers.base import ReadLimits, UnreadableFile
    from rag.readers.isolated import result_to_json

    limits = ReadLimits(**request["limits"])
    _allow_cpu(limits.seconds)
    path = Path(request["path"])  # rag.corpus.load has checked it is there
    try:
        return result_to_json(read_file(file_data(path, request["name"], request["max_chars"], limits),
                                        request["max_chars"]))
    except (OSError, UnreadableFile) as exc:
        return {"unreadable": str(exc)}
    except MemoryError:
        raise
    except RecursionError:
        return {"unreadable": "nested too deeply to read"}
    except Exception as exc:  # a parser's own failure on a malformed file (HTML, PDF, DOCX)
        return {"unreadable": f"could not be read ({type(exc).__name__}: {str(exc)[:200]})"}


def main() -> int:
    _limit_memory(int(sys.argv[1]))
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        try:
            reply = json.dumps(answer(json.loads(line)))  # ASCII: a lone surrogate cannot break it
        except MemoryError:
            out.write(b'{"memory": true}\n')
            out.flush()
            return 3
        out.write(reply.encode() + b"\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
