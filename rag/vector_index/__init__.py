"""Vector engines behind one protocol (base.VectorIndex): FAISS in this process, the embedded
default, or Qdrant (its local mode or a server or cluster), chosen by RAG_INDEX."""

from __future__ import annotations

from rag.vector_index.base import ChunkFilter, VectorIndex  # noqa: F401 (the seam's names)


def open_engine(settings, dim: int) -> VectorIndex:
    """The vector engine the settings choose, empty on this side (a server keeps its own)."""
    if settings.index_engine == "qdrant":
        from rag.vector_index.qdrant_index import QdrantIndex

        return QdrantIndex.from_settings(settings, dim)
    from rag.vector_index.faiss_index import FaissIndex

    return FaissIndex(dim)
