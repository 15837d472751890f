"""Settings have one source, rag.config.Settings: the CLI's flags and the environment names come
from its fields, and the README's table lists every one."""

import re
from dataclasses import fields

from rag.config import REPO_ROOT, Settings


def test_every_setting_is_in_the_readme_table():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Settings"):]
    table = table[:table.index("\n## ", 4)]
    for f in fields(Settings):
        assert f"`{f.metadata['env']}`" in table, f"{f.name} ({f.metadata['env']}) is missing from the README's settings table"
        if f.metadata["flag"]:
            assert f"`{f.metadata['flag']}`" in table, f"{f.metadata['flag']} is missing from the README's settings table"


def test_flags_and_environment_come_from_the_fields(monkeypatch):
    import argparse

    parser = argparse.ArgumentParser()
    Settings.add_flags(parser)
    flagged = {f.name for f in fields(Settings) if f.metadata["flag"]}
    args = parser.parse_args(["--top-k", "5", "--llm-url", "http://127.0.0.1:1/v1"])
    assert {k for k, v in vars(args).items()} == flagged
    monkeypatch.setenv("RAG_TOP_K", "7")
    monkeypatch.setenv("RAG_LLM_TIMEOUT", "30")
    loaded = Settings.from_args(args)
    assert (loaded.top_k, loaded.llm_url, loaded.llm_timeout) == (5, "http://127.0.0.1:1/v1", 30.0)
    assert all(re.fullmatch(r"RAG_[A-Z0-9_]+", f.metadata["env"]) for f in fields(Settings))


def test_the_api_key_is_never_shown():
    assert "secret" not in repr(Settings.load(llm_api_key="secret"))


def test_threads_default_to_the_cores_this_process_may_use_not_the_hosts(monkeypatch, tmp_path):
    # A container or `taskset` leaves fewer cores than os.cpu_count() counts, and llama.cpp with
    # more threads than cores is slower.
    import os

    from rag.config import usable_cores

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    cpu_max = tmp_path / "cpu.max"
    assert usable_cores(cpu_max) == 4  # no cgroup file: the affinity
    cpu_max.write_text("max 100000\n")
    assert usable_cores(cpu_max) == 4  # no quota
    cpu_max.write_text("150000 100000\n")
    assert usable_cores(cpu_max) == 2  # --cpus=1.5: two threads
    cpu_max.write_text("50000 100000\n")
    assert usable_cores(cpu_max) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {1})
    assert usable_cores(tmp_path / "none") == 1
