"""The OpenAI-compatible backend against a real server: llama_cpp.server from the same
llama-cpp-python build, with the project's GGUF (tests/conftest.py starts and stops it)."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from rag.chat import Assistant
from rag.config import REPO_ROOT
from rag.evaluate import load_questions, score
from rag.llm import LLMError
from rag.llm.openai_compat import OpenAICompatible

# llama_cpp.server's own default repeat_penalty is 1.1; the in-process engine uses none.
SAME_AS_IN_PROCESS = json.dumps({"repeat_penalty": 1.0})
# A few seed questions of each kind: answered in Arabic and English, and refused.
SAMPLE = ["ar-peskov-baghdad", "en-relations", "ar-isolation", "en-center-purpose", "un-en-worldcup", "un-ar-capital"]


@pytest.fixture(scope="module")
def served(seed_index, embedder, llm_server):
    settings = dataclasses.replace(seed_index, llm_url=llm_server, llm_model="qwen", context_tokens=2048,
                                   llm_options=SAME_AS_IN_PROCESS)
    return Assistant(settings, embedder=embedder)


def test_the_model_is_checked_and_a_missing_server_or_model_is_a_clear_error(llm_server):
    assert OpenAICompatible(llm_server).model == "qwen"  # the server's only model
    with pytest.raises(LLMError, match="has no model 'other'; it has qwen"):
        OpenAICompatible(llm_server, "other")
    with pytest.raises(LLMError, match="no LLM server answers at http://127.0.0.1:9/v1"):
        OpenAICompatible("http://127.0.0.1:9/v1")


def test_seed_questions_through_the_server_get_the_in_process_verdicts(served, assistant):
    questions = {q.id: q for q in load_questions(REPO_ROOT / "tests/data/seed_questions.jsonl")}
    sample = [questions[i] for i in SAMPLE]
    compared = 0
    for q in sample:
        local = assistant.ask(q.question, q.history)
        remote = served.ask(q.question, q.history)
        if local.retried or remote.retried:  # a second try is prefilled here, asked for in words there
            continue
        if any(v.verdict == "the model was unsure of it" for v in local.sentences):
            continue  # this server was not asked for log-probabilities, so that check cannot run there
        assert remote.answer == local.answer, q.id
        assert score(q, remote.to_json()) == score(q, local.to_json()), q.id
        compared += 1
    assert compared >= 4
    assert served.llm.name == f"qwen ({served.settings.llm_url})"


def test_rag_ask_answers_through_the_server(llm_server, seed_index):
    env = {**os.environ, "RAG_LLM_URL": llm_server, "RAG_LLM_OPTIONS": SAME_AS_IN_PROCESS,
           "RAG_CONTEXT_TOKENS": "2048"}
    result = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "Who did John Kerry intend to meet on Wednesday?",
                             "--json", "--index", str(seed_index.index_dir)],
                            capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert "Lavrov" in answer["answer"] and answer["citations"]
