"""Wait per request when many browser users ask at once: the app on loopback, N gradio_client
requests sent together; the LLM answers one at a time, so later requests wait in the queue.
Also the serving process's memory (UI and both models): its peak and final resident size.

    .venv/bin/python bench/concurrent_users.py [--users 20] [--out bench/results/concurrent_users.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rag.config import REPO_ROOT, usable_cores

sys.path.insert(0, str(REPO_ROOT / "tests"))
from processes import stop, wait_for_port  # noqa: E402

QUESTIONS = ["Who is the Kremlin spokesman?", "من هو المتحدث باسم البيت الأبيض؟",
             "Who did John Kerry intend to meet on Wednesday?", "ماذا قال بيسكوف عن مركز المعلومات في بغداد؟"]


def start_app(port: int) -> subprocess.Popen:
    app = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=REPO_ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(app, port, 300, "the app")
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None
    return app


def resident_mb(pid: int) -> dict:
    """Peak (VmHWM) and current (VmRSS) resident memory of a process, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {"peak_rss_mb": int(fields["VmHWM"].split()[0]) // 1024,
            "rss_mb": int(fields["VmRSS"].split()[0]) // 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--port", type=int, default=7871)
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/concurrent_users.json"))
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gradio_client import Client

    app = start_app(args.port)
    url = f"http://127.0.0.1:{args.port}/"
    try:
        Client(url, verbose=False).predict(QUESTIONS[0], 3, False, api_name="/chat")  # warm-up

        def ask(i: int) -> dict:
            started = time.perf_counter()
            answer, _ = Client(url, verbose=False).predict(QUESTIONS[i % len(QUESTIONS)], 3, False, api_name="/chat")
            return {"seconds": time.perf_counter() - started, "answered": bool(answer.strip())}

        started = time.perf_counter()
        with ThreadPoolExecutor(args.users) as pool:
            rows = list(pool.map(ask, range(args.users)))
        wall = time.perf_counter() - started
        memory = resident_mb(app.pid)
    finally:
        stop(app)
    waits = sorted(r["seconds"] for r in rows)
    result = {"users": args.users, "answered": sum(r["answered"] for r in rows), "wall_s": round(wall, 2),
              "p50_s": round(statistics.median(waits), 2), "p95_s": round(waits[int(0.95 * (len(waits) - 1))], 2),
              "max_s": round(waits[-1], 2), "cores": usable_cores(), **memory}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
