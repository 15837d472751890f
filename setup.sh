#!/usr/bin/env bash
# Sets everything up, idempotently: .venv/ with pinned dependencies (torch CPU first, llama.cpp
# compiled here), both models fetched and verified into the model cache, and the index of seeds/.
# Re-running skips what is already there and whole.
#   ./setup.sh           for the assistant
#   ./setup.sh --tests   also Debian's chromium, for the browser test (Playwright drives it), and
#                        the DejaVu fonts, whose Arabic letters the PDF reader tests write with
set -euo pipefail
cd "$(dirname "$0")"

if [ "${1:-}" = "--tests" ]; then
  MISSING=()
  [ -x /usr/bin/chromium ] || MISSING+=(chromium)
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || MISSING+=(fonts-dejavu-core)
  if [ ${#MISSING[@]} -gt 0 ]; then
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "setup: installing ${MISSING[*]} for the tests" >&2
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${MISSING[@]}" >/dev/null
  fi
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
# llama-cpp-python compiles from source (about 11 minutes on 2 cores) for this CPU's own
# instructions (-march=native): a wheel built on another CPU can die here with "illegal
# instruction", and pip's cache does not tell CPUs apart. So the wheel is built once per CPU
# (keyed by its flags) into our own cache, and installed from there.
LLAMA=$(grep -m1 '^llama_cpp_python==' constraints.txt)
# Intel AMX stays off: on a 2-core Sapphire Rapids VM whose cpuinfo lists amx_tile/amx_int8 and
# whose kernel grants the tile state, ggml's AMX matrix kernel still dies on its first ldtilecfg
# (general protection fault, any prompt of more than a token). An explicit -mno-* wins over
# -march=native in GCC and Clang whatever the order; CPUs without AMX build the same code.
LLAMA_BUILD="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
case "$(uname -m)" in x86_64|amd64) ;; *) LLAMA_BUILD="" ;; esac
CPU_KEY=$( ( (grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || uname -m); echo "$LLAMA_BUILD") | sha256sum | cut -c1-16)
WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/rag-news/wheels/$CPU_KEY"
if ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "setup: compiling $LLAMA for this CPU (about 11 minutes on 2 cores, once)" >&2
  CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
    CMAKE_ARGS="${CMAKE_ARGS:-} -DCMAKE_C_FLAGS='$LLAMA_BUILD' -DCMAKE_CXX_FLAGS='$LLAMA_BUILD'" \
    "${PIP[@]}" wheel --no-deps --no-cache-dir -w "$WHEELS" "$LLAMA"
fi
# A .venv made on another CPU gets this CPU's build.
if [ -d .venv/lib/python3.11/site-packages/llama_cpp ] && [ "$(cat .venv/llama-cpu 2>/dev/null)" != "$CPU_KEY" ]; then
  "${PIP[@]}" install --no-deps --force-reinstall "$WHEELS"/llama_cpp_python-*.whl
fi
"${PIP[@]}" install -c constraints.txt --find-links "$WHEELS" -e ".[test]"
echo "$CPU_KEY" > .venv/llama-cpu

export HF_HUB_OFFLINE=1
.venv/bin/rag setup
