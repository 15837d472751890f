"""The ingest tests/test_resume.py kills: ingests a folder in batches with the fake embedder,
slowly, writing each text it embeds to a log (one line, flushed) so the test knows what work a
kill threw away."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fake_embedder import FakeEmbedder  # noqa: E402

from rag.config import Settings  # noqa: E402
from rag.ingest import ingest  # noqa: E402


class LoggingEmbedder(FakeEmbedder):
    def __init__(self, log: Path, seconds_per_batch: float):
        super().__init__(seconds_per_batch)
        self.log = open(log, "a", encoding="utf-8")

    def encode_documents(self, texts, titles=None, batch_size=8, progress=None, ingest=False):
        vectors = super().encode_documents(texts, titles, batch_size, progress, ingest)
        for text in texts:
            self.log.write(text.replace("\n", " ") + "\n")
        self.log.flush()
        return vectors


if __name__ == "__main__":
    index, corpus, batch, log, seconds = sys.argv[1:]
    report = ingest([Path(corpus)], Settings.load(index_dir=index), LoggingEmbedder(Path(log), float(seconds)),
                    batch_chunks=int(batch))
    print(report.chunks_embedded)
