#!/usr/bin/env bash
# Sets everything up, idempotently: .venv/ with pinned dependencies (torch CPU first, llama.cpp
# compiled here), both models fetched and verified into the model cache, and the index of seeds/.
# Re-running skips what is already there and whole.
#   ./setup.sh           for the assistant
#   ./setup.sh --tests   also Debian's chromium, for the browser test (Playwright drives it)
set -euo pipefail
cd "$(dirname "$0")"

if [ "${1:-}" = "--tests" ] && [ ! -x /usr/bin/chromium ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "setup: installing chromium for the browser test" >&2
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON=$candidate; break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "setup: Python 3.11 is needed (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
# torch first, from the CPU wheel: otherwise a dependency would pull the multi-GB CUDA build.
"${PIP[@]}" install torch==2.13.0
# llama-cpp-python compiles from source (about 11 minutes on 2 cores, cached by pip afterwards).
CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
  "${PIP[@]}" install -c constraints.txt -e ".[test]"

export HF_HUB_OFFLINE=1
.venv/bin/rag setup
