"""The LLM behind the answers, behind one protocol (rag.llm.base.LLM): llama.cpp in this process
by default, or any OpenAI-compatible server when RAG_LLM_URL (--llm-url) is set."""

from __future__ import annotations

import json

from rag.llm.base import LLM, LLMError

__all__ = ["LLM", "LLMError", "load"]


def load(settings) -> LLM:
    """The LLM the settings name: a server at settings.llm_url, else the GGUF at settings.llm."""
    if settings.llm_url:
        from rag.llm.openai_compat import OpenAICompatible

        try:
            options = json.loads(settings.llm_options) if settings.llm_options else {}
        except ValueError as exc:
            raise LLMError(f"RAG_LLM_OPTIONS is not a JSON object ({exc})") from None
        if not isinstance(options, dict):
            raise LLMError("RAG_LLM_OPTIONS must be a JSON object, such as {\"repeat_penalty\": 1.0}")
        return OpenAICompatible(settings.llm_url, settings.llm_model, settings.llm_api_key,
                                settings.llm_timeout, options, deadline=settings.llm_deadline,
                                proxy=settings.llm_proxy)
    from rag.llm.llamacpp import LlamaCpp

    return LlamaCpp(settings.llm, settings.context_tokens, settings.threads,
                    state_dir=settings.model_dir / "prefix-states")
