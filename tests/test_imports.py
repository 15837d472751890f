"""The import graph of the project's own modules has no cycle, and only the LLM backends import
an LLM engine."""

import ast
from pathlib import Path

from rag.config import REPO_ROOT

ENGINES = {"llama_cpp", "httpx"}


def project_modules() -> dict[str, Path]:
    modules = {"app": REPO_ROOT / "app.py"}
    for path in (REPO_ROOT / "rag").rglob("*.py"):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_no_import_cycle():
    modules = project_modules()
    graph = {name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()}
    # a package's __init__ importing its own submodules is not a cycle through its users
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in graph[node]:
            if nxt.startswith(node + "."):
                continue
            assert state.get(nxt) != 1, "import cycle: " + " -> ".join(trail + [nxt])
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])


def test_only_the_llm_backends_import_an_engine():
    for name, path in project_modules().items():
        engines = {m.split(".")[0] for m in imports_of(path)} & ENGINES
        if engines:
            assert name.startswith("rag.llm."), f"{name} imports {engines}"
