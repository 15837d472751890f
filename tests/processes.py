"""Servers the tests and benchmarks start as processes of their own: wait until one answers on
its port, stop it by its process id, and start llama_cpp.server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(process: subprocess.Popen, port: int, seconds: float, name: str,
                  log_path: Path | None = None) -> None:
    """Return once something listens on 127.0.0.1:`port`; RuntimeError (with the end of its log)
    when `process` exits first, or, after killing it, when `seconds` pass."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            log = log_path.read_text()[-2000:] if log_path else ""
            raise RuntimeError(f"{name} exited: {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(1)
    process.kill()
    raise RuntimeError(f"{name} did not start in {seconds:g} s")


def stop(process: subprocess.Popen, seconds: float = 30) -> None:
    """Terminate a process, kill it if it is still there after `seconds`, and reap it."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_llm_server(model: Path, port: int, log_path: Path, context: int = 2048, threads: int = 1) -> subprocess.Popen:
    """`python -m llama_cpp.server` on loopback with the project's GGUF: one thread, a small
    context, and interrupt_requests off (on, a second streaming request cuts the first off)."""
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "qwen",
         "--host", "127.0.0.1", "--port", str(port), "--n_threads", str(threads), "--n_threads_batch", str(threads),
         "--n_ctx", str(context), "--interrupt_requests", "False"],
        stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(process, port, 180, "llama_cpp.server", log_path)
    return process
